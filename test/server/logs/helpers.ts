// Shared by the log router's tests: a scheduler that runs only when told, a settable clock, a
// sink that records, and waiting on a condition with a deadline.
import type {LineSink, LogItem} from '../../../src/server/logs/subscription.js'

/** 2026-11-27T11:15:41.123456+00:00 in microseconds. */
export const T0 = Date.UTC(2026, 10, 27, 11, 15, 41, 123) * 1000 + 456

export class ManualScheduler {
  private tasks: (() => void)[] = []
  readonly schedule = (task: () => void): void => {
    this.tasks.push(task)
  }

  get pending(): number {
    return this.tasks.length
  }

  /** Runs tasks (and the tasks they schedule) until none is left. */
  run(): void {
    for (let guard = 0; this.tasks.length > 0; guard++) {
      if (guard > 100_000) throw new Error('scheduler never settles')
      const task = this.tasks.shift()
      task?.()
    }
  }
}

export class FakeClock {
  constructor(public micros = T0) {}
  readonly now = (): number => this.micros
}

export class RecordingSink implements LineSink {
  items: LogItem[] = []
  batches = 0
  ended = 0
  /** What deliver returns: false pauses the subscription. */
  accept = true

  deliver(items: readonly LogItem[]): boolean {
    this.batches++
    this.items.push(...items)
    return this.accept
  }

  end(): void {
    this.ended++
  }

  get texts(): string[] {
    return this.items.map((item) => item.text)
  }

  get ids(): (number | undefined)[] {
    return this.items.map((item) => item.id)
  }
}
