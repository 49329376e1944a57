// The bounded history of one app, and the small queue each subscriber keeps.
import type {LineMatcher} from './filter.js'

/** One line as the router keeps it. Source and dyno are kept for filtering, the text for the wire. */
export interface LogEntry {
  /** Per app, strictly increasing. */
  readonly id: number
  /** The formatted line: `<timestamp> <source>[<dyno>]: <message>`, no line break. */
  readonly text: string
  readonly source: string
  readonly dyno: string
  /** UTF-8 size of `text`, what the byte bounds count. */
  readonly bytes: number
}

/**
 * A ring of the newest lines, bounded by a line count and by the UTF-8 bytes of their text,
 * whichever is reached first (the oldest lines go). It always keeps the newest line, even alone
 * over the byte bound. Ids inside are increasing, so lookups by id are binary searches.
 *
 * Memory: the slot array holds at most `maxLines` references; the entries hold at most
 * `maxBytes` of text plus one small object each (see the router for the stated bound).
 */
export class LogRing {
  private readonly slots: (LogEntry | undefined)[] = []
  private head = 0
  private count = 0
  private byteCount = 0

  constructor(readonly maxLines: number, readonly maxBytes: number) {
    if (!Number.isInteger(maxLines) || maxLines < 1) throw new RangeError(`maxLines must be a positive integer, not ${maxLines}`)
    if (!(maxBytes >= 1)) throw new RangeError(`maxBytes must be positive, not ${maxBytes}`)
  }

  get length(): number {
    return this.count
  }

  get bytes(): number {
    return this.byteCount
  }

  get oldest(): LogEntry | undefined {
    return this.count === 0 ? undefined : this.slots[this.head]
  }

  get newest(): LogEntry | undefined {
    return this.count === 0 ? undefined : this.at(this.count - 1)
  }

  /** The i-th entry from the oldest (0) to the newest (length - 1). */
  at(i: number): LogEntry | undefined {
    if (i < 0 || i >= this.count) return undefined
    return this.slots[(this.head + i) % this.maxLines]
  }

  /** Adds the newest entry; returns how many old ones it pushed out. */
  push(entry: LogEntry): number {
    let evicted = 0
    if (this.count === this.maxLines) {
      this.evictOldest()
      evicted++
    }
    // Writes are always at the slot after the newest, so the array grows densely, then wraps.
    this.slots[(this.head + this.count) % this.maxLines] = entry
    this.count++
    this.byteCount += entry.bytes
    while (this.byteCount > this.maxBytes && this.count > 1) {
      this.evictOldest()
      evicted++
    }
    return evicted
  }

  clear(): void {
    this.slots.length = 0
    this.head = 0
    this.count = 0
    this.byteCount = 0
  }

  /** Index of the first entry whose id is greater than `id` (length when there is none). */
  indexAfter(id: number): number {
    let low = 0
    let high = this.count
    while (low < high) {
      const mid = (low + high) >>> 1
      if ((this.at(mid)?.id ?? Infinity) > id) high = mid
      else low = mid + 1
    }
    return low
  }

  /** The last `n` entries that match, oldest first; scans back only as far as it must. */
  lastMatching(n: number, match: LineMatcher): LogEntry[] {
    const found: LogEntry[] = []
    if (n <= 0) return found
    for (let i = this.count - 1; i >= 0 && found.length < n; i--) {
      const entry = this.at(i)
      if (entry && match(entry.source, entry.dyno)) found.push(entry)
    }
    return found.reverse()
  }

  /** Every matching entry with an id greater than `id`, oldest first. */
  after(id: number, match: LineMatcher): LogEntry[] {
    const found: LogEntry[] = []
    for (let i = this.indexAfter(id); i < this.count; i++) {
      const entry = this.at(i)
      if (entry && match(entry.source, entry.dyno)) found.push(entry)
    }
    return found
  }

  *[Symbol.iterator](): IterableIterator<LogEntry> {
    for (let i = 0; i < this.count; i++) {
      const entry = this.at(i)
      if (entry) yield entry
    }
  }

  private evictOldest(): void {
    const entry = this.slots[this.head]
    this.slots[this.head] = undefined
    this.head = (this.head + 1) % this.maxLines
    this.count--
    this.byteCount -= entry?.bytes ?? 0
  }
}

/** A first-in first-out queue with O(1) shift, for the subscribers' buffers. */
export class Queue<T> {
  private items: (T | undefined)[] = []
  private head = 0

  get length(): number {
    return this.items.length - this.head
  }

  push(item: T): void {
    this.items.push(item)
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined
    const item = this.items[this.head]
    this.items[this.head] = undefined
    this.head++
    // Reclaim the consumed prefix once it is most of the array, keeping shift amortised O(1).
    if (this.head === this.items.length) {
      this.items = []
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  clear(): void {
    this.items = []
    this.head = 0
  }
}
