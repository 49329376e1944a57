// Which web dyno gets the next request: the `up` one with the fewest requests in flight
// (least outstanding requests, which adapts to slow dynos better than plain round robin), ties
// broken round robin so that an idle app still spreads its requests over every dyno. Draining
// dynos get nothing new.
import type {WebDyno} from './directory.js'

/** A dyno is one endpoint: a restarted dyno with the same name on another port is another one. */
export function endpointKey(appName: string, dyno: Pick<WebDyno, 'name' | 'host' | 'port'>): string {
  return `${appName}\u0000${dyno.name}\u0000${dyno.host}:${dyno.port}`
}

/** `web.2` before `web.10`. One collator: `localeCompare` with options builds one per call. */
const byName = new Intl.Collator('en', {numeric: true}).compare

interface Drain {
  /** Until when a finished drain still keeps new requests off the endpoint (the dyno is being stopped). */
  holdUntil?: number
  waiters: Array<() => void>
}

export class Balancer {
  private readonly outstanding = new Map<string, number>()
  private readonly turns = new Map<string, number>()
  private readonly draining = new Map<string, Drain>()

  constructor(private readonly now: () => number = Date.now) {}

  /** The dynos that may get a request now: up, not draining, not excluded. */
  candidates(appName: string, dynos: readonly WebDyno[], exclude: ReadonlySet<string> = new Set()): WebDyno[] {
    this.forgetStaleDrains(appName, dynos)
    const draining = this.draining.size > 0
    return dynos.filter((d) => d.state === 'up' && (exclude.size === 0 || !exclude.has(d.name)) && (!draining || !this.draining.has(endpointKey(appName, d))))
  }

  isDraining(appName: string, dyno: WebDyno): boolean {
    return this.draining.has(endpointKey(appName, dyno))
  }

  pick(appName: string, dynos: readonly WebDyno[], exclude: ReadonlySet<string> = new Set()): WebDyno | undefined {
    const candidates = this.candidates(appName, dynos, exclude)
    if (candidates.length === 0) return undefined
    const turn = this.turns.get(appName) ?? 0
    this.turns.set(appName, turn + 1)
    if (candidates.length === 1) return candidates[0]
    const counts = candidates.map((d) => this.inFlight(appName, d))
    const least = Math.min(...counts)
    const ties = candidates.filter((_, i) => counts[i] === least).sort((a, b) => byName(a.name, b.name))
    return ties[turn % ties.length]
  }

  inFlight(appName: string, dyno: Pick<WebDyno, 'name' | 'host' | 'port'>): number {
    return this.outstanding.get(endpointKey(appName, dyno)) ?? 0
  }

  /** Counts a request against the dyno; the returned function (idempotent) uncounts it. */
  begin(appName: string, dyno: WebDyno): () => void {
    const key = endpointKey(appName, dyno)
    this.enter(key)
    let done = false
    return () => {
      if (done) return
      done = true
      this.leave(key)
    }
  }

  /** `begin` by the endpoint's key, without a closure (the fast path keeps the key): `leave` once for each. */
  enter(key: string): void {
    this.outstanding.set(key, (this.outstanding.get(key) ?? 0) + 1)
  }

  leave(key: string): void {
    const left = (this.outstanding.get(key) ?? 1) - 1
    if (left > 0) this.outstanding.set(key, left)
    else {
      this.outstanding.delete(key)
      const drain = this.draining.get(key)
      if (drain) for (const wake of drain.waiters.splice(0)) wake()
    }
  }

  /**
   * Takes the endpoint out of rotation and resolves once nothing is in flight to it, or after
   * `timeoutMs`. It stays out for `holdMs` after that (the runtime stops it meanwhile), or until
   * the directory shows it stopped, restarted elsewhere or gone.
   */
  async drain(appName: string, dyno: WebDyno, options: {timeoutMs: number; holdMs: number}): Promise<{idle: boolean}> {
    const key = endpointKey(appName, dyno)
    let drain = this.draining.get(key)
    if (!drain) {
      drain = {waiters: []}
      this.draining.set(key, drain)
    }
    delete drain.holdUntil
    const current = drain
    const idle = await new Promise<boolean>((resolve) => {
      if (!this.outstanding.has(key)) return resolve(true)
      const wake = (): void => {
        clearTimeout(timer)
        resolve(true)
      }
      const timer = setTimeout(() => {
        const index = current.waiters.indexOf(wake)
        if (index !== -1) current.waiters.splice(index, 1)
        resolve(false)
      }, options.timeoutMs)
      current.waiters.push(wake)
    })
    current.holdUntil = this.now() + options.holdMs
    return {idle}
  }

  /** Drop drain marks whose dyno has stopped, moved or vanished, or whose hold has passed. */
  private forgetStaleDrains(appName: string, dynos: readonly WebDyno[]): void {
    if (this.draining.size === 0) return
    const prefix = `${appName}\u0000`
    const live = new Set(dynos.filter((d) => d.state === 'up').map((d) => endpointKey(appName, d)))
    const now = this.now()
    for (const [key, drain] of this.draining) {
      if (!key.startsWith(prefix)) continue
      const expired = drain.holdUntil !== undefined && now >= drain.holdUntil
      if ((expired || !live.has(key)) && drain.waiters.length === 0) this.draining.delete(key)
    }
  }
}
