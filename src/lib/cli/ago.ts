// Times as Heroku's ps and releases show them: `2026/11/27 11:15:29 +0000 (~ 5m ago)`, in UTC.

function pad(n: number): string {
  return String(n).padStart(2, '0')
}

export function formatUtc(date: Date): string {
  return `${date.getUTCFullYear()}/${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
}

/** The absolute time, with a rough age while it is under a day old (as Heroku does). */
export function timeAgo(iso: string, now: number): string {
  const then = Date.parse(iso)
  if (Number.isNaN(then)) return iso
  const stamp = formatUtc(new Date(then))
  const elapsed = Math.max(0, Math.floor((now - then) / 1000))
  if (elapsed < 60) return `${stamp} (~ ${elapsed}s ago)`
  if (elapsed < 60 * 60) return `${stamp} (~ ${Math.floor(elapsed / 60)}m ago)`
  if (elapsed < 60 * 60 * 25) return `${stamp} (~ ${Math.floor(elapsed / 3600)}h ago)`
  return stamp
}
