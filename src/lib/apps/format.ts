import type {App, Dyno} from '../../shared/api-types.js'
import {formatTime} from '../cli/ago.js'
import {header, styledObject} from '../cli/styled.js'

export function formatAppList(apps: App[]): string[] {
  const names = [...apps].sort((a, b) => a.name.localeCompare(b.name)).map((a) => (a.region.name === 'us' ? a.name : `${a.name} (${a.region.name})`))
  return [header('Apps'), ...names]
}

/** `web: 2, worker: 1`, by type, one-offs counted under `run`. */
export function dynoSummary(dynos: Dyno[]): string {
  const counts = new Map<string, number>()
  for (const d of dynos) counts.set(d.type, (counts.get(d.type) ?? 0) + 1)
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([type, n]) => `${type}: ${n}`).join(', ')
}

export function formatAppInfo(app: App, dynos: Dyno[] | undefined): string[] {
  const entries: Array<[string, string]> = [
    ['Dynos', dynos ? dynoSummary(dynos) || 'none' : 'unknown'],
    ['Git URL', app.git_url],
    ['Owner', app.owner.email],
    ['Region', app.region.name],
    ['Stack', app.stack.name],
    ['Web URL', app.web_url ?? ''],
    ['Maintenance', app.maintenance ? 'on' : 'off'],
    ['Created', formatTime(app.created_at)],
    // null is what the API says for an app never released; a missing field is not known.
    ['Released', app.released_at === null ? 'never' : formatTime(app.released_at)],
  ]
  return [header(app.name), ...styledObject(entries)]
}

/** What `apps:create` prints: `web_url | git_url`, as Heroku does. */
export function formatCreated(app: App): string {
  return app.web_url ? `${app.web_url} | ${app.git_url}` : app.git_url
}
