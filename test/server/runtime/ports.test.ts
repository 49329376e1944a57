import assert from 'node:assert/strict'
import {createServer} from 'node:net'

import {isAccepting, PortAllocator, probeFreePort} from '../../../src/server/runtime/ports.js'

describe('port allocator', () => {
  it('probes a port that can then be bound on 127.0.0.1', async () => {
    const port = await probeFreePort()
    assert.ok(port > 0 && port < 65536)
    const server = createServer()
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({host: '127.0.0.1', port}, () => resolve())
    })
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('never hands out a reserved port twice, retrying on a collision', async () => {
    const offered = [4001, 4001, 4001, 4002, 4001, 4003]
    let calls = 0
    const allocator = new PortAllocator({probe: async () => offered[calls++] ?? 0})
    assert.equal(await allocator.allocate(), 4001)
    assert.equal(await allocator.allocate(), 4002)
    assert.equal(await allocator.allocate(), 4003)
    assert.equal(calls, 6)
    assert.deepEqual([...allocator.reserved].sort(), [4001, 4002, 4003])
  })

  it('gives a released port out again', async () => {
    const allocator = new PortAllocator({probe: async () => 4100})
    assert.equal(await allocator.allocate(), 4100)
    await assert.rejects(allocator.allocate(), /no free port on 127\.0\.0\.1 after 50 attempts/)
    allocator.release(4100)
    assert.equal(allocator.isReserved(4100), false)
    assert.equal(await allocator.allocate(), 4100)
  })

  it('keeps concurrent allocations distinct', async () => {
    const offered = [5000, 5000, 5001, 5000, 5001, 5002]
    let calls = 0
    const allocator = new PortAllocator({probe: async () => offered[calls++] ?? 0})
    const ports = await Promise.all([allocator.allocate(), allocator.allocate(), allocator.allocate()])
    assert.deepEqual([...ports].sort(), [5000, 5001, 5002])
  })

  it('reserves a known port without probing', async () => {
    const allocator = new PortAllocator({probe: async () => 4200})
    assert.equal(allocator.reserve(4200), true)
    assert.equal(allocator.reserve(4200), false)
    await assert.rejects(allocator.allocate(), /no free port/)
  })

  it('hands 20 real dynos 20 different ports', async () => {
    const allocator = new PortAllocator()
    const ports = await Promise.all(Array.from({length: 20}, () => allocator.allocate()))
    assert.equal(new Set(ports).size, 20)
  })
})

describe('isAccepting', () => {
  it('is true while a server listens on the port and false once it is closed', async () => {
    const server = createServer((socket) => socket.destroy())
    await new Promise<void>((resolve) => server.listen({host: '127.0.0.1', port: 0}, () => resolve()))
    const address = server.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    assert.equal(await isAccepting(port), true)
    await new Promise<void>((resolve) => server.close(() => resolve()))
    assert.equal(await isAccepting(port), false)
  })
})
