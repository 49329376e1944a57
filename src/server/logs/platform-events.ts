// The API's own lines in an app's stream, as Heroku writes them under `app[api]` (tug: `tug[api]`):
// written once a change is committed, so a line never announces something that did not happen.
import type {LogRouter} from './router.js'

export const PLATFORM_SOURCE = 'tug'
export const API_DYNO = 'api'

export interface ReleaseEvent {
  version: number
  /** `Deploy 1a2b3c4d`, `Set FOO, BAR config vars`, `Rollback to v5`, `Initial release`, ... */
  description: string
}

export interface ScaleEntry {
  type: string
  quantity: number
  size: string
}

function api(logs: LogRouter, appId: string, message: string): void {
  logs.write(appId, {source: PLATFORM_SOURCE, dyno: API_DYNO, message})
}

/** `Set FOO config vars by user x` (what made the release), then `Release v7 created by user x`. */
export function announceRelease(logs: LogRouter, appId: string, release: ReleaseEvent, email: string): void {
  if (release.description !== '') api(logs, appId, `${release.description} by user ${email}`)
  api(logs, appId, `Release v${release.version} created by user ${email}`)
}

/** `Scaled to web@2:Standard-1X worker@1:Standard-1X by user x`: the whole formation after the change. */
export function scaleMessage(formation: readonly ScaleEntry[], email: string): string {
  const parts = formation.map((f) => `${f.type}@${f.quantity}:${f.size}`)
  return `Scaled to ${parts.join(' ')} by user ${email}`
}

export function announceScale(logs: LogRouter, appId: string, formation: readonly ScaleEntry[], email: string): void {
  api(logs, appId, scaleMessage(formation, email))
}
