// `tug audit`: --since in words (30m, 1h, 7d) or as a time, and the table of events.
import type {AuditEvent} from '../../shared/api-types.js'
import {formatTime} from '../cli/ago.js'
import {table} from '../cli/table.js'
import {UsageError} from '../errors.js'

const UNIT_MS: Record<string, number> = {s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000}

/** `90m`, `1h`, `7d` before `now`, or an absolute time (ISO 8601), as RFC 3339 in UTC. */
export function parseSince(value: string, now: number): string {
  const text = value.trim()
  const relative = /^(\d+)([smhdw])$/.exec(text)
  if (relative) return new Date(now - Number(relative[1]) * (UNIT_MS[relative[2] as string] as number)).toISOString()
  // A time without a zone is read as UTC, as every time tug shows is.
  const iso = text.length === 10 ? `${text}T00:00:00Z` : /(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? text : `${text}Z`
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(iso) : Number.NaN
  if (Number.isNaN(at)) {
    throw new UsageError(`--since ${JSON.stringify(value)} is neither a duration nor a time.`, {hint: 'Use a duration such as 30m, 2h or 7d, or a time such as 2026-11-27 or 2026-11-27T11:15:00Z.'})
  }
  return new Date(at).toISOString()
}

export function formatAudit(events: AuditEvent[]): string[] {
  return table([
    ['Time', 'Who', 'App', 'Action', 'Token'],
    ...events.map((e) => [formatTime(e.created_at), e.actor?.email ?? '(unknown)', e.app?.name ?? '', e.action, e.token ? e.token.description || e.token.id : 'password']),
  ])
}
