import assert from 'node:assert/strict'

import {singleLine, type LogBlock} from '../../../src/server/logs/block.js'
import {compileFilter} from '../../../src/server/logs/filter.js'
import {LogRing, Queue, type LogEntry} from '../../../src/server/logs/ring.js'

/** One line whose byte size (without its newline) is `bytes`. */
function entry(id: number, dyno = 'web.1', bytes = 10): LogBlock {
  return singleLine(id, `line ${id}`.padEnd(bytes, '.').slice(0, Math.max(bytes, String(id).length + 5)), 'app', dyno, bytes)
}

/** `count` lines from id `first`, each of `bytes` bytes, as one block. */
function block(first: number, count: number, dyno = 'web.1', bytes = 10): LogBlock {
  const lines = Array.from({length: count}, (_, i) => `l${first + i}`.padEnd(bytes, '.').slice(0, bytes))
  return {firstId: first, count, text: lines.join('\n') + '\n', bytes: count * bytes, source: 'app', dyno}
}

function ids(entries: Iterable<LogEntry>): number[] {
  return [...entries].map((e) => e.id)
}

function blockIds(blocks: readonly LogBlock[]): number[] {
  return blocks.flatMap((b) => Array.from({length: b.count}, (_, i) => (b.firstId ?? Number.NaN) + i))
}

const all = compileFilter({})

describe('logs/ring', () => {
  it('keeps the newest maxLines lines, oldest first', () => {
    const ring = new LogRing(3, 1_000)
    assert.equal(ring.oldestId, undefined)
    assert.equal(ring.push(entry(1)), 0)
    ring.push(entry(2))
    ring.push(entry(3))
    assert.equal(ring.push(entry(4)), 1)
    assert.deepEqual(ids(ring), [2, 3, 4])
    assert.equal(ring.length, 3)
    assert.equal(ring.bytes, 30)
    assert.equal(ring.oldestId, 2)
    assert.equal(ring.newestId, 4)
    for (let id = 5; id <= 11; id++) ring.push(entry(id))
    assert.deepEqual(ids(ring), [9, 10, 11])
  })

  it('cuts the oldest block when only part of it must go, and keeps the text of the lines it keeps', () => {
    const ring = new LogRing(5, 1_000)
    ring.push(block(1, 3))
    assert.equal(ring.push(block(4, 4)), 2)
    assert.deepEqual(ids(ring), [3, 4, 5, 6, 7])
    assert.equal(ring.bytes, 50)
    assert.deepEqual([...ring].map((e) => e.text.replace(/\.+$/, '')), ['l3', 'l4', 'l5', 'l6', 'l7'])
    // A block larger than the whole history keeps only its newest lines.
    ring.push(block(8, 9))
    assert.deepEqual(ids(ring), [12, 13, 14, 15, 16])
  })

  it('keeps at most maxBytes, dropping as many old lines as it takes, but always the newest', () => {
    const ring = new LogRing(100, 50)
    for (let id = 1; id <= 5; id++) ring.push(entry(id))
    assert.equal(ring.bytes, 50)
    assert.equal(ring.push(entry(6, 'web.1', 25)), 3)
    assert.deepEqual(ids(ring), [4, 5, 6])
    assert.equal(ring.bytes, 45)
    assert.equal(ring.push(entry(7, 'web.1', 80)), 3)
    assert.deepEqual(ids(ring), [7])
    assert.equal(ring.bytes, 80)
    ring.push(entry(8))
    assert.deepEqual(ids(ring), [8])
    // Inside one block, line by line; a lone block over the bound keeps its newest line.
    ring.push(block(9, 8, 'web.1', 10))
    assert.deepEqual(ids(ring), [12, 13, 14, 15, 16])
    assert.equal(ring.bytes, 50)
    ring.push(block(17, 3, 'web.1', 60))
    assert.deepEqual(ids(ring), [19])
    assert.equal(ring.bytes, 60)
  })

  it('holds its bounds over many wraps', () => {
    const ring = new LogRing(1000, 8_000)
    let expectedBytes = 0
    let id = 1
    for (let n = 1; n <= 5_000; n++) {
      const count = (n % 7) + 1
      ring.push(block(id, count, 'web.1', (n % 17) + 1))
      id += count
    }
    for (const e of ring) expectedBytes += e.bytes
    assert.ok(ring.length <= 1000)
    assert.ok(ring.bytes <= 8_000)
    assert.equal(ring.bytes, expectedBytes)
    assert.equal(ring.newestId, id - 1)
    assert.deepEqual(ids(ring), Array.from({length: ring.length}, (_, i) => id - ring.length + i))
  })

  it('finds the lines after an id by binary search, with gaps in ids and inside blocks', () => {
    const ring = new LogRing(20, 1_000)
    for (const id of [3, 4, 7, 8, 20]) ring.push(entry(id))
    ring.push(block(21, 4))
    assert.deepEqual(blockIds(ring.after(4, all)), [7, 8, 20, 21, 22, 23, 24])
    assert.deepEqual(blockIds(ring.after(0, all)), [3, 4, 7, 8, 20, 21, 22, 23, 24])
    assert.deepEqual(blockIds(ring.after(22, all)), [23, 24])
    const resumed = ring.after(22, all)[0]
    assert.equal(resumed?.text, 'l23.......\nl24.......\n')
    assert.deepEqual(blockIds(ring.after(24, all)), [])
    assert.deepEqual(blockIds(ring.after(100, all)), [])
  })

  it('gives the last N matching lines, oldest first, scanning only as far back as needed', () => {
    const ring = new LogRing(10, 1_000)
    for (let id = 1; id <= 12; id++) ring.push(entry(id, id % 2 === 0 ? 'web.2' : 'web.1'))
    const web2 = compileFilter({dyno: 'web.2'})
    assert.deepEqual(blockIds(ring.lastMatching(3, web2)), [8, 10, 12])
    assert.deepEqual(blockIds(ring.lastMatching(100, web2)), [4, 6, 8, 10, 12])
    assert.deepEqual(blockIds(ring.lastMatching(0, all)), [])
    assert.deepEqual(blockIds(ring.after(7, web2)), [8, 10, 12])
    let calls = 0
    ring.lastMatching(2, () => {
      calls++
      return true
    })
    assert.equal(calls, 2)
    ring.push(block(13, 5, 'web.3'))
    assert.deepEqual(blockIds(ring.lastMatching(2, all)), [16, 17])
    assert.deepEqual(blockIds(ring.lastMatching(7, all)), [11, 12, 13, 14, 15, 16, 17])
  })

  it('keeps exactly the lines a line-by-line model keeps, whatever the blocks', () => {
    // A small deterministic generator: the same cases every run.
    let seed = 7
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % n
    }
    for (const [maxLines, maxBytes] of [[50, 10_000], [50, 300], [7, 60]] as const) {
      const ring = new LogRing(maxLines, maxBytes)
      let model: {id: number; bytes: number}[] = []
      let id = 1
      for (let n = 0; n < 400; n++) {
        const count = next(12) + 1
        const bytes = next(20) + 1
        ring.push(block(id, count, 'web.1', bytes))
        for (let i = 0; i < count; i++) model.push({id: id + i, bytes})
        id += count
        if (model.length > maxLines) model = model.slice(model.length - maxLines)
        let total = model.reduce((sum, line) => sum + line.bytes, 0)
        while (total > maxBytes && model.length > 1) total -= (model.shift() as {bytes: number}).bytes
        if (n % 3 === 0) assert.equal(ring.oldestId, model[0]?.id)
        if (n % 5 === 0) assert.deepEqual(blockIds(ring.lastMatching(4, all)), model.slice(-4).map((line) => line.id))
        if (n % 7 === 0) assert.deepEqual(ids(ring), model.map((line) => line.id))
        assert.equal(ring.length, model.length)
        if (n % 2 === 0) assert.equal(ring.bytes, total)
      }
    }
  })

  it('rejects bounds that cannot hold a line', () => {
    assert.throws(() => new LogRing(0, 10), RangeError)
    assert.throws(() => new LogRing(10, 0), RangeError)
  })

  it('clears', () => {
    const ring = new LogRing(3, 100)
    ring.push(entry(1))
    ring.clear()
    assert.equal(ring.length, 0)
    assert.equal(ring.bytes, 0)
    ring.push(entry(2))
    assert.deepEqual(ids(ring), [2])
  })

  describe('Queue', () => {
    it('is first-in first-out across its internal compactions', () => {
      const queue = new Queue<number>()
      const out: number[] = []
      for (let i = 0; i < 5000; i++) {
        queue.push(i)
        if (i % 3 === 0) out.push(queue.shift() as number)
      }
      assert.equal(queue.length, 5000 - out.length)
      while (queue.length > 0) out.push(queue.shift() as number)
      assert.deepEqual(out, Array.from({length: 5000}, (_, i) => i))
      assert.equal(queue.shift(), undefined)
    })
  })
})
