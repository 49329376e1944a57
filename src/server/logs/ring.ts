// The bounded history of one app, and the small queue each subscriber keeps.
import {sliceBlock, entriesOf, type LogBlock, type LogEntry} from './block.js'
import type {LineMatcher} from './filter.js'

export type {LogEntry} from './block.js'

/**
 * The newest lines, kept as the blocks they were written in, bounded by a line count and by the
 * UTF-8 bytes of their text, whichever is reached first (the oldest lines go; the oldest block is
 * cut when only part of it must go). It always keeps the newest line, even alone over the byte
 * bound. Ids inside are increasing, so lookups by id are binary searches over the blocks.
 *
 * Memory: one small object per block and the blocks' text (see the router for the stated bound).
 */
export class LogRing {
  private blocks: LogBlock[] = []
  private head = 0
  /**
   * Lines at the start of the oldest block that are out of the history but not yet cut off: a
   * push usually ends inside the oldest block, and cutting it costs a scan of its lines, so that
   * is done only when something reads the ring. `byteCount` still counts them meanwhile (an upper
   * bound; the byte bound cuts them before it drops anything).
   */
  private headSkip = 0
  private lineCount = 0
  private byteCount = 0

  constructor(readonly maxLines: number, readonly maxBytes: number) {
    if (!Number.isInteger(maxLines) || maxLines < 1) throw new RangeError(`maxLines must be a positive integer, not ${maxLines}`)
    if (!(maxBytes >= 1)) throw new RangeError(`maxBytes must be positive, not ${maxBytes}`)
  }

  /** Lines held. */
  get length(): number {
    return this.lineCount
  }

  get bytes(): number {
    this.cutHead()
    return this.byteCount
  }

  /** Id of the oldest line held (undefined when empty). */
  get oldestId(): number | undefined {
    const first = this.blocks[this.head]?.firstId
    return this.lineCount === 0 || first === undefined ? undefined : first + this.headSkip
  }

  /** Id of the newest line held (undefined when empty). */
  get newestId(): number | undefined {
    const last = this.blocks[this.blocks.length - 1]
    return this.lineCount === 0 || last?.firstId === undefined ? undefined : last.firstId + last.count - 1
  }

  /** Adds the newest block (its lines must carry ids); returns how many old lines it pushed out. */
  push(block: LogBlock): number {
    this.blocks.push(block)
    this.lineCount += block.count
    this.byteCount += block.bytes
    let evicted = 0
    if (this.lineCount > this.maxLines) evicted += this.dropOldestLines(this.lineCount - this.maxLines)
    if (this.byteCount > this.maxBytes) this.cutHead()
    while (this.byteCount > this.maxBytes && this.lineCount > 1) {
      const oldest = this.blocks[this.head] as LogBlock
      const excess = this.byteCount - this.maxBytes
      // A whole block goes when all of it must; otherwise lines go one by one (rare: the byte
      // bound is reached only by long lines).
      evicted += this.dropOldestLines(oldest.bytes <= excess && this.blocks.length - this.head > 1 ? oldest.count : 1)
      this.cutHead()
    }
    return evicted
  }

  clear(): void {
    this.blocks = []
    this.head = 0
    this.headSkip = 0
    this.lineCount = 0
    this.byteCount = 0
  }

  /** The last `n` lines that match, oldest first; scans back only as far as it must. */
  lastMatching(n: number, match: LineMatcher): LogBlock[] {
    this.cutHead()
    const found: LogBlock[] = []
    let lines = 0
    for (let i = this.blocks.length - 1; i >= this.head && lines < n; i--) {
      const block = this.blocks[i] as LogBlock
      if (!match(block.source, block.dyno)) continue
      const take = Math.min(block.count, n - lines)
      found.push(take === block.count ? block : sliceBlock(block, block.count - take))
      lines += take
    }
    return found.reverse()
  }

  /** Every matching line with an id greater than `id`, oldest first. */
  after(id: number, match: LineMatcher): LogBlock[] {
    this.cutHead()
    const found: LogBlock[] = []
    for (let i = this.blockAfter(id); i < this.blocks.length; i++) {
      const block = this.blocks[i] as LogBlock
      if (!match(block.source, block.dyno)) continue
      const first = block.firstId as number
      found.push(first > id ? block : sliceBlock(block, Math.floor(id) - first + 1))
    }
    return found
  }

  /** The blocks held, oldest first. */
  *eachBlock(): IterableIterator<LogBlock> {
    this.cutHead()
    for (let i = this.head; i < this.blocks.length; i++) yield this.blocks[i] as LogBlock
  }

  /** Line by line, oldest first. */
  *[Symbol.iterator](): IterableIterator<LogEntry> {
    for (const block of this.eachBlock()) yield* entriesOf(block)
  }

  /** Index of the first block holding a line with an id greater than `id`. */
  private blockAfter(id: number): number {
    let low = this.head
    let high = this.blocks.length
    while (low < high) {
      const mid = (low + high) >>> 1
      const block = this.blocks[mid] as LogBlock
      if ((block.firstId as number) + block.count - 1 > id) high = mid
      else low = mid + 1
    }
    return low
  }

  /** Cuts off the lines the oldest block still holds that are out of the history. */
  private cutHead(): void {
    if (this.headSkip === 0) return
    const oldest = this.blocks[this.head] as LogBlock
    const rest = sliceBlock(oldest, this.headSkip)
    this.blocks[this.head] = rest
    this.byteCount -= oldest.bytes - rest.bytes
    this.headSkip = 0
  }

  private dropOldestLines(lines: number): number {
    let left = lines
    while (left > 0 && this.head < this.blocks.length) {
      const oldest = this.blocks[this.head] as LogBlock
      const held = oldest.count - this.headSkip
      if (held <= left) {
        this.blocks[this.head] = undefined as unknown as LogBlock
        this.head++
        this.headSkip = 0
        left -= held
        this.lineCount -= held
        this.byteCount -= oldest.bytes
      } else {
        // Part of the block stays: cut lazily (see headSkip).
        this.headSkip += left
        this.lineCount -= left
        left = 0
      }
    }
    // Reclaim the consumed prefix once it is most of the array.
    if (this.head > 64 && this.head * 2 > this.blocks.length) {
      this.blocks = this.blocks.slice(this.head)
      this.head = 0
    }
    return lines - left
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

  /** The next item, left in place. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined
  }

  /** Replaces the next item (what is left of it once part was taken). */
  replaceHead(item: T): void {
    if (this.head < this.items.length) this.items[this.head] = item
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
