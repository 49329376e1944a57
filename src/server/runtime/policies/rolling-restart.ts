// Issue 7: a restart of two or more web dynos goes one at a time, each once the previous one is up
// again (or crashed, or out of its boot time), so that some dyno always serves. The app's runtime
// setting `rolling_restart` (on by default; not a config var: changing it makes no release) turns
// it off. A later restart of the same app takes over from a sequence in progress.
import type {Store} from '../../store/index.js'
import {ROLLING_RESTART_DEFAULT} from '../../store/runtime-settings.js'
import type {ManagedDyno} from '../contracts.js'

/** How often a rolling restart looks whether the dyno it restarted is up. */
const POLL_MS = 200

export interface RollingRestartContext {
  store: Pick<Store, 'runtimeSettings'>
  bootTimeoutMs: number
  isClosing(): boolean
  /** Whether the manager still runs this very dyno (not dropped, not replaced). */
  owns(dyno: ManagedDyno): boolean
  onError(error: unknown): void
}

export class RollingRestart {
  /** Rolling restarts in progress: the latest sequence number per app. */
  private readonly sequences = new Map<string, number>()

  constructor(private readonly context: RollingRestartContext) {}

  /** Restarts the web dynos: one by one when the setting says so and there are two or more. */
  restart(appId: string, web: ManagedDyno[]): void {
    if (web.length >= 2 && this.enabled(appId)) void this.oneByOne(appId, web)
    else for (const dyno of web) void dyno.stop('restart')
  }

  private enabled(appId: string): boolean {
    return this.context.store.runtimeSettings.get(appId).rolling_restart ?? ROLLING_RESTART_DEFAULT
  }

  private async oneByOne(appId: string, dynos: ManagedDyno[]): Promise<void> {
    const {isClosing, owns} = this.context
    const sequence = (this.sequences.get(appId) ?? 0) + 1
    this.sequences.set(appId, sequence)
    const current = (): boolean => !isClosing() && this.sequences.get(appId) === sequence
    dynos.sort((a, b) => a.name.localeCompare(b.name, 'en', {numeric: true}))
    try {
      for (const dyno of dynos) {
        if (!current() || !owns(dyno) || !dyno.active) continue
        await dyno.stop('restart')
        // Stopped, it starts again through the reconcile that follows its exit.
        const deadline = Date.now() + this.context.bootTimeoutMs + 5000
        while (current() && owns(dyno) && dyno.phase !== 'up' && dyno.phase !== 'backoff' && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, POLL_MS))
        }
      }
    } catch (error) {
      this.context.onError(error)
    } finally {
      if (this.sequences.get(appId) === sequence) this.sequences.delete(appId)
    }
  }
}
