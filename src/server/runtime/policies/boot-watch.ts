// R10: a web dyno is `up` once it accepts connections on $PORT; one that does not within the boot
// timeout is killed with SIGKILL, and its exit counts as a crash (DESIGN.md, runtime semantics).
import type {DynoHandle} from '../backend.js'
import type {ManagedDyno, PlatformEvent} from '../contracts.js'

export const DEFAULT_BOOT_TIMEOUT_MS = 60_000
/** How often a booting web dyno's port is tried. */
export const BOOT_POLL_MS = 200

export interface BootWatchContext {
  bootTimeoutMs: number
  now(): number
  /** The loopback address dynos listen on (ports.ts). */
  loopback: string
  isAccepting(port: number, host: string): Promise<boolean>
  event: PlatformEvent
}

export class BootWatch {
  constructor(private readonly context: BootWatchContext) {}

  /** Polls the dyno's port until it accepts (then marks it up) or its boot time is over (R10). */
  watch(dyno: ManagedDyno, handle: DynoHandle, port: number): void {
    const {bootTimeoutMs, loopback, isAccepting, event} = this.context
    const deadline = this.context.now() + bootTimeoutMs
    const booting = (): boolean => dyno.handle === handle && dyno.phase === 'starting'
    const poll = async (): Promise<void> => {
      if (!booting()) return
      // An app that listens on `localhost` may get only ::1 (Node resolves localhost to it first on
      // some systems): either loopback counts, and the router is told which one.
      for (const host of [loopback, '::1']) {
        if (!(await isAccepting(port, host))) continue
        if (dyno.handle === handle) {
          dyno.host = host
          dyno.markUp()
        }
        return
      }
      if (!booting()) return
      if (this.context.now() >= deadline) {
        const seconds = Math.round(bootTimeoutMs / 1000)
        event(dyno.appId, dyno.name, `Error R10 (Boot timeout) -> Web process failed to bind to $PORT within ${seconds} seconds of launch`)
        event(dyno.appId, dyno.name, 'Stopping process with SIGKILL')
        dyno.failBoot(handle)
        return
      }
      dyno.arm('boot', BOOT_POLL_MS, () => void poll())
    }
    void poll()
  }
}
