// Pure helpers for reading a pod's log as the API server sends it with `timestamps=true`: every
// line is `<RFC3339Nano time> <text>\n` (src/shared/line-splitter.ts keeps lines whole across
// chunks). Each line's time is read to the nanosecond (Go trims trailing
// zeros of the fraction, so the strings do not compare as text), and a high-water mark drops the
// lines a re-read (`sinceTime`, `previous=true`) hands back a second time.

/** Nanoseconds since the epoch of an RFC 3339 time with an optional fraction; undefined if it is not one. */
export function parseTimestamp(text: string): bigint | undefined {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text)
  if (!match) return undefined
  const millis = Date.parse(`${match[1]}${match[3]}`)
  if (Number.isNaN(millis)) return undefined
  const fraction = (match[2] ?? '').padEnd(9, '0')
  return BigInt(millis) * 1_000_000n + BigInt(fraction)
}

/** The Date of a nanosecond time (milliseconds kept). */
export function dateOf(nanos: bigint): Date {
  return new Date(Number(nanos / 1_000_000n))
}

export interface TimedLine {
  /** The time as the server wrote it (what `sinceTime` takes back). */
  raw: string
  /** Undefined when the line had no readable time: it is delivered as it is, never de-duplicated. */
  nanos: bigint | undefined
  text: string
}

/** `2026-12-06T01:02:03.123456789Z hello` -> its time and text. */
export function parseLogLine(line: string): TimedLine {
  const space = line.indexOf(' ')
  const raw = space === -1 ? line : line.slice(0, space)
  const nanos = parseTimestamp(raw)
  if (nanos === undefined) return {raw: '', nanos: undefined, text: line}
  return {raw, nanos, text: space === -1 ? '' : line.slice(space + 1)}
}

/**
 * The newest time delivered for one pod and how many times each text was delivered at exactly that
 * time. Time only grows within a pod (a container instance starts after the previous one ended),
 * so a line older than the mark was delivered, and one at the mark was if that many copies of its
 * text were.
 */
export class HighWater {
  private nanos: bigint | undefined
  private rawTime = ''
  private counts = new Map<string, number>()

  /** For `sinceTime`: the mark as the server wrote it, or undefined before the first line. */
  get sinceTime(): string | undefined {
    return this.nanos === undefined ? undefined : this.rawTime
  }

  /** One read of the log: it counts the copies it meets at the mark, to skip as many as were delivered. */
  reader(): HighWaterReader {
    return new HighWaterReader(this)
  }

  /** @internal */
  admit(line: TimedLine, seen: Map<string, number>, seenAt: {nanos: bigint | undefined}): boolean {
    if (line.nanos === undefined) return true
    if (this.nanos !== undefined && line.nanos < this.nanos) return false
    if (this.nanos === undefined || line.nanos > this.nanos) {
      this.nanos = line.nanos
      this.rawTime = line.raw
      this.counts = new Map([[line.text, 1]])
      seen.clear()
      seen.set(line.text, 1)
      seenAt.nanos = line.nanos
      return true
    }
    if (seenAt.nanos !== this.nanos) {
      seen.clear()
      seenAt.nanos = this.nanos
    }
    const copies = (seen.get(line.text) ?? 0) + 1
    seen.set(line.text, copies)
    const delivered = this.counts.get(line.text) ?? 0
    if (copies <= delivered) return false
    this.counts.set(line.text, delivered + 1)
    return true
  }
}

export class HighWaterReader {
  private readonly seen = new Map<string, number>()
  private readonly seenAt: {nanos: bigint | undefined} = {nanos: undefined}

  constructor(private readonly mark: HighWater) {}

  /** Whether this line is new (and then it counts as delivered). */
  admit(line: TimedLine): boolean {
    return this.mark.admit(line, this.seen, this.seenAt)
  }
}
