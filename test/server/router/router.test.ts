import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {Agent, request, type IncomingMessage, type ServerResponse} from 'node:http'
import {connect, type Socket} from 'node:net'
import type {HttpRouter} from '../../../src/server/router/index.js'
import {waitFor} from '../../helpers/wait-for.js'
import {closedPort, FakeDirectory, fetchVia, startBackend, startRouter, useRealHttp, type Backend, type LogEntry} from './fixtures.js'

const LINE = /^at=info method=GET path="\/" host=shop\.localhost request_id=[-\w]{20,} fwd="127\.0\.0\.1" dyno=web\.[123] connect=\d+ms service=\d+ms status=200 bytes=\d+ protocol=http$/

describe('router over real sockets', function () {
  this.timeout(60_000)
  useRealHttp()
  let backends: Backend[] = []
  let router: HttpRouter | undefined
  let port = 0
  let logs: LogEntry[] = []
  let directory: FakeDirectory

  async function setup(count: number, options: Parameters<typeof startRouter>[1] = {}, handler?: Parameters<typeof startBackend>[1]): Promise<void> {
    directory = new FakeDirectory()
    backends = await Promise.all(Array.from({length: count}, (_, i) => startBackend(`web.${i + 1}`, handler)))
    directory.set('shop', backends.map((b) => b.dyno()))
    ;({router, port, logs} = await startRouter(directory, options))
  }

  afterEach(async () => {
    await router?.close()
    router = undefined
    await Promise.all(backends.map((b) => b.close()))
    backends = []
  })

  it('spreads 60 requests evenly over 3 dynos and logs a line for each', async () => {
    await setup(3)
    const agent = new Agent({keepAlive: true, maxSockets: 1})
    const seen = new Map<string, number>()
    try {
      for (let i = 0; i < 60; i++) {
        const answer = await fetchVia(port, `shop.localhost:${port}`, {agent})
        assert.equal(answer.status, 200)
        const {dyno} = JSON.parse(answer.body.toString()) as {dyno: string}
        seen.set(dyno, (seen.get(dyno) ?? 0) + 1)
      }
    } finally {
      agent.destroy()
    }
    assert.deepEqual(Object.fromEntries([...seen].sort()), {'web.1': 20, 'web.2': 20, 'web.3': 20})
    await waitFor(() => logs.length === 60, {what: '60 log lines'})
    for (const entry of logs) {
      assert.deepEqual(entry.app, {id: 'id-shop', name: 'shop'})
      assert.match(entry.line, LINE)
    }
  })

  it('rewrites headers both ways', async () => {
    await setup(1)
    const rid = 'client-request-id-0123456789'
    const answer = await fetchVia(port, `shop.localhost:${port}`, {
      path: '/x?y=1',
      headers: {'x-request-id': rid, 'x-forwarded-for': '10.1.2.3', 'x-forwarded-proto': 'https', connection: 'keep-alive, x-drop', 'x-drop': '1', 'proxy-authorization': 'secret', te: 'trailers'},
    })
    assert.equal(answer.status, 200)
    const seen = JSON.parse(answer.body.toString()) as {url: string; headers: Record<string, string>}
    assert.equal(seen.url, '/x?y=1')
    assert.equal(seen.headers['x-request-id'], rid)
    assert.equal(seen.headers['x-forwarded-for'], '10.1.2.3, 127.0.0.1')
    assert.equal(seen.headers['x-forwarded-proto'], 'http')
    assert.equal(seen.headers['x-forwarded-port'], String(port))
    assert.equal(seen.headers.via, '1.1 tug')
    assert.equal(seen.headers.host, `shop.localhost:${port}`)
    for (const gone of ['x-drop', 'proxy-authorization', 'te']) assert.equal(seen.headers[gone], undefined, gone)
    assert.equal(answer.headers.via, '1.1 tug')
    assert.equal(answer.headers['x-request-id'], rid)
    await waitFor(() => logs.length === 1, {what: 'the log line'})
    assert.match(logs[0]?.line ?? '', new RegExp(`^at=info method=GET path="/x\\?y=1" host=shop\\.localhost request_id=${rid} fwd="10\\.1\\.2\\.3, 127\\.0\\.0\\.1" dyno=web\\.1 `))

    const fresh = await fetchVia(port, 'shop.localhost', {headers: {'x-request-id': 'bad id'}})
    assert.match(String(fresh.headers['x-request-id']), /^[0-9a-f-]{36}$/)
  })

  it('answers 404 for an unknown app or host, without a log line', async () => {
    await setup(1)
    for (const host of ['nosuch.localhost', 'localhost', '127.0.0.1', 'www.shop.localhost']) {
      const answer = await fetchVia(port, host)
      assert.equal(answer.status, 404, host)
      assert.match(answer.body.toString(), /No such app/)
    }
    assert.equal(logs.length, 0)
  })

  it('routes a configured domain', async () => {
    await setup(1, {domains: ['apps.example.com']})
    const answer = await fetchVia(port, 'shop.apps.example.com')
    assert.equal(answer.status, 200)
    assert.equal((await fetchVia(port, 'shop.other.com')).status, 404)
  })

  it('H14 with no web dyno, H10 when all crashed', async () => {
    await setup(2)
    directory.set('shop', [])
    const none = await fetchVia(port, 'shop.localhost')
    assert.equal(none.status, 503)
    assert.match(none.body.toString(), /Application error.*H14/s)
    directory.set('shop', backends.map((b) => b.dyno('crashed')))
    const crashed = await fetchVia(port, 'shop.localhost', {path: '/p'})
    assert.equal(crashed.status, 503)
    await waitFor(() => logs.length === 2, {what: 'two log lines'})
    assert.match(logs[0]?.line ?? '', /^at=error code=H14 desc="No web processes running" method=GET path="\/" host=shop\.localhost request_id=\S+ fwd="127\.0\.0\.1" dyno= connect= service= status=503 bytes= protocol=http$/)
    assert.match(logs[1]?.line ?? '', /^at=error code=H10 desc="App crashed" method=GET path="\/p" .* status=503 bytes= protocol=http$/)
  })

  it('H12 when the dyno sends no headers in time, and the dyno connection is closed', async () => {
    let dynoSawClose = false
    await setup(1, {responseTimeoutMs: 300}, (req) => {
      req.resume()
      req.socket.on('close', () => (dynoSawClose = true))
    })
    const answer = await fetchVia(port, 'shop.localhost')
    assert.equal(answer.status, 503)
    assert.match(answer.body.toString(), /H12/)
    await waitFor(() => dynoSawClose, {what: 'the dyno connection to close'})
    assert.match(logs[0]?.line ?? '', /^at=error code=H12 desc="Request timeout" method=GET path="\/" .* dyno=web\.1 connect=\d+ms service=\d+ms status=503 bytes= protocol=http$/)
  })

  it('H13 when the dyno closes before answering', async () => {
    await setup(1, {}, (req) => req.socket.destroy())
    const answer = await fetchVia(port, 'shop.localhost', {method: 'POST', body: 'x'})
    assert.equal(answer.status, 503)
    assert.match(answer.body.toString(), /H13/)
    await waitFor(() => logs.length === 1, {what: 'the log line'})
    assert.match(logs[0]?.line ?? '', /^at=error code=H13 desc="Connection closed without response" method=POST .* dyno=web\.1 .* status=503 /)
  })

  it('H13 when the dyno closes mid-response: the client connection is destroyed', async () => {
    await setup(1, {}, (req, res) => {
      res.writeHead(200, {'content-length': '1000'})
      res.write('partial')
      setTimeout(() => req.socket.destroy(), 50)
    })
    const outcome = await new Promise<string>((resolve) => {
      const req = request({host: '127.0.0.1', port, headers: {host: 'shop.localhost'}, agent: false}, (res) => {
        res.on('data', () => {})
        res.on('end', () => resolve('end'))
        res.on('error', (error) => resolve(`error: ${error.message}`))
        res.on('aborted', () => resolve('aborted'))
      })
      req.on('error', (error) => resolve(`request error: ${error.message}`))
      req.end()
    })
    assert.notEqual(outcome, 'end')
    await waitFor(() => logs.length === 1, {what: 'the log line'})
    assert.match(logs[0]?.line ?? '', /^at=error code=H13 desc="Connection closed without response" method=GET .* dyno=web\.1 .* status=200 bytes=7 protocol=http$/)
  })

  it('retries a refused connection once on another dyno, bodies included', async () => {
    await setup(1)
    const dead = await closedPort()
    directory.set('shop', [{name: 'web.1', host: '127.0.0.1', port: dead, state: 'up'}, backends[0]?.dyno() ?? assert.fail()].map((d, i) => ({...d, name: `web.${i + 1}`})))
    for (let i = 0; i < 10; i++) {
      const answer = await fetchVia(port, 'shop.localhost', {method: 'POST', body: `body ${i}`, headers: {'content-type': 'text/plain'}})
      assert.equal(answer.status, 200)
      assert.equal((JSON.parse(answer.body.toString()) as {dyno: string}).dyno, 'web.1')
    }
    await waitFor(() => logs.length === 10, {what: 'ten log lines'})
    for (const entry of logs) assert.match(entry.line, /^at=info .* dyno=web\.2 .* status=200 /)
  })

  it('answers H13 when the only dyno refuses twice', async () => {
    await setup(0)
    directory.set('shop', [{name: 'web.1', host: '127.0.0.1', port: await closedPort(), state: 'up'}])
    const answer = await fetchVia(port, 'shop.localhost')
    assert.equal(answer.status, 503)
    await waitFor(() => logs.length === 1, {what: 'the log line'})
    assert.match(logs[0]?.line ?? '', /^at=error code=H13 /)
  })

  it('holds a request while a dyno is starting, then serves it', async () => {
    await setup(1)
    directory.setState('shop', 'web.1', 'starting')
    const looked = directory.lookups
    const pending = fetchVia(port, 'shop.localhost')
    // A second lookup means the router found no dyno up, and is holding the request and polling.
    await waitFor(() => directory.lookups >= looked + 2, {what: 'the router holding the request'})
    directory.setState('shop', 'web.1', 'up')
    assert.equal((await pending).status, 200)
  })

  it('streams a chunked upload without a length', async () => {
    await setup(1, {}, (req, res) => {
      let bytes = 0
      req.on('data', (chunk: Buffer) => (bytes += chunk.length))
      req.on('end', () => res.end(String(bytes)))
    })
    const answer = await new Promise<string>((resolve, reject) => {
      const req = request({host: '127.0.0.1', port, method: 'POST', headers: {host: 'shop.localhost', 'transfer-encoding': 'chunked'}, agent: false}, (res) => {
        let text = ''
        res.on('data', (chunk: Buffer) => (text += chunk.toString()))
        res.on('end', () => resolve(text))
      })
      req.on('error', reject)
      req.write('a'.repeat(1000))
      setTimeout(() => req.end('b'.repeat(24)), 20)
    })
    assert.equal(answer, '1024')
  })

  it('passes a WebSocket upgrade through and pipes the sockets both ways', async () => {
    await setup(1)
    backends[0]?.server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
      const key = String(req.headers['sec-websocket-key'])
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64')
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nX-Seen-Forwarded-For: ${String(req.headers['x-forwarded-for'])}\r\n\r\n`)
      socket.pipe(socket)
    })
    const client = connect(port, '127.0.0.1')
    let received = Buffer.alloc(0)
    client.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])))
    try {
      await new Promise((resolve) => client.once('connect', resolve))
      client.write(`GET /ws HTTP/1.1\r\nHost: shop.localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`)
      await waitFor(() => received.includes('\r\n\r\n'), {what: 'the 101 head'})
      const head = received.toString('latin1', 0, received.indexOf('\r\n\r\n'))
      assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/)
      assert.match(head, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/)
      assert.match(head, /X-Seen-Forwarded-For: 127\.0\.0\.1/)
      received = received.subarray(received.indexOf('\r\n\r\n') + 4)
      // A masked text frame "hello"; the echo returns the very bytes.
      const mask = Buffer.from([1, 2, 3, 4])
      const payload = Buffer.from('hello').map((byte, i) => byte ^ (mask[i % 4] as number))
      const frame = Buffer.concat([Buffer.from([0x81, 0x85]), mask, payload])
      client.write(frame)
      await waitFor(() => received.length >= frame.length, {what: 'the echoed frame'})
      assert.deepEqual(received, frame)
      await waitFor(() => logs.length === 1, {what: 'the log line'})
      assert.match(logs[0]?.line ?? '', /^at=info method=GET path="\/ws" .* dyno=web\.1 .* status=101 /)
    } finally {
      client.destroy()
    }
  })

  it('drain keeps new requests off a dyno and waits for its in-flight request', async () => {
    const held: ServerResponse[] = []
    await setup(2, {}, (req, res) => {
      req.resume()
      if (req.url === '/slow') held.push(res)
      else res.end(JSON.stringify({dyno: req.socket.localPort === backends[0]?.port ? 'web.1' : 'web.2'}))
    })
    const slow = fetchVia(port, 'shop.localhost', {path: '/slow'})
    await waitFor(() => held.length === 1, {what: 'the slow request to arrive'})
    const slowDyno = held[0]?.req.socket.localPort === backends[0]?.port ? 'web.1' : 'web.2'
    const other = slowDyno === 'web.1' ? 'web.2' : 'web.1'
    let drained: {idle: boolean} | undefined
    const draining = (router as HttpRouter).drain('shop', slowDyno, {timeoutMs: 30_000}).then((r) => (drained = r))
    for (let i = 0; i < 6; i++) {
      const answer = await fetchVia(port, 'shop.localhost')
      assert.equal((JSON.parse(answer.body.toString()) as {dyno: string}).dyno, other)
    }
    assert.equal(drained, undefined)
    held[0]?.end('done')
    assert.deepEqual(await draining, {idle: true})
    assert.equal((await slow).body.toString(), 'done')
  })

  it('drain resolves at its timeout when a request stays in flight', async () => {
    const held: ServerResponse[] = []
    await setup(1, {}, (_req, res) => held.push(res))
    const slow = fetchVia(port, 'shop.localhost')
    await waitFor(() => held.length === 1, {what: 'the request to arrive'})
    assert.deepEqual(await (router as HttpRouter).drain('shop', 'web.1', {timeoutMs: 100}), {idle: false})
    held[0]?.end('late')
    assert.equal((await slow).body.toString(), 'late')
  })

  it('respects backpressure: a paused client stalls the dyno', async () => {
    let written = 0
    let blocked = false
    let finished = false
    await setup(1, {}, (_req, res) => {
      const chunk = Buffer.alloc(64 * 1024, 7)
      const pump = (): void => {
        while (written < 200 * 1024 * 1024) {
          written += chunk.length
          if (!res.write(chunk)) {
            blocked = true
            res.once('drain', () => {
              blocked = false
              pump()
            })
            return
          }
        }
        res.end(() => (finished = true))
      }
      pump()
    })
    let res: IncomingMessage | undefined
    const req = request({host: '127.0.0.1', port, headers: {host: 'shop.localhost'}, agent: false}, (r) => {
      res = r
      r.pause()
    })
    req.end()
    // Buffers fill stage by stage (dyno socket, router, client socket): wait until nothing moves.
    let last = -1
    const stalled = (): boolean => {
      const still = res !== undefined && blocked && written === last
      last = written
      return still
    }
    await waitFor(stalled, {what: () => `the dyno to stall (${written} bytes written)`, timeoutMs: 30_000, intervalMs: 300})
    assert.ok(written < 32 * 1024 * 1024, `too much buffered before the stall: ${written}`)
    let read = 0
    res?.on('data', (chunk: Buffer) => (read += chunk.length))
    res?.resume()
    await waitFor(() => finished && read === 200 * 1024 * 1024, {what: 'the whole body', timeoutMs: 60_000})
  })
})
