// `tug releases` and `releases:info` layouts.
import type {ApiClient} from '../api/client.js'
import type {ConfigVars, Release} from '../../shared/api-types.js'
import {RuntimeError, UsageError} from '../errors.js'
import {timeAgo} from '../cli/ago.js'
import {header, styledObject} from '../cli/styled.js'
import {table} from '../cli/table.js'
import {formatConfig} from '../config/format.js'

export function describe(release: Release): string {
  return release.status === 'succeeded' ? release.description : `${release.description} (${release.status})`
}

/** `v7  Set FOO config vars  you@example.com  2026/11/27 11:15:29 +0000 (~ 5m ago)` per release. */
export function formatReleases(app: string, releases: Release[], now: number): string[] {
  const current = releases.find((r) => r.current)
  const title = current ? `${app} Releases - Current: v${current.version}` : `${app} Releases`
  const rows = releases.map((r) => [`v${r.version}`, describe(r), r.user.email, timeAgo(r.created_at, now)])
  return [header(title), ...table(rows)]
}

export function formatReleaseInfo(release: Release, config: ConfigVars | undefined, now: number): string[] {
  const lines = [
    header(`Release v${release.version}`),
    ...styledObject([
      ['By', release.user.email],
      ['Change', describe(release)],
      ['Current', release.current ? 'yes' : 'no'],
      ['Status', release.status],
      ['When', timeAgo(release.created_at, now)],
    ]),
  ]
  if (config) {
    lines.push('', header(`v${release.version} Config vars`))
    lines.push(...(Object.keys(config).length === 0 ? ['(none)'] : formatConfig(config)))
  }
  return lines
}

/** `7`, `v7` or `V7` -> 7. */
export function parseVersion(input: string): number {
  const match = /^[vV]?(\d+)$/.exec(input.trim())
  const version = match ? Number(match[1]) : Number.NaN
  if (!Number.isSafeInteger(version) || version < 1) throw new UsageError(`${input} is not a release version. Use a number like 7 or v7.`)
  return version
}

type ReleaseApi = Pick<ApiClient, 'releases'>

export async function currentRelease(api: ReleaseApi, app: string): Promise<Release> {
  const latest = await api.releases.latest(app)
  if (!latest) throw new RuntimeError(`${app} has no releases yet.`, {hint: 'Deploy it first with `tug deploy`.'})
  return latest
}

/** The release to roll back to: the version given, or the one before the latest. */
export async function rollbackTarget(api: ReleaseApi, app: string, version: string | undefined): Promise<Release> {
  if (version !== undefined) return api.releases.info(app, parseVersion(version))
  const recent = await api.releases.list(app, {max: 2, order: 'desc'})
  const previous = recent[1]
  if (!previous) throw new RuntimeError(`${app} has no release before v${recent[0]?.version ?? 0} to roll back to.`)
  return previous
}
