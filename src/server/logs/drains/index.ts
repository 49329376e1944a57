// The drains of one log router: started for every stored drain when the API comes up, added and
// removed with the log-drains routes, stopped with their app or the router.
import type {LogRouter} from '../router.js'
import {createDrain, type AnyDrain, type DrainOptions, type DrainStats, type DrainTarget} from './drain.js'

export {createDrain, DRAIN_DEFAULTS, HttpsDrain, SyslogDrain, type DrainOptions, type DrainStats, type DrainTarget} from './drain.js'
export {octetFrame, parseOctetFrames, SYSLOG_PRI, syslogFrame, syslogMessage} from './frame.js'

export class DrainManager {
  private readonly drains = new Map<string, AnyDrain>()
  private closed = false

  constructor(private readonly router: LogRouter, private readonly options: DrainOptions = {}) {}

  /** Starts delivery to a drain (no-op when it already runs). */
  add(target: DrainTarget): void {
    if (this.closed || this.drains.has(target.id)) return
    const drain = createDrain(target, this.router, this.options)
    this.drains.set(target.id, drain)
    // Its app was removed from the router, or the router closed.
    drain.onClosed = () => {
      if (this.drains.get(target.id) === drain) this.drains.delete(target.id)
    }
    drain.start()
  }

  /** Starts every drain not running yet. */
  sync(targets: readonly DrainTarget[]): void {
    for (const target of targets) this.add(target)
  }

  remove(id: string): void {
    this.drains.get(id)?.close()
    this.drains.delete(id)
  }

  removeApp(appId: string): void {
    for (const [id, drain] of this.drains) if (drain.target.appId === appId) this.remove(id)
  }

  stats(id: string): DrainStats | undefined {
    return this.drains.get(id)?.stats()
  }

  close(): void {
    this.closed = true
    for (const id of [...this.drains.keys()]) this.remove(id)
  }
}
