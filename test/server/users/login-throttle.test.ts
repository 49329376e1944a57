import assert from 'node:assert/strict'
import {describe, it} from 'mocha'
import {LoginThrottle} from '../../../src/server/users/login-throttle.js'

describe('login throttle (pure, a clock of its own)', () => {
  let now = Date.parse('2026-12-01T12:00:00Z')
  const clock = () => new Date(now)

  it('refuses an email after 10 failures within a minute, for as long as the oldest of them still counts', () => {
    const throttle = new LoginThrottle(clock)
    for (let i = 0; i < 10; i++) {
      assert.equal(throttle.refusal('Bob@example.com', '10.0.0.1'), undefined, `try ${i + 1}`)
      throttle.failed('bob@example.com', `10.0.0.${i}`)
      now += 1000
    }
    // The first failure was 10 s ago: 50 s left. Another address, the same email: refused too.
    assert.equal(throttle.refusal('bob@example.com', '192.168.1.1'), 50)
    assert.equal(throttle.refusal('BOB@example.com', '10.0.0.1'), 50, 'emails without case')
    assert.equal(throttle.refusal('ada@example.com', '192.168.1.1'), undefined, 'other emails are not locked out')
    now += 50_000
    assert.equal(throttle.refusal('bob@example.com', '10.0.0.1'), undefined, 'a minute after the first failure, one try is free again')
  })

  it('refuses an address after 30 failures within a minute, whatever emails they tried', () => {
    const throttle = new LoginThrottle(clock)
    for (let i = 0; i < 30; i++) throttle.failed(`user${i}@example.com`, '10.9.9.9')
    assert.equal(throttle.refusal('new@example.com', '10.9.9.9'), 60)
    assert.equal(throttle.refusal('new@example.com', '10.9.9.8'), undefined)
  })
})
