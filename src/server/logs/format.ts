// The hot-path pieces of a log line: the timestamp, the `source[dyno]` header and the split of a
// message into lines no longer than the wire allows. Kept apart from the router so that each rule
// has its own exact tests.

/** Heroku splits lines longer than this (bytes of the message part). */
export const MAX_LINE_BYTES = 10_000

/** Put at the start of every piece of a split line after the first, so a reader sees the cut. */
export const CONTINUATION_MARKER = '[continued] '

/** A formatted line starts with a timestamp of exactly this many characters. */
export const TIMESTAMP_LENGTH = '2026-11-27T11:15:41.123456+00:00'.length

// Formatting a Date costs far more than the rest of a line, and a busy app writes many lines in
// the same second: the `YYYY-MM-DDTHH:MM:SS` part is cached per second.
let cachedSecond = Number.NaN
let cachedPrefix = ''

/** `2026-11-27T11:15:41.123456+00:00` for a time in microseconds since the epoch. */
export function formatMicros(micros: number): string {
  const whole = Math.floor(micros)
  const second = Math.floor(whole / 1_000_000)
  if (second !== cachedSecond) {
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 19)
    cachedSecond = second
  }
  const fraction = whole - second * 1_000_000
  return `${cachedPrefix}.${String(fraction).padStart(6, '0')}+00:00`
}

/** Microseconds since the epoch from a formatted timestamp, or undefined when it is not one. */
export function parseMicros(timestamp: string): number | undefined {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\+00:00$/.exec(timestamp)
  if (!match) return undefined
  const ms = Date.parse(`${match[1]}Z`)
  if (Number.isNaN(ms)) return undefined
  return ms * 1000 + Number(match[2])
}

// The wall clock, read through the monotonic one: a single performance.now() per line is much
// cheaper than Date.now() plus it, and re-anchoring every second keeps NTP's corrections in.
let anchorMono = Number.NEGATIVE_INFINITY
let anchorOffset = 0

/** Wall-clock microseconds since the epoch, with sub-millisecond resolution. */
export function systemMicros(): number {
  const mono = performance.now()
  if (mono - anchorMono > 1000) {
    anchorMono = mono
    anchorOffset = Date.now() - mono
  }
  return Math.floor((anchorOffset + mono) * 1000)
}

const SAFE_DYNO = /^[A-Za-z0-9_.-]+$/
const SAFE_SOURCE = /^[A-Za-z0-9_-]+$/

/**
 * Dyno names appear inside `source[dyno]:`, where the CLI's colouriser expects word characters,
 * dots and dashes; anything else would make the header ambiguous (and unparseable on reload), so
 * it becomes `_`. An empty name becomes `-`.
 */
export function safeDyno(name: string): string {
  if (SAFE_DYNO.test(name)) return name
  if (name === '') return '-'
  return name.replace(/[^A-Za-z0-9_.-]/g, '_')
}

/** The same for a source, where parseLogLine (src/shared/log-line.ts) allows no dot either. */
export function safeSource(name: string): string {
  if (SAFE_SOURCE.test(name)) return name
  if (name === '') return '-'
  return name.replace(/[^A-Za-z0-9_-]/g, '_')
}

/** Latest time kept exactly in microseconds as a number (in the year 2255). */
export const MAX_MICROS = Number.MAX_SAFE_INTEGER

const LINE_BREAK = /\r\n|\r|\n/
const HAS_LINE_BREAK = /[\r\n]/

/** True when the message is one line short enough to need no splitting at all (the usual case). */
export function isSimpleLine(message: string, maxBytes: number): boolean {
  // Two indexOf scans beat one regex test here (they are memchr on one-byte strings).
  return message.length * 3 <= maxBytes && message.indexOf('\n') === -1 && message.indexOf('\r') === -1
}

/**
 * One message may hold several lines; both wire formats need one line per record (`\r` ends an
 * SSE field just as `\n` does), so the message is split on every kind of line break. A final
 * line break does not make an extra empty line.
 */
export function splitLines(message: string): string[] {
  if (!HAS_LINE_BREAK.test(message)) return [message]
  const lines = message.split(LINE_BREAK)
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop()
  return lines
}

/**
 * Splits one line into pieces whose UTF-8 size is at most `maxBytes`, cutting only between
 * characters; every piece after the first starts with CONTINUATION_MARKER (counted in its size).
 * Nothing is dropped: removing the markers and joining the pieces gives the line back.
 */
export function splitLong(line: string, maxBytes: number = MAX_LINE_BYTES): string[] {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: most lines need no measuring at all.
  if (line.length * 3 <= maxBytes) return [line]
  // Measured before copied: most long lines still fit.
  if (Buffer.byteLength(line, 'utf8') <= maxBytes) return [line]
  const bytes = Buffer.from(line, 'utf8')
  const markerBytes = Buffer.byteLength(CONTINUATION_MARKER)
  // A limit too small to hold the marker and one character cannot make progress.
  const limit = Math.max(maxBytes, markerBytes + 4)
  const pieces: string[] = []
  let start = 0
  while (start < bytes.length) {
    const room = pieces.length === 0 ? limit : limit - markerBytes
    let end = Math.min(start + room, bytes.length)
    // Back up over UTF-8 continuation bytes (10xxxxxx) so no character is cut in two.
    while (end < bytes.length && end > start && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--
    const text = bytes.toString('utf8', start, end)
    pieces.push(pieces.length === 0 ? text : CONTINUATION_MARKER + text)
    start = end
  }
  return pieces
}
