import assert from 'node:assert/strict'

import {LineSplitter} from '../../../src/shared/line-splitter.js'
import {LogTap} from '../../../src/server/runtime/log-tap.js'

const SINCE = new Date('2026-11-27T12:00:00.000Z')

/** A tap on one stream, `out`, whose lines (and L10 notices) are collected in order. */
function tap(options: {maxQueuedBytes?: number; sliceMs?: number; pieceBytes?: number} = {}): {tap: {push(chunk: Buffer): void; end(): Promise<void>}; lines: string[]} {
  const lines: string[] = []
  const emit = (_stream: string, line: string): void => void lines.push(line)
  const shared = new LogTap((stream) => new LineSplitter((line) => emit(stream, line)), emit, {...options, now: () => SINCE})
  return {tap: {push: (chunk) => shared.push('out', chunk), end: () => shared.end('out')}, lines}
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
      'Error L10 (output buffer overflow): 5 messages dropped since 2026-11-27T12:00:00.000000+00:00',
    ])
  })

  it('after a gap skips the rest of the cut line, then carries on whole', async () => {
    const {tap: t, lines} = tap({maxQueuedBytes: 16})
    t.push(Buffer.from('a\n'))
    t.push(Buffer.from('overflowing chunk\nand mo'))
    await new Promise((resolve) => setImmediate(resolve))
    t.push(Buffer.from('re of it\nb\n'))
    await t.end()
    assert.deepEqual(lines, ['a', 'Error L10 (output buffer overflow): 1 messages dropped since 2026-11-27T12:00:00.000000+00:00', 'b'])
  })

  it('after a gap that ended on a line boundary keeps the next line whole', async () => {
    const {tap: t, lines} = tap({maxQueuedBytes: 8})
    t.push(Buffer.from('a\n'))
    t.push(Buffer.from('dropped dropped\n'))
    await new Promise((resolve) => setImmediate(resolve))
    t.push(Buffer.from('b\nc\n'))
    await t.end()
    assert.deepEqual(lines, ['a', 'Error L10 (output buffer overflow): 1 messages dropped since 2026-11-27T12:00:00.000000+00:00', 'b', 'c'])
  })

  it('keeps stdout and stderr in the order the pipes gave them, each ending on its own', async () => {
    const lines: string[] = []
    const emit = (stream: string, line: string): void => void lines.push(`${stream}: ${line}`)
    const shared = new LogTap<'stdout' | 'stderr'>((stream) => new LineSplitter((line) => emit(stream, line)), emit, {sliceMs: 0, pieceBytes: 4})
    shared.push('stdout', Buffer.from('out 1\nout'))
    shared.push('stderr', Buffer.from('err 1\n'))
    shared.push('stdout', Buffer.from(' 2\n'))
    shared.push('stderr', Buffer.from('err 2'))
    const stderrDone = shared.end('stderr')
    shared.push('stdout', Buffer.from('out 3\n'))
    await stderrDone
    // stderr's end is in the queue's order: its last partial line comes before what stdout wrote after.
    assert.deepEqual(lines, ['stdout: out 1', 'stderr: err 1', 'stdout: out 2', 'stderr: err 2', 'stdout: out 3'])
    shared.push('stdout', Buffer.from('out 4'))
    await shared.end('stdout')
    assert.deepEqual(lines.slice(5), ['stdout: out 4'], 'stdout ended with its own last partial line')
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
