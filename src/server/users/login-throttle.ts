// Failed logins are counted per account (the email asked for, whether it exists or not, so that
// the answer says nothing about which emails exist) and per address, over a sliding minute. Past
// the limit a login is refused before its password is checked: a guesser gets no answer at all.
import type {Clock} from '../store/index.js'

export interface ThrottleLimits {
  perAccount: number
  perAddress: number
  windowMs: number
}

export const DEFAULT_THROTTLE: ThrottleLimits = {perAccount: 10, perAddress: 30, windowMs: 60_000}
/** Keys kept at most: past it the oldest go first (a flood of made-up emails cannot grow memory). */
const MAX_KEYS = 100_000

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>()

  constructor(private readonly clock: Clock, private readonly limits: ThrottleLimits = DEFAULT_THROTTLE) {}

  /** Seconds to wait before another try for this email or from this address; undefined when a try may go ahead. */
  refusal(email: string, address: string): number | undefined {
    const now = this.clock().getTime()
    const waits = [this.waitFor(`account:${email.toLowerCase()}`, this.limits.perAccount, now), this.waitFor(`address:${address}`, this.limits.perAddress, now)]
    const wait = Math.max(...waits.map((w) => w ?? 0))
    return wait > 0 ? Math.ceil(wait / 1000) : undefined
  }

  failed(email: string, address: string): void {
    const now = this.clock().getTime()
    for (const key of [`account:${email.toLowerCase()}`, `address:${address}`]) {
      const times = this.recent(key, now)
      times.push(now)
      this.failures.delete(key)
      this.failures.set(key, times)
    }
    while (this.failures.size > MAX_KEYS) this.failures.delete(this.failures.keys().next().value as string)
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => now - t < this.limits.windowMs)
  }

  private waitFor(key: string, limit: number, now: number): number | undefined {
    const times = this.recent(key, now)
    if (times.length < limit) return undefined
    // The try that would free a slot: when the oldest failure still counted leaves the window.
    return (times[times.length - limit] as number) + this.limits.windowMs - now
  }
}
