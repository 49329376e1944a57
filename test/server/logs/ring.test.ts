import assert from 'node:assert/strict'

import {compileFilter} from '../../../src/server/logs/filter.js'
import {LogRing, Queue, type LogEntry} from '../../../src/server/logs/ring.js'

function entry(id: number, dyno = 'web.1', bytes = 10): LogEntry {
  return {id, text: `line ${id}`, source: 'app', dyno, bytes}
}

function ids(entries: Iterable<LogEntry>): number[] {
  return [...entries].map((e) => e.id)
}

const all = compileFilter({})

describe('logs/ring', () => {
  it('keeps the newest maxLines lines, oldest first', () => {
    const ring = new LogRing(3, 1_000)
    assert.equal(ring.oldest?.id, undefined)
    assert.equal(ring.push(entry(1)), 0)
    ring.push(entry(2))
    ring.push(entry(3))
    assert.equal(ring.push(entry(4)), 1)
    assert.deepEqual(ids(ring), [2, 3, 4])
    assert.equal(ring.length, 3)
    assert.equal(ring.bytes, 30)
    assert.equal(ring.oldest?.id, 2)
    assert.equal(ring.newest?.id, 4)
    for (let id = 5; id <= 11; id++) ring.push(entry(id))
    assert.deepEqual(ids(ring), [9, 10, 11])
    assert.equal(ring.at(-1), undefined)
    assert.equal(ring.at(3), undefined)
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
  })

  it('holds its bounds over many wraps', () => {
    const ring = new LogRing(1000, 8_000)
    let expectedBytes = 0
    for (let id = 1; id <= 25_000; id++) ring.push(entry(id, 'web.1', (id % 17) + 1))
    for (const e of ring) expectedBytes += e.bytes
    assert.ok(ring.length <= 1000)
    assert.ok(ring.bytes <= 8_000)
    assert.equal(ring.bytes, expectedBytes)
    assert.equal(ring.newest?.id, 25_000)
    assert.deepEqual(ids(ring), Array.from({length: ring.length}, (_, i) => 25_001 - ring.length + i))
  })

  it('finds the first line after an id by binary search, with gaps in ids', () => {
    const ring = new LogRing(10, 1_000)
    for (const id of [3, 4, 7, 8, 20]) ring.push(entry(id))
    assert.equal(ring.indexAfter(0), 0)
    assert.equal(ring.indexAfter(3), 1)
    assert.equal(ring.indexAfter(5), 2)
    assert.equal(ring.indexAfter(19), 4)
    assert.equal(ring.indexAfter(20), 5)
    assert.deepEqual(ids(ring.after(4, all)), [7, 8, 20])
    assert.deepEqual(ids(ring.after(100, all)), [])
  })

  it('gives the last N matching lines, oldest first, scanning only as far back as needed', () => {
    const ring = new LogRing(10, 1_000)
    for (let id = 1; id <= 12; id++) ring.push(entry(id, id % 2 === 0 ? 'web.2' : 'web.1'))
    const web2 = compileFilter({dyno: 'web.2'})
    assert.deepEqual(ids(ring.lastMatching(3, web2)), [8, 10, 12])
    assert.deepEqual(ids(ring.lastMatching(100, web2)), [4, 6, 8, 10, 12])
    assert.deepEqual(ids(ring.lastMatching(0, all)), [])
    assert.deepEqual(ids(ring.after(7, web2)), [8, 10, 12])
    let calls = 0
    ring.lastMatching(2, () => {
      calls++
      return true
    })
    assert.equal(calls, 2)
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
