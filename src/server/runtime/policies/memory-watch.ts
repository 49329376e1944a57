// Memory limits, as Heroku's R14 and R15: every few seconds each running dyno's resident memory is
// sampled; above its size's quota the log says so (R14), above MEMORY_KILL_FACTOR times the quota
// it is restarted (R15; a one-off is stopped for good).
import type {ManagedDyno, PlatformEvent} from '../contracts.js'

export const DEFAULT_MEMORY_INTERVAL_MS = 5000
/** Above quota x this, the dyno is restarted (R15); above quota it is only logged (R14). */
export const MEMORY_KILL_FACTOR = 2

export interface MemoryWatchContext {
  dynos(): Iterable<ManagedDyno>
  /** The dyno's memory quota in bytes (its size's), undefined when its record is gone. */
  quotaBytes(appId: string, dynoId: string): number | undefined
  isClosing(): boolean
  event: PlatformEvent
  onError(error: unknown): void
}

export class MemoryWatch {
  private sampling = false

  constructor(private readonly context: MemoryWatchContext) {}

  async sample(): Promise<void> {
    const {event} = this.context
    if (this.sampling || this.context.isClosing()) return
    this.sampling = true
    try {
      for (const dyno of [...this.context.dynos()]) {
        const handle = dyno.handle
        if (!handle || dyno.phase !== 'up') continue
        const bytes = await handle.memoryBytes()
        if (dyno.handle !== handle || bytes === undefined) continue
        dyno.memoryBytes = bytes
        const quota = this.context.quotaBytes(dyno.appId, dyno.dynoId)
        if (quota === undefined || bytes <= quota) continue
        const mb = Math.round(bytes / 1024 ** 2)
        const percent = Math.round((bytes / quota) * 100)
        event(dyno.appId, dyno.name, `Process running mem=${mb}M(${percent}.0%)`)
        if (bytes > quota * MEMORY_KILL_FACTOR) {
          event(dyno.appId, dyno.name, 'Error R15 (Memory quota vastly exceeded)')
          void dyno.stop(dyno.oneOff ? 'stop' : 'memory')
        } else {
          event(dyno.appId, dyno.name, 'Error R14 (Memory quota exceeded)')
        }
      }
    } catch (error) {
      this.context.onError(error)
    } finally {
      this.sampling = false
    }
  }
}
