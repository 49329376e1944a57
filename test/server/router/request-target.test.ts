// What the router does with request lines and Host headers a browser never sends, over raw
// sockets (node's client would normalise them): two Host headers are a 400 (RFC 9112 3.2), and an
// absolute-form target (what a client sends to a proxy) reaches the dyno in origin form, with the
// target's authority naming the app and sent as Host.
import assert from 'node:assert/strict'
import type {IncomingMessage} from 'node:http'
import {connect, type Socket} from 'node:net'
import type {HttpRouter} from '../../../src/server/router/index.js'
import {waitFor} from '../../helpers/wait-for.js'
import {FakeDirectory, startBackend, startRouter, useRealHttp, type Backend, type LogEntry} from './fixtures.js'

interface RawAnswer {
  status: number
  head: string
  body: string
}

/** Writes `request` as is and reads until the router closes the connection. */
async function raw(port: number, request: string): Promise<RawAnswer> {
  const socket: Socket = connect(port, '127.0.0.1')
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.once('close', () => resolve())
      socket.write(request)
    })
  } finally {
    socket.destroy()
  }
  const text = Buffer.concat(chunks).toString('latin1')
  const end = text.indexOf('\r\n\r\n')
  const head = end === -1 ? text : text.slice(0, end)
  return {status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body: end === -1 ? '' : text.slice(end + 4)}
}

describe('router: request targets and Host headers', function () {
  this.timeout(30_000)
  useRealHttp()
  let backend: Backend
  let router: HttpRouter
  let port = 0
  let logs: LogEntry[] = []
  const seen: Array<{url: string | undefined; host: string | undefined}> = []

  beforeEach(async () => {
    seen.length = 0
    backend = await startBackend('web.1', (req, res) => {
      req.resume()
      seen.push({url: req.url, host: req.headers.host})
      const body = JSON.stringify({url: req.url, host: req.headers.host})
      res.writeHead(200, {'content-type': 'application/json', 'content-length': Buffer.byteLength(body)})
      res.end(body)
    })
    backend.server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
      seen.push({url: req.url, host: req.headers.host})
      socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n')
    })
    const directory = new FakeDirectory()
    directory.set('shop', [backend.dyno()])
    ;({router, port, logs} = await startRouter(directory))
  })

  afterEach(async () => {
    await router.close()
    await backend.close()
  })

  it('answers 400 to two Host headers, whether they agree or not, and forwards nothing', async () => {
    for (const hosts of [['shop.localhost', 'shop.localhost'], ['shop.localhost', 'other.localhost'], ['nosuch.localhost', 'shop.localhost']]) {
      const answer = await raw(port, `GET /x HTTP/1.1\r\n${hosts.map((h) => `Host: ${h}\r\n`).join('')}Connection: close\r\n\r\n`)
      assert.equal(answer.status, 400, hosts.join(' + '))
      assert.match(answer.head, /\r\nConnection: close/i)
      assert.match(answer.body, /The router cannot forward this request: it has more than one Host header\./)
    }
    const upgrade = await raw(port, 'GET /ws HTTP/1.1\r\nHost: shop.localhost\r\nHost: shop.localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n')
    assert.equal(upgrade.status, 400)
    assert.match(upgrade.body, /more than one Host header/)
    assert.deepEqual(seen, [], 'the dyno got nothing')
    assert.deepEqual(logs, [])
    // One Host header still goes through on the same router.
    const fine = await raw(port, 'GET /x HTTP/1.1\r\nHost: shop.localhost\r\nConnection: close\r\n\r\n')
    assert.equal(fine.status, 200)
  })

  it('forwards an absolute-form target in origin form, the target naming the app and the Host', async () => {
    const answer = await raw(port, `GET http://shop.localhost:${port}/x?y=1 HTTP/1.1\r\nHost: elsewhere.localhost\r\nConnection: close\r\n\r\n`)
    assert.equal(answer.status, 200)
    assert.deepEqual(JSON.parse(answer.body), {url: '/x?y=1', host: `shop.localhost:${port}`})
    await waitFor(() => logs.length === 1, {what: 'the log line'})
    assert.match(logs[0]?.line ?? '', /^at=info method=GET path="\/x\?y=1" host=shop\.localhost /)

    const bare = await raw(port, 'GET HTTP://shop.localhost HTTP/1.1\r\nHost: shop.localhost\r\nConnection: close\r\n\r\n')
    assert.deepEqual(JSON.parse(bare.body), {url: '/', host: 'shop.localhost'})
    const query = await raw(port, 'GET http://shop.localhost?q HTTP/1.1\r\nHost: shop.localhost\r\nConnection: close\r\n\r\n')
    assert.deepEqual(JSON.parse(query.body), {url: '/?q', host: 'shop.localhost'})

    // The target's authority wins over the Host header (RFC 9112 3.2.2), both ways.
    const other = await raw(port, 'GET http://nosuch.localhost/x HTTP/1.1\r\nHost: shop.localhost\r\nConnection: close\r\n\r\n')
    assert.equal(other.status, 404)

    const upgrade = await raw(port, `GET http://shop.localhost:${port}/ws HTTP/1.1\r\nHost: shop.localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`)
    assert.equal(upgrade.status, 101)
    assert.deepEqual(seen.at(-1), {url: '/ws', host: `shop.localhost:${port}`})
  })

  it('answers 400 to a target that is neither a path nor an http(s) URL', async () => {
    for (const target of ['x', 'ftp://shop.localhost/x', 'http://user@shop.localhost/x', 'http:///x']) {
      const answer = await raw(port, `GET ${target} HTTP/1.1\r\nHost: shop.localhost\r\nConnection: close\r\n\r\n`)
      assert.equal(answer.status, 400, target)
    }
    assert.deepEqual(seen, [])
  })
})
