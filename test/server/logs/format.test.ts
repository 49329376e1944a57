import assert from 'node:assert/strict'

import {formatTimestamp, parseLogLine} from '../../../src/shared/log-line.js'
import {
  CONTINUATION_MARKER,
  formatMicros,
  parseMicros,
  safeDyno,
  systemMicros,
  safeSource,
  splitLines,
  splitLong,
} from '../../../src/server/logs/format.js'
import {T0} from './helpers.js'

function rejoin(pieces: string[]): string {
  return pieces.map((piece, i) => (i === 0 ? piece : piece.slice(CONTINUATION_MARKER.length))).join('')
}

describe('logs/format', () => {
  describe('formatMicros', () => {
    it('formats microseconds since the epoch with six digits and +00:00', () => {
      assert.equal(formatMicros(T0), '2026-11-27T11:15:41.123456+00:00')
      assert.equal(formatMicros(T0 + 1), '2026-11-27T11:15:41.123457+00:00')
      assert.equal(formatMicros(Date.UTC(2026, 0, 1) * 1000), '2026-01-01T00:00:00.000000+00:00')
      assert.equal(formatMicros(Date.UTC(2026, 0, 1) * 1000 - 1), '2025-12-31T23:59:59.999999+00:00')
      assert.equal(formatMicros(T0 + 0.25), '2026-11-27T11:15:41.123456+00:00')
    })

    it('agrees with formatTimestamp from src/shared/log-line across second boundaries', () => {
      for (const micros of [T0, T0 + 876_543, T0 + 876_544, T0 + 999_999_999, 0, 1, 999_999, 1_000_000]) {
        const ms = Math.floor(micros / 1000)
        assert.equal(formatMicros(micros), formatTimestamp(new Date(ms), micros - ms * 1000), `at ${micros}`)
      }
    })

    it('is undone by parseMicros', () => {
      assert.equal(parseMicros(formatMicros(T0)), T0)
      assert.equal(parseMicros('2026-11-27T11:15:41.123456Z'), undefined)
      assert.equal(parseMicros('garbage'), undefined)
    })
  })

  describe('systemMicros', () => {
    it('reads the wall clock in microseconds', () => {
      const before = Date.now() * 1000
      const micros = systemMicros()
      const after = Date.now() * 1000
      assert.ok(Number.isInteger(micros))
      // Anchored to Date.now() to the millisecond, so within a ms of the readings around it.
      assert.ok(micros >= before - 1000 && micros <= after + 1000, `${before} <= ${micros} <= ${after}`)
    })
  })

  describe('safe names', () => {
    it('keeps ordinary dyno names and replaces what would break the header', () => {
      assert.equal(safeDyno('web.1'), 'web.1')
      assert.equal(safeDyno('web-1234abcde-123ab'), 'web-1234abcde-123ab')
      assert.equal(safeDyno('we b]: x'), 'we_b___x')
      assert.equal(safeDyno(''), '-')
      assert.equal(safeSource('app'), 'app')
      assert.equal(safeSource('a.b'), 'a_b')
      assert.equal(safeSource(''), '-')
    })
  })

  describe('splitLines', () => {
    it('splits on \\n, \\r\\n and \\r, without an extra empty line at the end', () => {
      assert.deepEqual(splitLines('one'), ['one'])
      assert.deepEqual(splitLines(''), [''])
      assert.deepEqual(splitLines('one\n'), ['one'])
      assert.deepEqual(splitLines('one\r\ntwo\rthree\nfour'), ['one', 'two', 'three', 'four'])
      assert.deepEqual(splitLines('one\n\ntwo\n'), ['one', '', 'two'])
      assert.deepEqual(splitLines('\n'), [''])
    })
  })

  describe('splitLong', () => {
    it('leaves a line of exactly the limit alone', () => {
      const line = 'x'.repeat(10_000)
      assert.deepEqual(splitLong(line), [line])
    })

    it('splits a line one byte over the limit into two, the second marked', () => {
      const line = 'a'.repeat(10_000) + 'b'
      const pieces = splitLong(line)
      assert.deepEqual(pieces, ['a'.repeat(10_000), `${CONTINUATION_MARKER}b`])
    })

    it('keeps every piece within the limit, marker included, and loses nothing', () => {
      const line = 'abcdefghij'.repeat(3_500)
      const pieces = splitLong(line)
      assert.equal(pieces.length, 4)
      for (const piece of pieces) assert.ok(Buffer.byteLength(piece) <= 10_000, `${Buffer.byteLength(piece)} bytes`)
      assert.equal(pieces[0]?.length, 10_000)
      assert.equal(pieces[1]?.length, 10_000)
      assert.ok(pieces.slice(1).every((piece) => piece.startsWith(CONTINUATION_MARKER)))
      assert.equal(rejoin(pieces), line)
    })

    it('never cuts a multi-byte character in two', () => {
      // 'é' is 2 bytes and '😀' 4: after one ASCII byte no cut falls on a character boundary at 10.
      const line = 'a' + 'é😀'.repeat(5)
      const pieces = splitLong(line, 16)
      for (const piece of pieces) {
        assert.ok(Buffer.byteLength(piece) <= 16)
        assert.ok(!piece.includes('\uFFFD'), `a cut character in ${JSON.stringify(piece)}`)
      }
      assert.equal(rejoin(pieces), line)
      assert.deepEqual(pieces.slice(0, 2), ['aé😀é😀é', `${CONTINUATION_MARKER}😀`])
    })
  })

  it('makes lines that parseLogLine reads back', () => {
    const text = `${formatMicros(T0)} app[web.1]: hello`
    assert.deepEqual(parseLogLine(text), {timestamp: '2026-11-27T11:15:41.123456+00:00', source: 'app', dyno: 'web.1', message: 'hello'})
  })
})
