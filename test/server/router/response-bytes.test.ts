// The dyno's response head read on bytes (response-head.ts), end to end: a scripted dyno on a raw
// socket writes exact bytes, cut into pieces (separate reads on the router's side), and the
// client gets the same bytes from the fast path as from node's server path (`fastPath: false`),
// whatever the framing; what node's ServerResponse would refuse to write is H13 on both.
import assert from 'node:assert/strict'
import {connect, createServer, type AddressInfo, type Server, type Socket} from 'node:net'
import {afterEach, describe, it} from 'mocha'
import type {HttpRouter} from '../../../src/server/router/index.js'
import {waitFor} from '../../helpers/wait-for.js'
import {FakeDirectory, startRouter, useRealHttp} from './fixtures.js'

/** Ends the dyno's side of the connection, in a script's pieces. */
const CLOSE = '<close>'

/** A dyno answering each request head with `pieces` (written a few ms apart: separate reads; CLOSE ends the connection). */
async function scriptedDyno(pieces: (head: string) => string[]): Promise<{port: number; close(): Promise<void>}> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let buffered = ''
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1')
      const end = buffered.indexOf('\r\n\r\n')
      if (end === -1) return
      const head = buffered.slice(0, end)
      buffered = buffered.slice(end + 4)
      const parts = pieces(head)
      const writeFrom = (i: number): void => {
        if (socket.destroyed || i === parts.length) return
        if (parts[i] === CLOSE) return void socket.end()
        socket.write(Buffer.from(parts[i] as string, 'latin1'))
        setTimeout(() => writeFrom(i + 1), 5)
      }
      writeFrom(0)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

function normalise(text: string): string {
  return text
    .replace(/\r\nDate: [^\r]*/g, '\r\nDate: D')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID')
    .replace(/request_id=\S+/g, 'request_id=R')
    .replace(/(connect|service)=\d+ms/g, '$1=Nms')
}

describe('router: the dyno’s answer read on bytes, fast path against node’s path', function () {
  this.timeout(30_000)
  useRealHttp()
  const routers: HttpRouter[] = []
  const closers: Array<() => Promise<void>> = []
  const clients: Socket[] = []

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy()
    for (const router of routers.splice(0)) await router.close()
    for (const close of closers.splice(0)) await close()
  })

  /** Sends `request` through a router with and without the fast path; both transcripts and log lines, normalised. */
  async function both(pieces: (head: string) => string[], request: string, done: (data: string) => boolean): Promise<Array<{data: string; lines: string[]; fast: number}>> {
    const dyno = await scriptedDyno(pieces)
    closers.push(dyno.close)
    const out = []
    for (const fastPath of [true, false]) {
      const directory = new FakeDirectory()
      directory.set('shop', [{name: 'web.1', host: '127.0.0.1', port: dyno.port, state: 'up'}])
      const started = await startRouter(directory, {fastPath})
      routers.push(started.router)
      const client = connect({host: '127.0.0.1', port: started.port})
      clients.push(client)
      let data = ''
      client.setEncoding('latin1').on('data', (chunk: string) => (data += chunk))
      client.on('error', () => {})
      client.write(request)
      await waitFor(() => done(data), {what: () => `the answer (fastPath ${fastPath}): ${JSON.stringify(data)}`})
      await waitFor(() => started.logs.length >= 1, {what: 'the log line'})
      out.push({data: normalise(data), lines: started.logs.map((entry) => normalise(entry.line)), fast: started.router.fastRequests})
    }
    return out
  }

  const GET = 'GET /x HTTP/1.1\r\nHost: shop.localhost\r\nUser-Agent: t\r\n\r\n'
  const ended = (text: string) => (data: string) => data.endsWith(text)

  const cases: Array<[string, string[], string, string]> = [
    ['a head split across reads, byte by byte at its end', ['HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-A: 1\r', '\n', 'Content-Length: 5\r\n\r', '\nhello'], GET, 'hello'],
    ['a head and body in one read, with odd whitespace and obs-text', ['HTTP/1.1 200 OK\r\nX-A:b\r\nX-B:  c \t\r\nX-C: caf\xe9 \xa0\r\nX-Empty:\r\nVia: 1.0 edge\r\nvia: 1.1 x\r\nContent-Length: 2\r\n\r\nok'], GET, 'ok'],
    ['chunked, split inside the head and the chunks', ['HTTP/1.1 200 OK\r\nTransfer-Enc', 'oding: chunked\r\n\r\n5\r\nhel', 'lo\r\n0\r\n\r\n'], GET, '0\r\n\r\n'],
    ['a body without a length, until close', ['HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nuntil ', 'the end', CLOSE], GET, '0\r\n\r\n'],
    ['a Connection header naming others', ['HTTP/1.1 200 OK\r\nConnection: X-Secret, keep-alive\r\nX-Secret: s\r\nX-Kept: k\r\nKeep-Alive: timeout=5\r\nProxy-Authenticate: x\r\nContent-Length: 2\r\n\r\nok'], GET, 'ok'],
    ['a very long header', [`HTTP/1.1 200 OK\r\nX-Long: ${'v'.repeat(20_000)}\r\nContent-Length: 2\r\n\r\nok`], GET, 'ok'],
    ['the dyno’s request id and date', ['HTTP/1.1 200 OK\r\nx-request-id: from-the-dyno\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nContent-Length: 2\r\n\r\nok'], GET, 'ok'],
    ['HTTP/1.0', ['HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok'], GET, 'ok'],
    ['204', ['HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n'], GET, '\r\n\r\n'],
    ['304', ['HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n'], GET, '\r\n\r\n'],
    ['HEAD', ['HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n'], 'HEAD /x HTTP/1.1\r\nHost: shop.localhost\r\n\r\n', '\r\n\r\n'],
    ['bytes past the response', ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA'], GET, 'ok'],
    ['an interim answer first', ['HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'], GET, 'ok'],
  ]
  for (const [what, pieces, request, end] of cases) {
    it(`relays ${what} byte for byte as node’s path`, async () => {
      const [fast, node] = await both(() => pieces, request, ended(end))
      assert.equal(fast?.fast, 1, 'the fast path answered')
      assert.equal(node?.fast, 0)
      assert.equal(fast?.data, node?.data)
      assert.deepEqual(fast?.lines, node?.lines)
    })
  }

  for (const statusLine of ['HTTP/1.1 200', 'HTTP/1.1 200 ']) {
    it(`gives a status line without a reason phrase (${JSON.stringify(statusLine)}) node’s phrase, on both paths alike`, async () => {
      const [fast, node] = await both(() => [`${statusLine}\r\nContent-Length: 2\r\n\r\nok`], GET, ended('ok'))
      assert.match(fast?.data ?? '', /^HTTP\/1\.1 200 OK\r\n/)
      assert.equal(fast?.data, node?.data)
      assert.deepEqual(fast?.lines, node?.lines)
    })
  }

  for (const [what, head] of [
    ['a control character in a value', 'HTTP/1.1 200 OK\r\nX-A: a\x01b\r\nContent-Length: 2\r\n\r\nok'],
    ['a bare CR in a value', 'HTTP/1.1 200 OK\r\nX-A: a\rSet-Cookie: b\r\nContent-Length: 2\r\n\r\nok'],
    ['DEL in the status line', 'HTTP/1.1 200 O\x7fK\r\nContent-Length: 2\r\n\r\nok'],
  ] as const) {
    it(`answers H13 to ${what}, as node’s path`, async () => {
      const [fast, node] = await both(() => [head], GET, (data) => /\r\n\r\n[^]*Request ID/.test(data))
      assert.match(fast?.data ?? '', /^HTTP\/1\.1 503 /)
      assert.doesNotMatch(fast?.data ?? '', /Set-Cookie|X-A/i)
      assert.equal(fast?.data, node?.data)
      assert.match(fast?.lines[0] ?? '', /code=H13 /)
      assert.deepEqual(fast?.lines, node?.lines)
    })
  }
})
