// The fast path's shared deadlines (src/server/router/deadlines.ts): one timer per queue, entries
// expire in order, cancelled and restarted entries never fire early or twice, done entries do not
// pile up.
import assert from 'node:assert/strict'
import {describe, it} from 'mocha'
import {DeadlineQueue, type Expiring} from '../../../src/server/router/deadlines.js'
import {waitFor} from '../../helpers/wait-for.js'

class Item implements Expiring {
  deadlineId = 0
  expiredAt: number[] = []
  constructor(readonly name: string) {}
  onExpire(): void {
    this.expiredAt.push(Date.now())
  }
}

describe('router: shared deadlines', () => {
  it('expires entries after their duration, in order, and not the cancelled ones', async () => {
    const queue = new DeadlineQueue(150)
    const started = Date.now()
    const a = new Item('a')
    const b = new Item('b')
    const c = new Item('c')
    queue.add(a)
    queue.add(b)
    queue.add(c)
    DeadlineQueue.cancel(b)
    await waitFor(() => a.expiredAt.length === 1 && c.expiredAt.length === 1, {what: 'a and c to expire', timeoutMs: 5000})
    assert.ok((a.expiredAt[0] ?? 0) - started >= 140, 'not before its time')
    assert.ok((c.expiredAt[0] ?? 0) >= (a.expiredAt[0] ?? 0))
    assert.deepEqual(b.expiredAt, [])
    assert.equal(a.deadlineId, 0)
    queue.clear()
  })

  it('a restarted entry expires once, a full duration after its restart', async () => {
    // 1 s against a 120 ms wait: a stalled machine cannot let the first deadline fire before the restart.
    const queue = new DeadlineQueue(1000)
    const item = new Item('x')
    const other = new Item('y')
    queue.add(item)
    await new Promise((resolve) => setTimeout(resolve, 120))
    const restarted = Date.now()
    queue.add(item)
    queue.add(other)
    await waitFor(() => item.expiredAt.length === 1 && other.expiredAt.length === 1, {what: 'both to expire', timeoutMs: 5000})
    assert.ok((item.expiredAt[0] ?? 0) - restarted >= 990, 'the stale first deadline did not fire it')
    // No second expiry from the stale entry.
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.equal(item.expiredAt.length, 1)
    queue.clear()
  })

  it('entries done with leave as new ones come: the queue holds about the live ones', () => {
    const queue = new DeadlineQueue(60_000)
    const live = new Item('live')
    for (let i = 0; i < 10_000; i++) {
      const item = new Item(String(i))
      queue.add(item)
      DeadlineQueue.cancel(item)
    }
    queue.add(live)
    assert.ok(queue.size <= 2, `size ${queue.size}`)
    queue.clear()
    assert.equal(queue.size, 0)
  })
})
