// The log line format shared by the log router (which writes it) and `tug logs` (which reads and
// colours it): `<timestamp> <source>[<dyno>]: <message>`, the logplex layout Heroku's clients parse.

export interface LogLine {
  /** RFC 3339 with microseconds and a numeric offset: `2026-11-27T11:15:41.123456+00:00`. */
  timestamp: string
  /** `app` for dyno output, `tug` for the platform's own events (`heroku` on Heroku). */
  source: string
  /** `web.1`, `run.4821`, `api`, `router`… */
  dyno: string
  message: string
}

/** Sources whose lines come from the platform rather than from the app's own output. */
export const PLATFORM_SOURCES: ReadonlySet<string> = new Set(['tug', 'heroku'])

export function formatLogLine(line: LogLine): string {
  return `${line.timestamp} ${line.source}[${line.dyno}]: ${line.message}`
}

// `s`: a message that carries a newline still round-trips through format and parse.
const LINE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})) ([\w-]+)\[([^\]\s]+)\]:(?: (.*))?$/s

/** The inverse of formatLogLine; undefined for text that is not a log line. */
export function parseLogLine(text: string): LogLine | undefined {
  const match = LINE.exec(text)
  if (!match) return undefined
  const [, timestamp = '', source = '', dyno = '', message = ''] = match
  return {timestamp, source, dyno, message}
}

/**
 * `2026-11-27T11:15:41.123456+00:00`, always in UTC. Date keeps milliseconds only, so the
 * microseconds within the millisecond (0–999) may be passed separately.
 */
export function formatTimestamp(date: Date, micros = 0): string {
  const time = date.getTime()
  if (Number.isNaN(time)) throw new RangeError('formatTimestamp: invalid date')
  if (!Number.isInteger(micros) || micros < 0 || micros > 999) {
    throw new RangeError(`formatTimestamp: micros must be a whole number from 0 to 999, got ${micros}`)
  }
  const iso = date.toISOString() // 2026-11-27T11:15:41.123Z, or ±YYYYYY-… outside years 0-9999
  return `${iso.slice(0, -1)}${String(micros).padStart(3, '0')}+00:00`
}

/**
 * Heroku's notice for lines lost to a reader, a dyno's log copy or (with `drain`, its token) a
 * drain that fell behind: `Error L10 (output buffer overflow): N messages dropped since <time>`.
 * `since` is the time of the first line lost, as a log timestamp.
 */
export function overflowNotice(dropped: number, since: string, drain?: string): string {
  return drain === undefined
    ? `Error L10 (output buffer overflow): ${dropped} messages dropped since ${since}`
    : `Error L10 (output buffer overflow): drain ${drain} dropped ${dropped} messages since ${since}`
}

const RESET = '\u001B[0m'
const RED = '\u001B[31m'
const PLATFORM = '\u001B[35m' // magenta: reserved for tug/heroku lines
const DIM = '\u001B[2m'
// Red and magenta are kept out of the dyno palette, so errors and platform lines stand apart.
const DYNO_PALETTE = ['\u001B[36m', '\u001B[33m', '\u001B[32m', '\u001B[34m', '\u001B[96m', '\u001B[93m', '\u001B[92m', '\u001B[94m']

// Platform events worth noticing: `Error R10 (Boot timeout)`, `Error L10 (output buffer overflow)`,
// a non-zero exit (143 is the SIGTERM of every ordinary stop, so it is not one), a crash, and
// Heroku's router errors (`at=error code=H12`).
const ERROR_EVENT = /\bError [A-Z]\d+\b|\bProcess exited with status (?!143\b)[1-9]\d*\b|\bcrashed\b|\bat=error\b/

/** A stable colour for a dyno name: the same dyno gets the same colour in every run. */
export function dynoColor(dyno: string): string {
  // FNV-1a: tiny, and spreads `web.1`/`web.2` over the palette.
  let hash = 0x811c9dc5
  for (let i = 0; i < dyno.length; i++) {
    hash ^= dyno.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return DYNO_PALETTE[hash % DYNO_PALETTE.length] ?? ''
}

/**
 * Colours one line for a terminal: the timestamp dim, the `source[dyno]:` header by dyno (platform
 * lines in their own colour), platform error events in red. Returns the text unchanged when
 * colour is off or the text is not a log line; the caller decides `enabled` (TTY, NO_COLOR).
 */
export function colorizeLogLine(text: string, enabled: boolean): string {
  if (!enabled) return text
  const line = parseLogLine(text)
  if (!line) return text
  const platform = PLATFORM_SOURCES.has(line.source)
  const header = `${platform ? PLATFORM : dynoColor(line.dyno)}${line.source}[${line.dyno}]:${RESET}`
  const message = platform && ERROR_EVENT.test(line.message) ? `${RED}${line.message}${RESET}` : line.message
  const separator = text.length > line.timestamp.length + line.source.length + line.dyno.length + 4 ? ' ' : ''
  return `${DIM}${line.timestamp}${RESET} ${header}${separator}${message}`
}
