// The router's fast path (issue 19) over real sockets: the common request is answered on the raw
// socket exactly as node's server path answers it, any other connection is handed to node's
// server with its bytes, and keep-alive, pipelining, the timeouts, the H-codes and a client that
// leaves behave as on node's path. Each case that compares runs through a router with
// `fastPath: false` as the reference.
import assert from 'node:assert/strict'
import type {IncomingMessage, ServerResponse} from 'node:http'
import {connect, type Socket} from 'node:net'
import {afterEach, describe, it} from 'mocha'
import type {HttpRouter, RouterOptions} from '../../../src/server/router/index.js'
import {waitFor} from '../../helpers/wait-for.js'
import {FakeDirectory, startBackend, startRouter, useRealHttp, type Backend, type LogEntry} from './fixtures.js'

interface Client {
  socket: Socket
  data(): string
  closed(): boolean
}

/** What differs from one run to the next: dates, request ids, timings. */
function normalise(text: string): string {
  return text
    .replace(/Date: [^\r]*/gi, 'Date: D')
    .replace(/x-request-id: [^\r]*/gi, 'x-request-id: R')
    .replace(/request_id=\S+/g, 'request_id=R')
    .replace(/(connect|service)=\d+ms/g, '$1=Nms')
    .replace(/Request ID: [^<\s]*/g, 'Request ID: R')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID')
}

/** `n` full responses in `text` (heads counted by their status lines). */
function responses(text: string): number {
  return text.match(/HTTP\/1\.1 \d{3} /g)?.length ?? 0
}

describe('router fast path', function () {
  this.timeout(30_000)
  useRealHttp()
  const routers: HttpRouter[] = []
  const backends: Backend[] = []
  const sockets: Socket[] = []

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy()
    for (const router of routers.splice(0)) await router.close()
    for (const backend of backends.splice(0)) await backend.close()
  })

  async function backend(handler?: (req: IncomingMessage, res: ServerResponse) => void): Promise<Backend> {
    const started = await startBackend('web.1', handler)
    backends.push(started)
    return started
  }

  async function router(dyno: Backend, options: Partial<RouterOptions> = {}): Promise<{router: HttpRouter; port: number; logs: LogEntry[]}> {
    const directory = new FakeDirectory()
    directory.set('shop', [dyno.dyno()])
    const started = await startRouter(directory, options)
    routers.push(started.router)
    return started
  }

  async function open(port: number): Promise<Client> {
    const socket = connect({host: '127.0.0.1', port})
    sockets.push(socket)
    let data = ''
    let closed = false
    socket.setEncoding('latin1').on('data', (chunk: string) => (data += chunk))
    socket.on('error', () => {})
    socket.on('close', () => (closed = true))
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
    return {socket, data: () => data, closed: () => closed}
  }

  /** Sends `pieces` (written one after the other) through a router with and without the fast path; both transcripts. */
  async function both(dyno: Backend, pieces: string[], until: (c: Client) => boolean, options: Partial<RouterOptions> = {}, end = false): Promise<Array<{data: string; lines: string[]; fast: number}>> {
    const out = []
    for (const fastPath of [true, false]) {
      const started = await router(dyno, {...options, fastPath})
      const client = await open(started.port)
      for (const piece of pieces) {
        client.socket.write(Buffer.from(piece, 'latin1'))
        // Separate reads on the router's side for separate pieces.
        await new Promise((resolve) => setImmediate(resolve))
      }
      if (end) client.socket.end()
      await waitFor(() => until(client), {what: () => `the answers (fastPath ${fastPath}): ${JSON.stringify(client.data())}`})
      await waitFor(() => started.logs.length >= Math.max(end ? 1 : 0, responses(client.data()) - countNoLog(client.data())), {what: 'the log lines'})
      out.push({data: normalise(client.data()), lines: started.logs.map((entry) => normalise(entry.line)), fast: started.router.fastRequests})
    }
    return out
  }

  /** 404s and 400s have no log line (no app to log to). */
  function countNoLog(text: string): number {
    return text.match(/HTTP\/1\.1 (?:404|400|408|431) /g)?.length ?? 0
  }

  const echo = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = `${req.method} ${req.url} host=${req.headers.host} xff=${req.headers['x-forwarded-for']} via=${req.headers.via} proto=${req.headers['x-forwarded-proto']} body=${Buffer.concat(chunks).toString()}\n`
      // A length on some answers, chunked on others: both framings through both paths.
      if (req.url?.includes('chunked')) res.writeHead(200, {'content-type': 'text/plain'})
      else res.writeHead(200, {'content-type': 'text/plain', 'content-length': Buffer.byteLength(body)})
      res.end(req.method === 'HEAD' ? undefined : body)
    })
  }

  it('answers pipelined requests in order, byte for byte as node’s path, and hands the connection over mid-way with its bytes', async () => {
    const dyno = await backend(echo)
    const requests = [
      'GET /a HTTP/1.1\r\nHost: shop.localhost\r\nX-Forwarded-For: 10.1.1.1\r\nVia: 1.0 edge\r\n\r\n',
      'HEAD /b HTTP/1.1\r\nHost: shop.localhost\r\n\r\nGET /chunked HTTP/1.1\r\nHost: shop.localhost\r\n\r\n',
      // A body: from here node's server has the connection.
      'POST /c HTTP/1.1\r\nHost: shop.localhost\r\nContent-Length: 4\r\n\r\nbody',
      'GET /d HTTP/1.1\r\nHost: shop.localhost\r\nConnection: close\r\n\r\n',
    ]
    const [fast, node] = await both(dyno, requests, (c) => c.closed())
    assert.equal(responses(fast?.data ?? ''), 5)
    assert.deepEqual(fast?.data, node?.data)
    assert.deepEqual(fast?.lines, node?.lines)
    assert.equal(fast?.fast, 3, 'three on the fast path, then node’s server')
    assert.equal(node?.fast, 0)
    assert.match(fast?.data ?? '', /GET \/a host=shop.localhost xff=10.1.1.1, 127.0.0.1 via=1.0 edge, 1.1 tug proto=http/)
  })

  it('hands off what it does not take, split over several reads, as node’s path answers it', async () => {
    const dyno = await backend(echo)
    const cases: string[][] = [
      ['GET / HTTP/1.1\r\nHo', 'st: shop.localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel', 'lo\r\n0\r\n\r\n', 'GET /after HTTP/1.1\r\nHost: shop.localhost\r\nConnection: close\r\n\r\n'],
      // A smuggling attempt: the length frames the body, never a second request.
      ['GET /x HTTP/1.1\r\nHost: shop.localhost\r\nContent-Length: 27\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n', 'GET /y HTTP/1.1\r\nHost: shop.localhost\r\nConnection: close\r\n\r\n'],
      ['GET / HTTP/1.1\r\nHost: shop.localhost\r\nX-A: one\r\n two\r\nConnection: close\r\n\r\n'],
      ['GET / HTTP/1.1\r\nHost: shop.localhost\r\nX-A: o\nX-B: two\r\nConnection: close\r\n\r\n'],
      ['GET / HTTP/1.1\r\nHost: shop.localhost\r\nHost: other.localhost\r\nConnection: close\r\n\r\n'],
      ['GET http://shop.localhost/abs HTTP/1.1\r\nHost: nosuch.localhost\r\nConnection: close\r\n\r\n'],
      ['GET / HTTP/1.0\r\nHost: shop.localhost\r\n\r\n'],
      ['GET / HTTP/1.1\r\nHost: nosuch.localhost\r\nConnection: close\r\n\r\n'],
      ['GET / HTTP/1.1\r\nHost: shop.localhost\r\nX-A: caf\xe9\r\nConnection: close\r\n\r\n'],
    ]
    for (const pieces of cases) {
      const [fast, node] = await both(dyno, pieces, (c) => c.closed())
      assert.ok((fast?.data ?? '') !== '', `an answer to ${JSON.stringify(pieces)}`)
      assert.deepEqual(fast?.data, node?.data, JSON.stringify(pieces))
      assert.deepEqual(fast?.lines, node?.lines, JSON.stringify(pieces))
      assert.doesNotMatch(fast?.data ?? '', /smuggled/)
    }
  })

  it('hands a head sent a byte at a time to node’s server after a few reads (no quadratic re-reading)', async () => {
    const dyno = await backend(echo)
    const started = await router(dyno)
    const client = await open(started.port)
    for (const byte of 'GET /slow-head HTTP/1.1\r\nHost: shop.localhost\r\nConnection: close\r\n\r\n') {
      client.socket.write(byte)
      // Separate reads on the router's side.
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    await waitFor(() => client.closed(), {what: 'the answer'})
    assert.match(client.data(), /^HTTP\/1\.1 200 OK\r\n[^]*GET \/slow-head /)
    assert.equal(started.router.fastRequests, 0, 'node’s server answered it')
    await waitFor(() => started.logs.length === 1, {what: 'the log line'})
  })

  it('a client that ends its side mid-request: as node’s path (the request abandoned, H27, the connection ended)', async () => {
    const dyno = await backend((req, res) => setTimeout(() => echo(req, res), 50))
    const [fast, node] = await both(dyno, ['GET /1 HTTP/1.1\r\nHost: shop.localhost\r\n\r\nGET /2 HTTP/1.1\r\nHost: nosuch.localhost\r\n\r\n'], (c) => c.closed(), {}, true)
    assert.deepEqual(fast?.data, node?.data)
    assert.deepEqual(fast?.lines, node?.lines)
    assert.equal(fast?.fast, 1)
  })

  it('keeps a connection alive between requests, then closes it quietly after the keep-alive timeout', async () => {
    const dyno = await backend(echo)
    const started = await router(dyno, {connections: {keepAliveTimeoutMs: 300}})
    const client = await open(started.port)
    client.socket.write('GET /1 HTTP/1.1\r\nHost: shop.localhost\r\n\r\n')
    await waitFor(() => responses(client.data()) === 1, {what: 'the first answer'})
    assert.match(client.data(), /\r\nKeep-Alive: timeout=0\r\n|\r\nConnection: keep-alive\r\n/)
    // Taken before the request: the keep-alive timer can only start after it (a late poll below
    // would otherwise shorten the measured idle time).
    const idleFrom = Date.now()
    client.socket.write('GET /2 HTTP/1.1\r\nHost: shop.localhost\r\n\r\n')
    await waitFor(() => responses(client.data()) === 2, {what: 'the second answer on the same connection'})
    await waitFor(() => client.closed(), {what: 'the idle connection to be closed', timeoutMs: 5000})
    assert.ok(Date.now() - idleFrom >= 250, 'not before the keep-alive timeout')
    assert.equal(responses(client.data()), 2, 'closed without another answer')
    assert.equal(started.router.fastRequests, 2)
  })

  it('gives the next request on a kept-alive connection the headers timeout: 408', async () => {
    const dyno = await backend(echo)
    const started = await router(dyno, {connections: {headersTimeoutMs: 300, keepAliveTimeoutMs: 5000}})
    const client = await open(started.port)
    client.socket.write('GET /1 HTTP/1.1\r\nHost: shop.localhost\r\n\r\n')
    await waitFor(() => responses(client.data()) === 1, {what: 'the first answer'})
    client.socket.write('GET /2 HTTP/1.1\r\nHost: shop.loc')
    const from = Date.now()
    await waitFor(() => client.closed(), {what: 'the slow head to be timed out', timeoutMs: 5000})
    assert.ok(Date.now() - from >= 250)
    assert.match(client.data(), /HTTP\/1\.1 408 Request Timeout\r\n/)
  })

  it('H12 on the fast path: 503, logged, and the connection goes on with the next request', async () => {
    const dyno = await backend((req, res) => {
      if (req.url === '/slow') return // never answers
      echo(req, res)
    })
    const started = await router(dyno, {responseTimeoutMs: 200})
    const client = await open(started.port)
    client.socket.write('GET /slow HTTP/1.1\r\nHost: shop.localhost\r\n\r\nGET /ok HTTP/1.1\r\nHost: shop.localhost\r\n\r\n')
    await waitFor(() => responses(client.data()) === 2, {what: 'both answers'})
    assert.match(client.data(), /^HTTP\/1\.1 503 Service Unavailable\r\n[^]*\r\nvia: 1\.1 tug\r\n[^]*HTTP\/1\.1 200 OK\r\n/)
    assert.equal(started.router.fastRequests, 2)
    await waitFor(() => started.logs.length === 2, {what: 'two log lines'})
    assert.match(started.logs[0]?.line ?? '', /^at=error code=H12 desc="Request timeout" method=GET path="\/slow" .* dyno=web\.1 .* status=503 /)
    assert.match(started.logs[1]?.line ?? '', /^at=info method=GET path="\/ok" .* status=200 /)
    assert.ok(!client.closed())
  })

  it('H27 when the client leaves mid-request; the dyno’s connection is closed, the balancer count released', async () => {
    let dynoSocketClosed = false
    const dyno = await backend((req) => {
      req.socket.on('close', () => (dynoSocketClosed = true))
    })
    const started = await router(dyno)
    const client = await open(started.port)
    client.socket.write('GET /gone HTTP/1.1\r\nHost: shop.localhost\r\nX-Request-Id: client-chosen-id-0123456789\r\n\r\n')
    await waitFor(() => started.router.inFlight('shop', dyno.dyno()) === 1, {what: 'the request to reach the dyno'})
    client.socket.destroy()
    await waitFor(() => started.logs.length === 1 && dynoSocketClosed, {what: 'the H27 line and the dyno connection closed'})
    assert.match(started.logs[0]?.line ?? '', /^at=error code=H27 desc="Client Request Interrupted" method=GET path="\/gone" host=shop\.localhost request_id=client-chosen-id-0123456789 fwd="127\.0\.0\.1" dyno= .*status=499 /)
    assert.equal(started.router.inFlight('shop', dyno.dyno()), 0)
  })

  it('relays 16 MB bodies intact to a client that reads late, with a length and chunked, the dyno held back meanwhile', async () => {
    const body = Buffer.alloc(16 * 1024 * 1024)
    let heldBack = false
    for (let i = 0; i < body.length; i++) body[i] = (i * 7919 + (i >> 9)) & 0xff
    const dyno = await backend((req, res) => {
      res.writeHead(200, req.url === '/chunked' ? {} : {'content-length': body.length})
      // Pieces of varying sizes, so reads split the body anywhere.
      let at = 0
      let size = 1000
      const more = (): void => {
        while (at < body.length) {
          const piece = body.subarray(at, at + size)
          at += piece.length
          size = (size * 3) % 70_000 || 1000
          if (!res.write(piece)) {
            heldBack = true
            return void res.once('drain', more)
          }
        }
        res.end()
      }
      more()
    })
    const started = await router(dyno)
    for (const path of ['/length', '/chunked']) {
      const client = await open(started.port)
      const chunks: Buffer[] = []
      client.socket.removeAllListeners('data')
      client.socket.setEncoding('latin1')
      client.socket.on('data', (chunk: string) => chunks.push(Buffer.from(chunk, 'latin1')))
      // A client that does not read until the router had to queue writes to it and hold the dyno
      // back (the dyno's reads land in one reused buffer: whatever is queued is a copy).
      client.socket.pause()
      heldBack = false
      client.socket.write(`GET ${path} HTTP/1.1\r\nHost: shop.localhost\r\nConnection: close\r\n\r\n`)
      await waitFor(() => heldBack, {what: 'the dyno to be held back by the router'})
      client.socket.resume()
      await waitFor(() => client.closed(), {what: `the ${path} answer`, timeoutMs: 25_000})
      const raw = Buffer.concat(chunks)
      const headEnd = raw.indexOf('\r\n\r\n')
      let received = raw.subarray(headEnd + 4)
      if (path === '/chunked') {
        assert.match(raw.subarray(0, headEnd).toString('latin1'), /\r\nTransfer-Encoding: chunked/)
        const pieces: Buffer[] = []
        let at = 0
        for (;;) {
          const eol = received.indexOf('\r\n', at)
          const size = Number.parseInt(received.toString('latin1', at, eol), 16)
          if (size === 0) break
          pieces.push(received.subarray(eol + 2, eol + 2 + size))
          at = eol + 2 + size + 2
        }
        received = Buffer.concat(pieces)
      }
      assert.equal(received.length, body.length, path)
      assert.ok(received.equals(body), `${path}: the body arrived intact`)
    }
    assert.equal(started.router.fastRequests, 2)
  })

  it('H13 and a destroyed client connection when the dyno answers a header node would refuse to write', async () => {
    const dyno = await backend()
    // A dyno speaking raw bytes: a bare CR inside a header value.
    dyno.server.removeAllListeners('request')
    dyno.server.on('connection', (socket: Socket) => socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nX-Evil: a\rSet-Cookie: b\r\nContent-Length: 0\r\n\r\n')))
    const started = await router(dyno)
    const client = await open(started.port)
    client.socket.write('GET / HTTP/1.1\r\nHost: shop.localhost\r\n\r\n')
    await waitFor(() => responses(client.data()) === 1, {what: 'the answer'})
    assert.match(client.data(), /^HTTP\/1\.1 503 /)
    assert.doesNotMatch(client.data(), /Set-Cookie/i)
    await waitFor(() => started.logs.length === 1, {what: 'the log line'})
    assert.match(started.logs[0]?.line ?? '', /code=H13 /)
  })
})
