// Memory limits, as Heroku's R14 and R15: every few seconds each running dyno's resident memory is
// sampled; above its size's quota the log says so (R14), above MEMORY_KILL_FACTOR times the quota
// it is restarted (R15; a one-off is stopped for good).
//
// Where the dyno has a cgroup (runtime/cgroups.ts), the figure is the cgroup's own (what the
// kernel charges it) and the kernel enforces the R15 line itself: its hard limit is that same
// MEMORY_KILL_FACTOR x quota, so a dyno never gets above it here, and its exit after the kernel's
// kill is logged as R15 by its slot (a dyno that runs on after the kernel killed one of its
// processes is restarted here, with R15). Without cgroups, the figure is the sum of its processes' RSS
// from /proc and this watch is what stops it.
import {MEMORY_KILL_FACTOR} from '../../domain/catalog.js'
import type {DynoHandle} from '../backend.js'
import type {ManagedDyno, PlatformEvent} from '../contracts.js'

export const DEFAULT_MEMORY_INTERVAL_MS = 5000
export {MEMORY_KILL_FACTOR}

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
  /** Handles whose cgroup showed an OOM kill at the last round. */
  private readonly killed = new WeakSet<DynoHandle>()

  constructor(private readonly context: MemoryWatchContext) {}

  async sample(): Promise<void> {
    const {event} = this.context
    if (this.sampling || this.context.isClosing()) return
    this.sampling = true
    try {
      for (const dyno of [...this.context.dynos()]) {
        const handle = dyno.handle
        if (!handle || dyno.phase !== 'up') continue
        if (this.survivedOomKill(handle)) {
          event(dyno.appId, dyno.name, 'Error R15 (Memory quota vastly exceeded)')
          void dyno.stop(dyno.oneOff ? 'stop' : 'memory')
          continue
        }
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

  /**
   * The kernel killed one of its processes at the hard limit and the dyno still runs without it, a
   * whole round later: it is restarted as any R15. A round's wait, because when the main process
   * itself was killed its exit is on its way, and says R15 itself (DynoExit.outOfMemory).
   */
  private survivedOomKill(handle: DynoHandle): boolean {
    if ((handle.oomKills?.() ?? 0) === 0) return false
    if (this.killed.has(handle)) return true
    this.killed.add(handle)
    return false
  }
}
