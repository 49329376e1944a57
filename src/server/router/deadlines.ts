// One timer for many deadlines of the same length (issue 19): the fast path's response timeout
// (H12), headers timeout and keep-alive timeout. A deadline added later never expires earlier, so
// the queue is first in, first out, and one timer armed for its oldest live entry serves all of
// them: adding is a push, cancelling is a field write, no timer is created or cleared per request.

/** Something that can wait in a `DeadlineQueue`; one queue at a time. */
export interface Expiring {
  /** The id of its current deadline (0: none). Set by the queue; cancelling sets it to 0. */
  deadlineId: number
  onExpire(): void
}

let lastId = 0

export class DeadlineQueue {
  private items: Expiring[] = []
  private ids: number[] = []
  private times: number[] = []
  private head = 0
  private timer: NodeJS.Timeout | undefined

  constructor(
    readonly durationMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts (or restarts) the item's deadline: `durationMs` from now (`now`: a clock reading the caller has already). */
  add(item: Expiring, now: number = this.now()): void {
    // Entries done with (the common case: the answer came) leave from the front as new ones come,
    // so the queue holds about the live ones, not every request of the last `durationMs`.
    while (this.head < this.items.length && (this.items[this.head] as Expiring).deadlineId !== this.ids[this.head]) this.head++
    this.compact()
    const id = ++lastId
    const at = now + this.durationMs
    item.deadlineId = id
    this.items.push(item)
    this.ids.push(id)
    this.times.push(at)
    if (this.timer === undefined) this.arm(at)
  }

  static cancel(item: Expiring): void {
    item.deadlineId = 0
  }

  /** Entries still queued, live or cancelled (tests). */
  get size(): number {
    return this.items.length - this.head
  }

  /** Stops the timer and forgets every entry (close). */
  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.items = []
    this.ids = []
    this.times = []
    this.head = 0
  }

  private arm(at: number): void {
    // Unref'd: a deadline alone must not keep the process alive (its sockets do while they matter).
    this.timer = setTimeout(this.fire, Math.max(1, at - this.now()))
    this.timer.unref()
  }

  private readonly fire = (): void => {
    this.timer = undefined
    const now = this.now()
    while (this.head < this.items.length) {
      const item = this.items[this.head] as Expiring
      const id = this.ids[this.head] as number
      // Cancelled or restarted since: this entry is stale, whenever it was due.
      if (item.deadlineId !== id) {
        this.head++
        continue
      }
      const at = this.times[this.head] as number
      if (at > now) {
        this.arm(at)
        break
      }
      this.head++
      item.deadlineId = 0
      item.onExpire()
    }
    this.compact()
  }

  private compact(): void {
    // Batched: resetting three arrays on every request costs more than the entries they hold.
    if (this.head < 64) return
    if (this.head === this.items.length) {
      this.items.length = 0
      this.ids.length = 0
      this.times.length = 0
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head)
      this.ids.splice(0, this.head)
      this.times.splice(0, this.head)
      this.head = 0
    }
  }
}
