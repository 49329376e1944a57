import assert from 'node:assert/strict'

import {LineSplitter} from '../../../src/server/runtime/local-backend.js'
import {LogTap} from '../../../src/server/runtime/log-tap.js'

const SINCE = new Date('2026-11-27T12:00:00.000Z')

function tap(options: {maxQueuedBytes?: number; sliceMs?: number; pieceBytes?: number} = {}): {tap: LogTap; lines: string[]} {
  const lines: string[] = []
  const emit = (line: string): void => void lines.push(line)
  return {tap: new LogTap(() => new LineSplitter(emit), emit, {...options, now: () => SINCE}), lines}
}

describe('LogTap (an attached dyno’s log copy)', () => {
  it('gives the log every line, in order, split across chunks, after the push returns', async () => {
    const {tap: t, lines} = tap()
    t.push(Buffer.from('one\ntw'))
    t.push(Buffer.from('o\nthree'))
    assert.deepEqual(lines, [], 'nothing is split in the pipe’s own turn')
    await t.end()
    assert.deepEqual(lines, ['one', 'two', 'three'])
  })

  it('splits a slice of time per turn, so a large burst does not hold the event loop', async () => {
    const {tap: t, lines} = tap({sliceMs: 0, pieceBytes: 8})
    for (let i = 0; i < 10; i++) t.push(Buffer.from(`line ${i}\n`))
    await new Promise((resolve) => setImmediate(resolve))
    assert.ok(lines.length > 0 && lines.length < 10, `one turn took ${lines.length} of 10 lines`)
    await t.end()
    assert.deepEqual(lines, Array.from({length: 10}, (_, i) => `line ${i}`))
  })

  it('leaves whole chunks out past its bound, and one L10 line says how many lines', async () => {
    const {tap: t, lines} = tap({maxQueuedBytes: 12})
    t.push(Buffer.from('kept 1\nkep'))
    t.push(Buffer.from('t 2\nlost 3\nlost 4\nlo'))
    t.push(Buffer.from('st 5\nlost 6\n'))
    await t.end()
    assert.deepEqual(lines, [
      'kept 1',
      'kep',
      'Error L10 (output buffer overflow): 5 messages dropped since 2026-11-27T12:00:00.000Z',
    ])
  })

  it('after a gap skips the rest of the cut line, then carries on whole', async () => {
    const {tap: t, lines} = tap({maxQueuedBytes: 16})
    t.push(Buffer.from('a\n'))
    t.push(Buffer.from('overflowing chunk\nand mo'))
    await new Promise((resolve) => setImmediate(resolve))
    t.push(Buffer.from('re of it\nb\n'))
    await t.end()
    assert.deepEqual(lines, ['a', 'Error L10 (output buffer overflow): 1 messages dropped since 2026-11-27T12:00:00.000Z', 'b'])
  })

  it('after a gap that ended on a line boundary keeps the next line whole', async () => {
    const {tap: t, lines} = tap({maxQueuedBytes: 8})
    t.push(Buffer.from('a\n'))
    t.push(Buffer.from('dropped dropped\n'))
    await new Promise((resolve) => setImmediate(resolve))
    t.push(Buffer.from('b\nc\n'))
    await t.end()
    assert.deepEqual(lines, ['a', 'Error L10 (output buffer overflow): 1 messages dropped since 2026-11-27T12:00:00.000Z', 'b', 'c'])
  })

  it('takes 2.6 million short lines whole when the pipe leaves it the time', async () => {
    const {tap: t, lines} = tap({sliceMs: 1000})
    const chunk = Buffer.from('y\n'.repeat(32 * 1024))
    let pushed = 0
    for (let i = 0; i < 80; i++) {
      t.push(chunk)
      pushed += 32 * 1024
      await new Promise((resolve) => setImmediate(resolve))
    }
    await t.end()
    assert.equal(lines.length, pushed)
    assert.ok(!lines.some((l) => l.startsWith('Error L10')))
  })
})
