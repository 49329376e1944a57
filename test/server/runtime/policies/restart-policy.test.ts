import assert from 'node:assert/strict'

import {
  backoffAfterCrash,
  FIRST_BACKOFF_MS,
  MAX_BACKOFF_MS,
  NO_CRASHES,
  recordCrash,
  recordUp,
  resetForRelease,
  restartAt,
  restartDelay,
  RestartBackoff,
  STABLE_UPTIME_MS,
  type CrashHistory,
} from '../../../../src/server/runtime/policies/restart-policy.js'
import {FakeDyno} from './fake-dyno.js'

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0)

describe('restart policy', () => {
  it('names its numbers', () => {
    assert.equal(FIRST_BACKOFF_MS, 1000)
    assert.equal(MAX_BACKOFF_MS, 300_000)
    assert.equal(STABLE_UPTIME_MS, 600_000)
  })

  it('restarts the first crash at once', () => {
    const history = recordCrash(NO_CRASHES, T0, 1)
    assert.deepEqual(history, {consecutiveCrashes: 1, lastCrashAt: T0, releaseVersion: 1})
    assert.equal(restartDelay(history, T0), 0)
  })

  it('backs off exponentially from the second crash: 1 s, 2 s, 4 s ... capped at 5 min', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 50, 5000].map(backoffAfterCrash),
      [0, 1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000, 300_000],
    )
  })

  it('walks a crash loop on a fake clock, each crash right after its restart', () => {
    let history: CrashHistory = NO_CRASHES
    let now = T0
    const delays: number[] = []
    for (let i = 0; i < 12; i++) {
      history = recordCrash(history, now, 3)
      const delay = restartDelay(history, now)
      delays.push(delay)
      now += delay + 50 // restarted after the delay, crashed 50 ms later
    }
    assert.deepEqual(delays, [0, 1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000])
    assert.equal(history.consecutiveCrashes, 12)
  })

  it('counts the delay from the crash, not from when it is asked', () => {
    const history = recordCrash(recordCrash(recordCrash(NO_CRASHES, T0, 1), T0 + 10, 1), T0 + 20, 1)
    assert.equal(restartAt(history), T0 + 20 + 2000)
    assert.equal(restartDelay(history, T0 + 20), 2000)
    assert.equal(restartDelay(history, T0 + 1520), 500)
    assert.equal(restartDelay(history, T0 + 5000), 0)
  })

  it('resets after a dyno stayed up long enough', () => {
    let history = recordCrash(recordCrash(recordCrash(NO_CRASHES, T0, 1), T0 + 10, 1), T0 + 20, 1)
    history = recordUp(history, T0 + 3000)
    const crashAt = T0 + 3000 + STABLE_UPTIME_MS
    history = recordCrash(history, crashAt, 1)
    assert.deepEqual(history, {consecutiveCrashes: 1, lastCrashAt: crashAt, releaseVersion: 1})
    assert.equal(restartDelay(history, crashAt), 0)
  })

  it('does not reset when the dyno was up for less than that', () => {
    let history = recordCrash(recordCrash(NO_CRASHES, T0, 1), T0 + 10, 1)
    history = recordUp(history, T0 + 2000)
    const crashAt = T0 + 2000 + STABLE_UPTIME_MS - 1
    history = recordCrash(history, crashAt, 1)
    assert.equal(history.consecutiveCrashes, 3)
    assert.equal(restartDelay(history, crashAt), 2000)
  })

  it('applies the stable-uptime rule to a history that kept upSince through the crash', () => {
    const history: CrashHistory = {consecutiveCrashes: 7, lastCrashAt: T0 + STABLE_UPTIME_MS, upSince: T0}
    assert.equal(restartDelay(history, T0 + STABLE_UPTIME_MS), 0)
  })

  it('resets on a new release', () => {
    let history = NO_CRASHES
    for (let i = 0; i < 5; i++) history = recordCrash(history, T0 + i, 4)
    assert.equal(restartDelay(history, T0 + 4), 8000)
    assert.deepEqual(resetForRelease(5), {consecutiveCrashes: 0, releaseVersion: 5})
    assert.equal(restartDelay(resetForRelease(5), T0 + 5), 0)
    // A crash reported on a newer release than the history's also starts a new count.
    const next = recordCrash(history, T0 + 100, 5)
    assert.deepEqual(next, {consecutiveCrashes: 1, lastCrashAt: T0 + 100, releaseVersion: 5})
    assert.equal(restartDelay(next, T0 + 100), 0)
  })

  it('does not restart a dyno that never crashed later than now', () => {
    assert.equal(restartAt(NO_CRASHES), undefined)
    assert.equal(restartDelay(NO_CRASHES, T0), 0)
  })
})

describe('restart policy: RestartBackoff, fed by a dyno\'s events', () => {
  function backoff(closing = false) {
    let now = T0
    const reconciled: string[] = []
    const policy = new RestartBackoff({now: () => now, isClosing: () => closing, reconcile: (appId) => reconciled.push(appId)})
    return {policy, reconciled, tick: (ms: number) => (now += ms)}
  }

  it('the first crash waits 0, the second 1 s; once the wait is over, a restart is counted and the app reconciled', () => {
    const {policy, reconciled, tick} = backoff()
    const dyno = new FakeDyno('web.1', 'web')
    policy.starting(dyno, 2)
    policy.crashed(dyno)
    tick(100)
    policy.crashed(dyno)
    assert.deepEqual(dyno.calls, ['backOff 0', `backOff ${FIRST_BACKOFF_MS}`])
    dyno.due?.()
    assert.deepEqual([dyno.restarts, reconciled], [1, ['app-1']])
  })

  it('forget (a release, a restart, a stop) cancels the wait and starts the count again', () => {
    const {policy} = backoff()
    const dyno = new FakeDyno('web.1', 'web')
    policy.crashed(dyno)
    policy.crashed(dyno)
    policy.forget(dyno)
    policy.crashed(dyno)
    assert.deepEqual(dyno.calls, ['backOff 0', `backOff ${FIRST_BACKOFF_MS}`, 'cancelBackoff', 'backOff 0'])
  })

  it('a start on another release starts the count again; one up long enough too', () => {
    const {policy, tick} = backoff()
    const dyno = new FakeDyno('web.1', 'web')
    policy.starting(dyno, 2)
    policy.crashed(dyno)
    policy.starting(dyno, 2)
    policy.crashed(dyno)
    policy.starting(dyno, 3)
    policy.crashed(dyno)
    policy.up(dyno)
    tick(STABLE_UPTIME_MS)
    policy.crashed(dyno)
    assert.deepEqual(dyno.calls, ['backOff 0', `backOff ${FIRST_BACKOFF_MS}`, 'backOff 0', 'backOff 0'])
  })

  it('no wait is armed while the control plane closes', () => {
    const {policy} = backoff(true)
    const dyno = new FakeDyno('web.1', 'web')
    policy.crashed(dyno)
    assert.deepEqual(dyno.calls, [])
  })
})
