import assert from 'node:assert/strict'

import {HighWater, dateOf, parseLogLine, parseTimestamp} from '../../../../src/server/runtime/kubernetes/io-log-lines.js'

describe('pod log lines (timestamps=true)', () => {
  it('reads RFC 3339 times to the nanosecond, whatever the length of the fraction', () => {
    const base = BigInt(Date.parse('2026-12-06T01:02:03Z')) * 1_000_000n
    assert.equal(parseTimestamp('2026-12-06T01:02:03Z'), base)
    assert.equal(parseTimestamp('2026-12-06T01:02:03.1Z'), base + 100_000_000n)
    assert.equal(parseTimestamp('2026-12-06T01:02:03.123456789Z'), base + 123_456_789n)
    assert.equal(parseTimestamp('2026-12-06T02:02:03.5+01:00'), base + 500_000_000n)
    // Go trims trailing zeros: as text, .1 would sort after .099, as time it is later anyway.
    assert.ok((parseTimestamp('2026-12-06T01:02:03.1Z') as bigint) > (parseTimestamp('2026-12-06T01:02:03.099999999Z') as bigint))
    assert.equal(parseTimestamp('yesterday'), undefined)
    assert.equal(parseTimestamp('2026-12-06 01:02:03Z'), undefined)
    assert.equal(dateOf(base + 123_456_789n).toISOString(), '2026-12-06T01:02:03.123Z')
  })

  it('splits a line into its time and its text, spaces and empty text kept', () => {
    assert.deepEqual(parseLogLine('2026-12-06T01:02:03.5Z  two  spaces '), {raw: '2026-12-06T01:02:03.5Z', nanos: parseTimestamp('2026-12-06T01:02:03.5Z'), text: ' two  spaces '})
    assert.equal(parseLogLine('2026-12-06T01:02:03.5Z ').text, '')
    assert.deepEqual(parseLogLine('no time here'), {raw: '', nanos: undefined, text: 'no time here'})
  })

  it('drops what a re-read from the mark hands back, and keeps repeated lines that are new', () => {
    const mark = new HighWater()
    const first = mark.reader()
    const lines = ['2026-12-06T01:00:00.1Z a', '2026-12-06T01:00:00.2Z b', '2026-12-06T01:00:00.2Z b', '2026-12-06T01:00:00.2Z c'].map(parseLogLine)
    assert.deepEqual(lines.map((l) => first.admit(l)), [true, true, true, true], 'the same text twice at one time is two lines')
    assert.equal(mark.sinceTime, '2026-12-06T01:00:00.2Z')
    // A resumption with sinceTime gets the lines at the mark again, then one more `b` and a later line.
    const again = mark.reader()
    const resumed = ['2026-12-06T01:00:00.2Z b', '2026-12-06T01:00:00.2Z b', '2026-12-06T01:00:00.2Z c', '2026-12-06T01:00:00.2Z b', '2026-12-06T01:00:00.3Z d'].map(parseLogLine)
    assert.deepEqual(resumed.map((l) => again.admit(l)), [false, false, false, true, true])
    // A server that rounds sinceTime down to the second hands back older lines too.
    const rounded = mark.reader()
    assert.deepEqual([...lines, ...resumed].map((l) => rounded.admit(l)), Array(9).fill(false))
    assert.equal(mark.reader().admit(parseLogLine('untimed line')), true)
  })
})
