// When to restart a crashed dyno. The rules are pure functions: the caller keeps one CrashHistory
// per dyno and passes the time in, so tests run on a fake clock. `RestartBackoff` (at the end)
// applies them to the dynos, fed by their slots' events.
//
// The numbers, and why:
// - The first crash restarts at once: most crashes are one-off (a bad request, a dropped
//   connection at boot) and the user expects the dyno back immediately, as on Heroku.
// - After that the wait doubles from 1 s: a dyno that crashes in a loop would otherwise burn CPU
//   and flood the app's log with boot lines, while a dependency that is briefly down (a database
//   restarting) is still retried within seconds.
// - Capped at 5 minutes: a crash loop caused by something outside the app (a missing config var
//   fixed without a release, a service coming back) heals within 5 minutes with nobody watching.
// - Reset after 10 minutes up: a dyno that ran that long has proved it can boot; its next crash
//   is a new incident and gets the immediate restart again.
// - Reset by a new release: new code or config deserves a fresh start.

import type {ManagedDyno} from '../contracts.js'

export const FIRST_BACKOFF_MS = 1000
export const BACKOFF_FACTOR = 2
export const MAX_BACKOFF_MS = 5 * 60 * 1000
export const STABLE_UPTIME_MS = 10 * 60 * 1000

export interface CrashHistory {
  /** Crashes since the last reset, the latest included. 0 = never crashed (or reset). */
  consecutiveCrashes: number
  /** Epoch ms of the latest crash. */
  lastCrashAt?: number
  /** Epoch ms since which the current run has been up (unset while starting or after a crash). */
  upSince?: number
  /** The release the crashes happened on; a crash on another release starts a new count. */
  releaseVersion?: number
}

export const NO_CRASHES: CrashHistory = Object.freeze({consecutiveCrashes: 0})

/** The wait after the `n`-th consecutive crash, counted from that crash (n >= 1). */
export function backoffAfterCrash(n: number): number {
  if (n <= 1) return 0
  // Clamp the exponent: past the cap the value is MAX_BACKOFF_MS anyway, and 2^1000 is Infinity.
  const exponent = Math.min(n - 2, 64)
  return Math.min(FIRST_BACKOFF_MS * BACKOFF_FACTOR ** exponent, MAX_BACKOFF_MS)
}

/** Whether the run that ended with the latest crash had been up long enough to reset the count. */
function wasStable(upSince: number | undefined, crashedAt: number): boolean {
  return upSince !== undefined && crashedAt - upSince >= STABLE_UPTIME_MS
}

/** The history after a crash at `at` on release `releaseVersion`. */
export function recordCrash(history: CrashHistory, at: number, releaseVersion?: number): CrashHistory {
  const newRelease = releaseVersion !== undefined && history.releaseVersion !== undefined && releaseVersion !== history.releaseVersion
  const reset = newRelease || wasStable(history.upSince, at)
  return {
    consecutiveCrashes: reset ? 1 : history.consecutiveCrashes + 1,
    lastCrashAt: at,
    releaseVersion: releaseVersion ?? history.releaseVersion,
  }
}

/** The history once the dyno is up (web: accepting connections; other types: started). */
export function recordUp(history: CrashHistory, at: number): CrashHistory {
  return {...history, upSince: at}
}

/** A new release (deploy, config change, rollback) forgets past crashes. */
export function resetForRelease(releaseVersion: number): CrashHistory {
  return {consecutiveCrashes: 0, releaseVersion}
}

/** Epoch ms at which the dyno may be started again (lastCrashAt + back-off). */
export function restartAt(history: CrashHistory): number | undefined {
  if (history.lastCrashAt === undefined || history.consecutiveCrashes === 0) return undefined
  if (wasStable(history.upSince, history.lastCrashAt)) return history.lastCrashAt
  return history.lastCrashAt + backoffAfterCrash(history.consecutiveCrashes)
}

/**
 * How long to wait, from `now`, before restarting a dyno with this history. 0 = at once.
 * The stable-uptime rule is applied here too, so a history whose `upSince` was kept through the
 * crash (rather than passed through recordCrash) still gets the immediate restart.
 */
export function restartDelay(history: CrashHistory, now: number): number {
  const at = restartAt(history)
  return at === undefined ? 0 : Math.max(0, at - now)
}

/** What the back-off needs besides a dyno: the clock, and a reconcile once the wait is over. */
export interface RestartBackoffContext {
  now(): number
  isClosing(): boolean
  /** Starts what the app lacks: the dyno whose wait is over, among others. */
  reconcile(appId: string): void
}

/**
 * The policy above, fed by the slots' events: one CrashHistory per dyno (kept here, not on the
 * dyno), a crash puts the dyno in `backoff` for `restartDelay`, then it is started again.
 */
export class RestartBackoff {
  private readonly histories = new WeakMap<ManagedDyno, CrashHistory>()

  constructor(private readonly context: RestartBackoffContext) {}

  /** A release, restart or stop: forget past crashes, and no wait. */
  forget(dyno: ManagedDyno): void {
    this.histories.set(dyno, NO_CRASHES)
    dyno.cancelBackoff()
  }

  starting(dyno: ManagedDyno, releaseVersion: number): void {
    if (!dyno.oneOff && this.history(dyno).releaseVersion !== releaseVersion) this.histories.set(dyno, resetForRelease(releaseVersion))
  }

  up(dyno: ManagedDyno): void {
    this.histories.set(dyno, recordUp(this.history(dyno), this.context.now()))
  }

  crashed(dyno: ManagedDyno): void {
    const history = recordCrash(this.history(dyno), this.context.now())
    this.histories.set(dyno, history)
    if (this.context.isClosing()) return
    dyno.backOff(restartDelay(history, this.context.now()), () => {
      dyno.restarts++
      this.context.reconcile(dyno.appId)
    })
  }

  private history(dyno: ManagedDyno): CrashHistory {
    return this.histories.get(dyno) ?? NO_CRASHES
  }
}
