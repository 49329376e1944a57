// Times as Heroku's ps and releases show them: `2026/11/27 11:15:29 +0000 (~ 5m ago)`, in UTC.

function pad(n: number): string {
  return String(n).padStart(2, '0')
}

export function formatUtc(date: Date): string {
  return `${date.getUTCFullYear()}/${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
}

/** What a missing or unreadable time shows as: a server that is not tug may omit a field. */
export const UNKNOWN_TIME = 'unknown'

function parseTime(iso: string | null | undefined): number | undefined {
  if (typeof iso !== 'string') return undefined
  const then = Date.parse(iso)
  return Number.isNaN(then) ? undefined : then
}

/** The absolute time of an API timestamp, or `unknown` when it is missing or not a date. */
export function formatTime(iso: string | null | undefined): string {
  const then = parseTime(iso)
  return then === undefined ? UNKNOWN_TIME : formatUtc(new Date(then))
}

/** The absolute time, with a rough age while it is under a day old (as Heroku does). */
export function timeAgo(iso: string | null | undefined, now: number): string {
  const then = parseTime(iso)
  if (then === undefined) return UNKNOWN_TIME
  const stamp = formatUtc(new Date(then))
  const elapsed = Math.max(0, Math.floor((now - then) / 1000))
  if (elapsed < 60) return `${stamp} (~ ${elapsed}s ago)`
  if (elapsed < 60 * 60) return `${stamp} (~ ${Math.floor(elapsed / 60)}m ago)`
  if (elapsed < 60 * 60 * 25) return `${stamp} (~ ${Math.floor(elapsed / 3600)}h ago)`
  return stamp
}
