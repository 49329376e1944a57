// The router's raw client to dynos (upstream.ts): response framing, interim answers, keep-alive
// reuse and refusals, against scripted dynos on raw sockets that write exact bytes.
import assert from 'node:assert/strict'
import {createServer, type AddressInfo, type Server, type Socket} from 'node:net'
import type {HttpRouter} from '../../../src/server/router/index.js'
import {waitFor} from '../../helpers/wait-for.js'
import {FakeDirectory, fetchVia, startRouter, useRealHttp, type LogEntry} from './fixtures.js'

/** One request head the dyno read, and on which connection (0, 1, ...). */
interface Seen {
  head: string
  connection: number
}

/** What the dyno writes for a request: pieces written one after the other (a macrotask apart), and whether it then closes. */
interface Script {
  pieces: Array<string | Buffer>
  close?: boolean
}

interface RawDyno {
  port: number
  seen: Seen[]
  connections: number
  close(): Promise<void>
}

async function rawDyno(script: (head: string, index: number) => Script): Promise<RawDyno> {
  const sockets = new Set<Socket>()
  const dyno: RawDyno = {port: 0, seen: [], connections: 0, close: async () => {}}
  const server: Server = createServer((socket) => {
    const connection = dyno.connections++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let buffered = ''
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1')
      for (let end = buffered.indexOf('\r\n\r\n'); end !== -1; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end)
        buffered = buffered.slice(end + 4)
        dyno.seen.push({head, connection})
        const {pieces, close} = script(head, dyno.seen.length - 1)
        const writeFrom = (i: number): void => {
          if (socket.destroyed) return
          if (i === pieces.length) {
            if (close) socket.end()
            return
          }
          socket.write(pieces[i] as string | Buffer)
          setTimeout(() => writeFrom(i + 1), 5)
        }
        writeFrom(0)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  dyno.port = (server.address() as AddressInfo).port
  dyno.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    })
  return dyno
}

describe('router: its client to dynos (raw sockets)', function () {
  this.timeout(60_000)
  useRealHttp()
  let dyno: RawDyno | undefined
  let router: HttpRouter | undefined
  let port = 0
  let logs: LogEntry[] = []

  async function setup(script: (head: string, index: number) => Script): Promise<void> {
    dyno = await rawDyno(script)
    const directory = new FakeDirectory()
    directory.set('shop', [{name: 'web.1', host: '127.0.0.1', port: dyno.port, state: 'up'}])
    ;({router, port, logs} = await startRouter(directory))
  }

  afterEach(async () => {
    await router?.close()
    router = undefined
    await dyno?.close()
    dyno = undefined
  })

  it('relays a chunked body split anywhere, with extensions and trailers, and reuses the connection', async () => {
    const body = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n'
    // The same bytes in one write, then cut into 1-byte and odd-sized writes.
    const cuts = [[body], [...body], body.match(/[^]{1,7}/g) ?? []]
    await setup((_, index) => ({pieces: cuts[index % cuts.length] ?? []}))
    for (let i = 0; i < cuts.length; i++) {
      const answer = await fetchVia(port, 'shop.localhost')
      assert.equal(answer.status, 200)
      assert.equal(answer.body.toString(), 'hello, world')
      assert.equal(answer.headers['content-type'], 'text/plain')
    }
    assert.equal(dyno?.connections, 1, 'one keep-alive connection for every request')
    await waitFor(() => logs.length === 3, {what: 'three log lines'})
    for (const {line} of logs) assert.match(line, / status=200 bytes=12 protocol=http$/)
  })

  it('reads a body without a length until the dyno closes, and opens a new connection for the next request', async () => {
    await setup(() => ({pieces: ['HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ', 'the end'], close: true}))
    for (let i = 0; i < 2; i++) {
      const answer = await fetchVia(port, 'shop.localhost')
      assert.equal(answer.status, 200)
      assert.equal(answer.body.toString(), 'until the end')
    }
    assert.equal(dyno?.connections, 2)
  })

  it('reads no body after HEAD, 204 and 304, and reuses the connection after each', async () => {
    await setup((head) => {
      if (head.startsWith('HEAD')) return {pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n']}
      if (head.includes(' /204 ')) return {pieces: ['HTTP/1.1 204 No Content\r\n\r\n']}
      return {pieces: ['HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n']}
    })
    const head = await fetchVia(port, 'shop.localhost', {method: 'HEAD'})
    assert.equal(head.status, 200)
    assert.equal(head.headers['content-length'], '1000')
    assert.equal((await fetchVia(port, 'shop.localhost', {path: '/204'})).status, 204)
    const notModified = await fetchVia(port, 'shop.localhost', {path: '/304'})
    assert.equal(notModified.status, 304)
    assert.equal(notModified.headers.etag, '"x"')
    assert.equal(dyno?.connections, 1)
  })

  it('skips interim answers (100 Continue, 103 Early Hints) and relays the final one', async () => {
    await setup(() => ({pieces: ['HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok']}))
    const answer = await fetchVia(port, 'shop.localhost', {method: 'POST', body: 'x'})
    assert.equal(answer.status, 201)
    assert.equal(answer.body.toString(), 'ok')
  })

  it('does not reuse a connection the dyno says it closes, keeps for a second or less, or answered past the response', async () => {
    const heads = ['Connection: close\r\n', 'Keep-Alive: timeout=1\r\n', '']
    await setup((_, index) => ({pieces: [`HTTP/1.1 200 OK\r\n${heads[index] ?? ''}Content-Length: 2\r\n\r\nok${index === 2 ? 'EXTRA' : ''}`]}))
    for (let i = 0; i < 4; i++) assert.equal((await fetchVia(port, 'shop.localhost')).body.toString(), 'ok')
    // Request 1 and 2 each closed their connection, 3 was followed by stray bytes, 4 got a fresh one.
    assert.deepEqual(
      dyno?.seen.map((s) => s.connection),
      [0, 1, 2, 3],
    )
  })

  it('sends the request head the dyno expects: origin form, the headers, keep-alive', async () => {
    await setup(() => ({pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n']}))
    await fetchVia(port, 'shop.localhost', {path: '/p?q=1', headers: {'x-custom': 'a b'}})
    const head = dyno?.seen[0]?.head ?? ''
    assert.match(head, /^GET \/p\?q=1 HTTP\/1\.1\r\n/)
    assert.match(head, /\r\nx-custom: a b\r\n/i)
    assert.match(head, /\r\nhost: shop\.localhost\r\n/i)
    assert.match(head, /\r\nvia: 1\.1 tug\r\n/i)
    assert.match(head, /\r\nConnection: keep-alive$/)
  })

  for (const [what, bytes] of [
    ['both Content-Length and Transfer-Encoding', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'],
    ['no status line', 'hello there\r\n\r\n'],
    ['a header line without a name', 'HTTP/1.1 200 OK\r\n: x\r\nContent-Length: 2\r\n\r\nok'],
    ['two different lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok'],
    ['a bare CR in a header value', 'HTTP/1.1 200 OK\r\nX-A: a\rSet-Cookie: b\r\nContent-Length: 2\r\n\r\nok'],
    ['a bare LF in a header value', 'HTTP/1.1 200 OK\r\nX-A: a\nSet-Cookie: b\r\nContent-Length: 2\r\n\r\nok'],
    ['a NUL in a header value', 'HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\nContent-Length: 2\r\n\r\nok'],
  ] as const) {
    it(`answers H13 to a response with ${what}`, async () => {
      await setup(() => ({pieces: [bytes]}))
      const answer = await fetchVia(port, 'shop.localhost')
      assert.equal(answer.status, 503)
      assert.match(answer.body.toString(), /H13/)
      await waitFor(() => logs.length === 1, {what: 'the log line'})
      assert.match(logs[0]?.line ?? '', /^at=error code=H13 /)
    })
  }

  it('H13 with the status and bytes so far when a chunked body is cut short', async () => {
    await setup(() => ({pieces: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel'], close: true}))
    await fetchVia(port, 'shop.localhost').then(
      () => assert.fail('the client connection should have been destroyed'),
      (error: Error) => assert.ok(error),
    )
    await waitFor(() => logs.length === 1, {what: 'the log line'})
    assert.match(logs[0]?.line ?? '', /^at=error code=H13 .* status=200 bytes=3 protocol=http$/)
  })
})
