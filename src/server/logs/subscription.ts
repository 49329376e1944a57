// One reader of one app's lines: its backlog, its bounded queue of live lines, and the rule for
// what a reader that falls behind is told.
import type {LineMatcher} from './filter.js'
import {sliceBlock, type LogBlock} from './block.js'
import {TIMESTAMP_LENGTH} from './format.js'
import {Queue} from './ring.js'

/** What a sink receives: a line with its id, or a notice about this stream (no id). */
export interface LogItem {
  readonly id: number | undefined
  readonly text: string
}

/** A sink takes its batches as lines (`LineSink`: drains, tests) or as blocks (`BlockSink`). */
export type LogSink = LineSink | BlockSink

export interface LineSink {
  /**
   * Lines in order, in batches. Return false when the consumer cannot take more for now (like a
   * Node writable's `write()`): the batch is still taken, and nothing more comes until
   * `resume()`. Called from the router's scheduler, never from inside `write()`.
   */
  deliver(items: readonly LogItem[]): boolean | void
  deliverBlocks?: undefined
  /** No more lines will come: the backlog of a non-tail subscription is out, or it was closed. */
  end?(): void
}

export interface BlockSink {
  /**
   * The same batches as blocks (each a run of formatted lines of one source and dyno, every line
   * ended by `\n`): no line is ever made a string of its own (the HTTP stream). Same return rule.
   */
  deliverBlocks(blocks: readonly LogBlock[]): boolean | void
  end?(): void
}

export interface SubscriptionStats {
  /** Items handed to the sink, notices included. */
  delivered: number
  /** Live lines this subscriber lost to a full queue, in total. */
  dropped: number
  /** Backlog and live lines waiting for the sink. */
  queued: number
}

export interface LogSubscription {
  readonly appId: string
  /** The sink can take lines again (after `deliver` returned false). */
  resume(): void
  /** Stops the subscription; the sink's `end` is called. Idempotent. */
  close(): void
  readonly closed: boolean
  stats(): SubscriptionStats
}

export interface SubscriptionLimits {
  queueLines: number
  queueBytes: number
  batchLines: number
  /** A batch stops growing once it holds this many bytes (it always holds at least one item). */
  batchBytes: number
}

export type NoticeFactory = (dropped: number, since: string) => LogBlock

/**
 * The queue holds references to the same blocks as the history, so its own cost is one slot per
 * block; it is bounded by lines and by bytes. When a live line finds it full, the line is dropped
 * and counted, and the subscriber keeps dropping until the sink has taken everything queued; then
 * it gets ONE overflow notice (the count and the time of the first lost line) and fresh lines
 * again. The writer and every other subscriber never see any of this.
 */
export class Subscription implements LogSubscription {
  private backlog: LogBlock[]
  private backlogIndex = 0
  private backlogLines = 0
  private readonly queue = new Queue<LogBlock>()
  private queuedLines = 0
  private queuedBytes = 0
  private dropping = 0
  private droppingSince = ''
  private totalDropped = 0
  private delivered = 0
  private paused = false
  private scheduled = false
  private isClosed = false
  private readonly flushBound = (): void => this.flush()

  constructor(
    readonly appId: string,
    readonly match: LineMatcher,
    private readonly tail: boolean,
    /** What the sink gets first (a history-gap notice, then past lines); not bounded by the queue. */
    backlog: LogBlock[],
    private readonly sink: LogSink,
    private readonly limits: SubscriptionLimits,
    private readonly schedule: (task: () => void) => void,
    private readonly makeNotice: NoticeFactory,
    private readonly onClose: (subscription: Subscription) => void,
    private readonly onError: (error: unknown) => void,
  ) {
    this.backlog = backlog
    for (const block of backlog) this.backlogLines += block.count
    this.wake()
  }

  get closed(): boolean {
    return this.isClosed
  }

  stats(): SubscriptionStats {
    return {delivered: this.delivered, dropped: this.totalDropped, queued: this.backlogLines + this.queuedLines}
  }

  /**
   * Live lines for this subscriber (already matched by the router), as one block: queued whole
   * when they fit, which is the usual case and costs a push. Otherwise the lines that fit are
   * queued and the rest dropped, exactly as if they had been offered one by one.
   */
  offer(block: LogBlock): void {
    if (this.isClosed) return
    if (this.dropping > 0) {
      if (this.queuedLines > 0 || this.backlogLines > 0) {
        this.dropping += block.count
        this.totalDropped += block.count
        return
      }
      this.emitOverflowNotice()
    }
    if (this.queuedLines + block.count <= this.limits.queueLines && this.queuedBytes + block.bytes <= this.limits.queueBytes) {
      this.enqueue(block)
      return
    }
    this.offerLineByLine(block)
  }

  resume(): void {
    if (this.isClosed || !this.paused) return
    this.paused = false
    this.wake()
  }

  close(): void {
    if (this.isClosed) return
    this.isClosed = true
    this.backlog = []
    this.backlogLines = 0
    this.queue.clear()
    this.queuedLines = 0
    this.queuedBytes = 0
    this.onClose(this)
    try {
      this.sink.end?.()
    } catch (error) {
      this.onError(error)
    }
  }

  /** The block that does not fit whole: the old rule, one line at a time (rare: a full queue). */
  private offerLineByLine(block: LogBlock): void {
    for (let i = 0; i < block.count; i++) {
      if (this.dropping > 0) {
        if (this.queuedLines > 0 || this.backlogLines > 0) {
          // Everything left of the block goes the same way.
          this.dropping += block.count - i
          this.totalDropped += block.count - i
          return
        }
        this.emitOverflowNotice()
      }
      const line = sliceBlock(block, i, i + 1)
      if (this.queuedLines >= this.limits.queueLines || this.queuedBytes + line.bytes > this.limits.queueBytes) {
        this.dropping = 1
        this.totalDropped++
        this.droppingSince = line.text.slice(0, TIMESTAMP_LENGTH)
        continue
      }
      this.enqueue(line)
    }
  }

  private enqueue(block: LogBlock): void {
    this.queue.push(block)
    this.queuedLines += block.count
    this.queuedBytes += block.bytes
    this.wake()
  }

  private wake(): void {
    if (this.scheduled || this.paused || this.isClosed) return
    this.scheduled = true
    this.schedule(this.flushBound)
  }

  private emitOverflowNotice(): void {
    const notice = this.makeNotice(this.dropping, this.droppingSince)
    this.dropping = 0
    this.droppingSince = ''
    this.queue.push(notice)
    this.queuedLines += notice.count
    this.queuedBytes += notice.bytes
  }

  /**
   * The next batch: backlog first, then the queue, then (once both are empty) the overflow notice.
   * Bounded by lines (a block is cut at the bound) and bytes (whole blocks: a batch stops growing
   * once it holds batchBytes), because a sink like an HTTP response takes a whole batch into its
   * own buffer even when it then asks for a pause.
   */
  private take(): LogBlock[] {
    const batch: LogBlock[] = []
    const {batchLines, batchBytes} = this.limits
    let lines = 0
    let bytes = 0
    while (lines < batchLines && bytes < batchBytes && this.backlogIndex < this.backlog.length) {
      const block = this.backlog[this.backlogIndex] as LogBlock
      const room = batchLines - lines
      if (block.count > room) {
        batch.push(sliceBlock(block, 0, room))
        this.backlog[this.backlogIndex] = sliceBlock(block, room)
        this.backlogLines -= room
        lines += room
        break
      }
      this.backlogIndex++
      this.backlogLines -= block.count
      batch.push(block)
      lines += block.count
      bytes += block.bytes
    }
    if (this.backlogIndex >= this.backlog.length && this.backlog.length > 0) {
      this.backlog = []
      this.backlogIndex = 0
    }
    while (lines < batchLines && bytes < batchBytes && this.queue.length > 0) {
      const block = this.queue.peek() as LogBlock
      const room = batchLines - lines
      if (block.count > room) {
        const head = sliceBlock(block, 0, room)
        const rest = sliceBlock(block, room)
        this.queue.replaceHead(rest)
        this.queuedLines -= room
        this.queuedBytes -= head.bytes
        batch.push(head)
        lines += room
        break
      }
      this.queue.shift()
      this.queuedLines -= block.count
      this.queuedBytes -= block.bytes
      batch.push(block)
      lines += block.count
      bytes += block.bytes
    }
    if (this.queue.length === 0 && this.backlog.length === 0 && this.dropping > 0 && lines < batchLines) {
      this.emitOverflowNotice()
      const notice = this.queue.shift() as LogBlock
      this.queuedLines -= notice.count
      this.queuedBytes -= notice.bytes
      batch.push(notice)
      lines += notice.count
    }
    this.delivered += lines
    return batch
  }

  private flush(): void {
    this.scheduled = false
    while (!this.isClosed && !this.paused) {
      const batch = this.take()
      if (batch.length === 0) {
        if (!this.tail) this.close()
        return
      }
      let more: boolean | void
      try {
        const sink = this.sink
        more = sink.deliverBlocks !== undefined ? sink.deliverBlocks(batch) : sink.deliver(itemsOf(batch))
      } catch (error) {
        this.onError(error)
        this.close()
        return
      }
      if (more === false) this.paused = true
    }
  }
}

/** Blocks as the lines a `deliver` sink takes, each with its id (none for a notice). */
export function itemsOf(blocks: readonly LogBlock[]): LogItem[] {
  const items: LogItem[] = []
  for (const block of blocks) {
    const {text, firstId} = block
    let start = 0
    for (let i = 0; i < block.count; i++) {
      const end = text.indexOf('\n', start)
      items.push({id: firstId === undefined ? undefined : firstId + i, text: text.slice(start, end)})
      start = end + 1
    }
  }
  return items
}
