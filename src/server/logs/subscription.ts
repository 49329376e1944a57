// One reader of one app's lines: its backlog, its bounded queue of live lines, and the rule for
// what a reader that falls behind is told.
import type {LineMatcher} from './filter.js'
import {TIMESTAMP_LENGTH} from './format.js'
import {Queue, type LogEntry} from './ring.js'

/** What a sink receives: a line with its id, or a notice about this stream (no id). */
export interface LogItem {
  readonly id: number | undefined
  readonly text: string
}

export interface LogSink {
  /**
   * Lines in order, in batches. Return false when the consumer cannot take more for now (like a
   * Node writable's `write()`): the batch is still taken, and nothing more comes until
   * `resume()`. Called from the router's scheduler, never from inside `write()`.
   */
  deliver(items: readonly LogItem[]): boolean | void
  /** No more lines will come: the backlog of a non-tail subscription is out, or it was closed. */
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

export type NoticeFactory = (dropped: number, since: string) => LogItem

/**
 * The queue holds references to the same entries as the history, so its own cost is one slot per
 * line; it is bounded by lines and by bytes. When a live line finds it full, the line is dropped
 * and counted, and the subscriber keeps dropping until the sink has taken everything queued; then
 * it gets ONE overflow notice (the count and the time of the first lost line) and fresh lines
 * again. The writer and every other subscriber never see any of this.
 */
export class Subscription implements LogSubscription {
  private backlog: LogItem[]
  private backlogIndex = 0
  private readonly queue = new Queue<LogItem>()
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
    backlog: LogItem[],
    private readonly sink: LogSink,
    private readonly limits: SubscriptionLimits,
    private readonly schedule: (task: () => void) => void,
    private readonly makeNotice: NoticeFactory,
    private readonly onClose: (subscription: Subscription) => void,
    private readonly onError: (error: unknown) => void,
  ) {
    this.backlog = backlog
    this.wake()
  }

  get closed(): boolean {
    return this.isClosed
  }

  stats(): SubscriptionStats {
    return {delivered: this.delivered, dropped: this.totalDropped, queued: this.backlog.length - this.backlogIndex + this.queue.length}
  }

  /** A live line for this subscriber (already matched by the router). */
  offer(entry: LogEntry): void {
    if (this.isClosed) return
    if (this.dropping > 0) {
      if (this.queue.length > 0 || this.backlogIndex < this.backlog.length) {
        this.dropping++
        this.totalDropped++
        return
      }
      this.emitOverflowNotice()
    }
    if (this.queue.length >= this.limits.queueLines || this.queuedBytes + entry.bytes > this.limits.queueBytes) {
      this.dropping = 1
      this.totalDropped++
      this.droppingSince = entry.text.slice(0, TIMESTAMP_LENGTH)
      return
    }
    this.queue.push(entry)
    this.queuedBytes += entryBytes(entry)
    this.wake()
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
    this.queue.clear()
    this.queuedBytes = 0
    this.onClose(this)
    try {
      this.sink.end?.()
    } catch (error) {
      this.onError(error)
    }
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
    this.queuedBytes += entryBytes(notice)
  }

  /**
   * The next batch: backlog first, then the queue, then (once both are empty) the overflow notice.
   * Bounded by lines and bytes, because a sink like an HTTP response takes a whole batch into its
   * own buffer even when it then asks for a pause.
   */
  private take(): LogItem[] {
    const batch: LogItem[] = []
    const {batchLines, batchBytes} = this.limits
    let bytes = 0
    while (batch.length < batchLines && bytes < batchBytes && this.backlogIndex < this.backlog.length) {
      const item = this.backlog[this.backlogIndex++]
      if (item) {
        batch.push(item)
        bytes += entryBytes(item)
      }
    }
    if (this.backlogIndex >= this.backlog.length && this.backlog.length > 0) {
      this.backlog = []
      this.backlogIndex = 0
    }
    while (batch.length < batchLines && bytes < batchBytes && this.queue.length > 0) {
      const item = this.shiftQueue()
      batch.push(item)
      bytes += entryBytes(item)
    }
    if (this.queue.length === 0 && this.backlog.length === 0 && this.dropping > 0 && batch.length < batchLines) {
      this.emitOverflowNotice()
      batch.push(this.shiftQueue())
    }
    return batch
  }

  private shiftQueue(): LogItem {
    const item = this.queue.shift() as LogItem
    this.queuedBytes -= entryBytes(item)
    return item
  }

  private flush(): void {
    this.scheduled = false
    while (!this.isClosed && !this.paused) {
      const batch = this.take()
      if (batch.length === 0) {
        if (!this.tail) this.close()
        return
      }
      this.delivered += batch.length
      let more: boolean | void
      try {
        more = this.sink.deliver(batch)
      } catch (error) {
        this.onError(error)
        this.close()
        return
      }
      if (more === false) this.paused = true
    }
  }
}

function entryBytes(item: LogItem): number {
  return (item as Partial<LogEntry>).bytes ?? item.text.length
}
