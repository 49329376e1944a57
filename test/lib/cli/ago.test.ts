import assert from 'node:assert/strict'

import {formatTime, formatUtc, timeAgo} from '../../../src/lib/cli/ago.js'

describe('cli/ago', () => {
  const now = Date.parse('2026-11-27T11:20:29Z')

  it('formats UTC as YYYY/MM/DD HH:MM:SS +0000', () => {
    assert.equal(formatUtc(new Date('2026-01-02T03:04:05Z')), '2026/01/02 03:04:05 +0000')
  })

  it('adds a rough age in seconds, minutes and hours, and none after a day', () => {
    assert.equal(timeAgo('2026-11-27T11:20:26Z', now), '2026/11/27 11:20:26 +0000 (~ 3s ago)')
    assert.equal(timeAgo('2026-11-27T11:15:29Z', now), '2026/11/27 11:15:29 +0000 (~ 5m ago)')
    assert.equal(timeAgo('2026-11-27T08:20:29Z', now), '2026/11/27 08:20:29 +0000 (~ 3h ago)')
    assert.equal(timeAgo('2026-11-20T08:20:29Z', now), '2026/11/20 08:20:29 +0000')
  })

  it('treats a time in the future (clock skew) as just now', () => {
    assert.equal(timeAgo('2026-11-27T11:20:39Z', now), '2026/11/27 11:20:39 +0000 (~ 0s ago)')
  })

  it('says unknown for a time that is missing or not a date, never NaN', () => {
    for (const value of [undefined, null, '', 'yesterday']) {
      assert.equal(timeAgo(value, now), 'unknown')
      assert.equal(formatTime(value), 'unknown')
    }
    assert.equal(formatTime('2026-11-27T11:15:29Z'), '2026/11/27 11:15:29 +0000')
  })
})
