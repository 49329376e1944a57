// Runs schedules (the `schedules` table) as one-off dynos `scheduler.N`. One timer per schedule,
// set to its next run (re-armed at least every minute, so a long wait survives clock changes).
// A run still going when the next one is due is not started twice (the log says so). Runs missed
// while the control plane was down are not replayed: at start, a schedule whose previous due time
// is after its last run gets one log line saying so.
import type {ScheduleRecord, Store} from '../store/index.js'
import {toTimestamp} from '../store/index.js'
import {nextRun, parseCron} from './cron.js'

export const SCHEDULER_TYPE = 'scheduler'
/** Timers are re-armed at least this often. */
const MAX_TIMER_MS = 60_000

export interface SchedulerRuntime {
  /** Starts the run; answers the one-off's id. */
  runScheduled(appId: string, schedule: ScheduleRecord): Promise<string>
  isRunning(dynoId: string): boolean
  event(appId: string, dyno: string, message: string): void
}

export function nextRunOf(schedule: Pick<ScheduleRecord, 'expression' | 'timezone'>, after: Date): Date | undefined {
  try {
    return nextRun(parseCron(schedule.expression), after, schedule.timezone)
  } catch {
    return undefined
  }
}

export class Scheduler {
  private readonly timers = new Map<string, {appId: string; timer: NodeJS.Timeout}>()
  /** schedule id -> the one-off of its latest run. */
  private readonly lastRun = new Map<string, string>()
  private closed = false

  constructor(
    private readonly store: Store,
    private readonly runtime: SchedulerRuntime,
    private readonly now: () => number = Date.now,
  ) {}

  /** Arms every schedule; logs the runs missed while no control plane was running. */
  start(): void {
    const now = new Date(this.now())
    for (const schedule of this.store.schedules.listAll()) {
      const since = new Date(schedule.last_run_at ?? schedule.created_at)
      const missed = nextRunOf(schedule, since)
      if (missed !== undefined && missed.getTime() < now.getTime() - 1000) {
        this.runtime.event(
          schedule.app_id,
          SCHEDULER_TYPE,
          `Missed the run of "${schedule.command}" (${schedule.expression}) due at ${missed.toISOString()} while the control plane was down; not replayed`,
        )
      }
      this.arm(schedule.app_id, schedule.id)
    }
  }

  /** The app's schedules changed (added, removed): re-arm them. */
  changed(appId: string): void {
    const ids = new Set(this.store.schedules.list(appId).map((s) => s.id))
    for (const [id, armed] of this.timers) {
      if (armed.appId !== appId || ids.has(id)) continue
      clearTimeout(armed.timer)
      this.timers.delete(id)
    }
    for (const id of ids) if (!this.timers.has(id)) this.arm(appId, id)
  }

  close(): void {
    this.closed = true
    for (const armed of this.timers.values()) clearTimeout(armed.timer)
    this.timers.clear()
  }

  private arm(appId: string, id: string): void {
    if (this.closed) return
    const schedule = this.store.schedules.get(appId, id)
    if (!schedule) {
      this.timers.delete(id)
      return
    }
    const due = nextRunOf(schedule, new Date(this.now()))
    if (due === undefined) return
    const wait = Math.max(0, due.getTime() - this.now())
    const timer = setTimeout(() => {
      this.timers.delete(id)
      if (wait > MAX_TIMER_MS) this.arm(appId, id)
      else void this.fire(appId, id, due).finally(() => this.arm(appId, id))
    }, Math.min(wait, MAX_TIMER_MS))
    timer.unref()
    this.timers.set(id, {appId, timer})
  }

  /** One due run (public for tests: the timers call it at the due time). */
  async fire(appId: string, id: string, due: Date): Promise<void> {
    if (this.closed) return
    const schedule = this.store.schedules.get(appId, id)
    if (!schedule) return
    const previous = this.lastRun.get(id)
    if (previous !== undefined && this.runtime.isRunning(previous)) {
      const record = this.store.dynos.get(appId, previous)
      this.runtime.event(appId, record?.name ?? SCHEDULER_TYPE, `Skipping the run of "${schedule.command}" due at ${due.toISOString()}: the previous run is still going`)
      return
    }
    this.store.schedules.markRun(appId, id, due)
    try {
      this.lastRun.set(id, await this.runtime.runScheduled(appId, schedule))
    } catch (error) {
      this.runtime.event(appId, SCHEDULER_TYPE, `Could not start the run of "${schedule.command}": ${(error as Error).message}`)
    }
  }
}

export function scheduleTimestamp(date: Date | undefined): string | null {
  return date === undefined ? null : toTimestamp(date)
}
