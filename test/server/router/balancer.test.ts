import assert from 'node:assert/strict'
import {Balancer} from '../../../src/server/router/balancer.js'
import type {WebDyno} from '../../../src/server/router/directory.js'

const dyno = (name: string, port: number, state = 'up'): WebDyno => ({name, host: '127.0.0.1', port, state})

describe('router: balancer', () => {
  it('spreads idle requests round robin over the up dynos only', () => {
    const balancer = new Balancer()
    const dynos = [dyno('web.1', 1), dyno('web.2', 2), dyno('web.3', 3, 'starting'), dyno('web.4', 4, 'crashed'), dyno('web.10', 10)]
    const picked = Array.from({length: 6}, () => balancer.pick('shop', dynos)?.name)
    assert.deepEqual(picked, ['web.1', 'web.2', 'web.10', 'web.1', 'web.2', 'web.10'])
  })

  it('prefers the dyno with the fewest requests in flight', () => {
    const balancer = new Balancer()
    const dynos = [dyno('web.1', 1), dyno('web.2', 2), dyno('web.3', 3)]
    const end1 = balancer.begin('shop', dynos[0] as WebDyno)
    balancer.begin('shop', dynos[0] as WebDyno)
    balancer.begin('shop', dynos[1] as WebDyno)
    assert.equal(balancer.pick('shop', dynos)?.name, 'web.3')
    balancer.begin('shop', dynos[2] as WebDyno)
    balancer.begin('shop', dynos[2] as WebDyno)
    assert.equal(balancer.pick('shop', dynos)?.name, 'web.2')
    assert.equal(balancer.inFlight('shop', dynos[0] as WebDyno), 2)
    end1()
    end1()
    assert.equal(balancer.inFlight('shop', dynos[0] as WebDyno), 1)
  })

  it('honours exclusions and answers undefined when nothing is up', () => {
    const balancer = new Balancer()
    assert.equal(balancer.pick('shop', [dyno('web.1', 1)], new Set(['web.1'])), undefined)
    assert.equal(balancer.pick('shop', [dyno('web.1', 1, 'crashed')]), undefined)
    assert.equal(balancer.pick('shop', []), undefined)
  })

  it('drain keeps new requests off and waits for in-flight ones', async () => {
    let now = 0
    const balancer = new Balancer(() => now)
    const dynos = [dyno('web.1', 1), dyno('web.2', 2)]
    const end = balancer.begin('shop', dynos[0] as WebDyno)
    let settled: {idle: boolean} | undefined
    const draining = balancer.drain('shop', dynos[0] as WebDyno, {timeoutMs: 10_000, holdMs: 1000}).then((r) => (settled = r))
    for (let i = 0; i < 4; i++) assert.equal(balancer.pick('shop', dynos)?.name, 'web.2')
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(settled, undefined)
    end()
    assert.deepEqual(await draining, {idle: true})
    assert.equal(balancer.pick('shop', dynos)?.name, 'web.2')
    now = 1000
    // The hold is over: the dyno (restarted in place) is back in rotation.
    assert.deepEqual(new Set([balancer.pick('shop', dynos)?.name, balancer.pick('shop', dynos)?.name]), new Set(['web.1', 'web.2']))
  })

  it('drain gives up after its timeout, and a restarted dyno on a new port is a new endpoint', async () => {
    const balancer = new Balancer()
    const old = dyno('web.1', 1)
    balancer.begin('shop', old)
    assert.deepEqual(await balancer.drain('shop', old, {timeoutMs: 20, holdMs: 60_000}), {idle: false})
    assert.equal(balancer.pick('shop', [old]), undefined)
    assert.equal(balancer.pick('shop', [dyno('web.1', 99)])?.port, 99)
    // Seen moved: the old mark is forgotten.
    assert.equal(balancer.isDraining('shop', old), false)
  })
})
