// The router's own connection limits (issue 14, item 4): a cap per client address, a cap in all
// with a clear 503 just past it, a time to send the headers and an idle timeout. Small numbers,
// real sockets; the flood with 20,000 connections is test/server/flood.test.ts.
import assert from 'node:assert/strict'
import {connect, type Socket} from 'node:net'
import {afterEach, describe, it} from 'mocha'
import {BUSY_BAND, BUSY_BODY} from '../../../src/server/router/connections.js'
import type {HttpRouter, RouterOptions} from '../../../src/server/router/index.js'
import {waitFor} from '../../helpers/wait-for.js'
import {fetchVia, FakeDirectory, startBackend, startRouter, useRealHttp, type Backend} from './fixtures.js'

interface Held {
  socket: Socket
  /** Everything the router sent on it. */
  data(): string
  closed(): boolean
}

describe('router connection limits', function () {
  this.timeout(30_000)
  useRealHttp()
  let router: HttpRouter | undefined
  let backend: Backend | undefined
  const sockets: Socket[] = []

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy()
    await router?.close()
    await backend?.close()
    router = undefined
    backend = undefined
  })

  async function start(options: Partial<RouterOptions>): Promise<{port: number; warnings: string[]}> {
    const warnings: string[] = []
    const started = await startRouter(new FakeDirectory(), {warn: (message) => warnings.push(message), ...options})
    router = started.router
    return {port: started.port, warnings}
  }

  /** A connection from `from` that is connected (or already closed by the router). */
  async function open(port: number, from = '127.0.0.1'): Promise<Held> {
    const socket = connect({host: '127.0.0.1', port, localAddress: from})
    sockets.push(socket)
    let data = ''
    let closed = false
    socket.setEncoding('utf8').on('data', (chunk: string) => (data += chunk))
    socket.on('error', () => {})
    socket.on('close', () => (closed = true))
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    return {socket, data: () => data, closed: () => closed}
  }

  async function openMany(port: number, count: number, from?: string): Promise<Held[]> {
    const held: Held[] = []
    for (let i = 0; i < count; i++) held.push(await open(port, from))
    return held
  }

  it('closes a connection over the cap per address at once, says so once, and serves other addresses', async () => {
    const {port, warnings} = await start({connections: {maxPerAddress: 5}})
    const held = await openMany(port, 5, '127.0.0.2')
    await waitFor(() => router?.connections === 5, {what: 'the router to hold 5 connections'})
    const over = await openMany(port, 10, '127.0.0.2')
    await waitFor(() => over.every((c) => c.closed()), {what: 'the 10 connections over the cap to be closed'})
    assert.ok(over.every((c) => c.data() === ''), 'closed without an answer')
    assert.ok(held.every((c) => !c.closed()), 'the 5 under the cap stay open')
    assert.equal(router?.connections, 5)
    assert.deepEqual(warnings, ['router: 127.0.0.2 holds 5 connections, the most one address may; closing its new ones (said once a minute per address)'])

    // Another address is served as usual.
    const answer = await fetchVia(port, 'nosuch.localhost')
    assert.equal(answer.status, 404)
    // And the address itself again once it holds fewer.
    held[0]?.socket.destroy()
    await waitFor(() => router?.connections === 4, {what: 'the router to see one connection closed'})
    const again = await open(port, '127.0.0.2')
    again.socket.write('GET / HTTP/1.1\r\nHost: nosuch.localhost\r\nConnection: close\r\n\r\n')
    await waitFor(() => again.closed(), {what: 'the answer on the fifth connection'})
    assert.match(again.data(), /^HTTP\/1\.1 404 /)
    assert.equal(warnings.length, 1, 'said once, not once per connection')
  })

  it('answers 503 just past the cap in all, closes past the band, and serves again once connections close', async () => {
    const {port, warnings} = await start({connections: {maxConnections: 4, busyTimeoutMs: 30_000}})
    const held = await openMany(port, 4)
    await waitFor(() => router?.connections === 4, {what: 'the router to hold 4 connections'})

    const late = await open(port)
    late.socket.write('GET / HTTP/1.1\r\nHost: nosuch.localhost\r\n\r\n')
    await waitFor(() => late.closed(), {what: 'the 503 on a connection over the cap'})
    assert.match(late.data(), /^HTTP\/1\.1 503 Service Unavailable\r\n/)
    assert.match(late.data(), /\r\nconnection: close\r\n/i)
    assert.match(late.data(), /\r\nretry-after: 5\r\n/i)
    assert.ok(late.data().endsWith(BUSY_BODY))

    // The band holds BUSY_BAND connections waiting for their request; past it node closes them unanswered.
    const band = await openMany(port, BUSY_BAND)
    await waitFor(() => router?.connections === 4 + BUSY_BAND, {what: 'the band to fill'})
    const dropped = await open(port)
    await waitFor(() => dropped.closed(), {what: 'a connection past the band to be closed'})
    assert.equal(dropped.data(), '')
    assert.ok(band.every((c) => !c.closed()) && held.every((c) => !c.closed()))
    assert.equal(warnings.length, 1, 'said once a minute, not once per connection')
    assert.match(warnings[0] ?? '', /^router: 4 connections open, its limit; new ones get 503 or are closed/)

    for (const c of [...held, ...band]) c.socket.destroy()
    await waitFor(() => router?.connections === 0, {what: 'the router to see its connections closed'})
    assert.equal((await fetchVia(port, 'nosuch.localhost')).status, 404)
  })

  it('closes a connection over the cap that sends nothing after the busy timeout', async () => {
    const {port} = await start({connections: {maxConnections: 1, busyTimeoutMs: 200}})
    const first = await open(port)
    const late = await open(port)
    const started = Date.now()
    await waitFor(() => late.closed(), {what: 'the idle connection over the cap to be closed', timeoutMs: 5000})
    assert.ok(Date.now() - started >= 150, 'not before its time')
    assert.equal(late.data(), '')
    assert.ok(!first.closed(), 'a connection under the cap has the headers timeout, not this one')
  })

  it('gives a connection the headers timeout to send its request: 408, then closed', async () => {
    const {port} = await start({connections: {headersTimeoutMs: 300}})
    const silent = await open(port)
    const slow = await open(port)
    slow.socket.write('GET / HTTP/1.1\r\nHost: nosuch.local')
    const started = Date.now()
    await waitFor(() => silent.closed() && slow.closed(), {what: 'both connections to be timed out', timeoutMs: 5000})
    assert.ok(Date.now() - started >= 250)
    assert.match(silent.data(), /^HTTP\/1\.1 408 /)
    assert.match(slow.data(), /^HTTP\/1\.1 408 /)
  })

  it('closes a connection idle past the idle timeout, even with a request in flight to a dyno', async () => {
    backend = await startBackend('web.1', () => {
      // Never answers: the router's response timeout is longer than the idle timeout here.
    })
    const directory = new FakeDirectory()
    directory.set('shop', [backend.dyno()])
    const warnings: string[] = []
    const started = await startRouter(directory, {warn: (m) => warnings.push(m), responseTimeoutMs: 20_000, connections: {idleTimeoutMs: 300}})
    router = started.router
    const client = await open(started.port)
    client.socket.write('GET / HTTP/1.1\r\nHost: shop.localhost\r\n\r\n')
    const at = Date.now()
    await waitFor(() => client.closed(), {what: 'the idle connection to be closed', timeoutMs: 5000})
    assert.ok(Date.now() - at >= 250, 'not before the idle timeout')
    assert.ok(Date.now() - at < 5000)
  })
})
