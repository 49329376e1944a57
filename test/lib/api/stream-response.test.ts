// The log stream's response, opened through node:http (tug's frames path) and through fetch: both
// follow redirects the same way, against real local servers that redirect.
import assert from 'node:assert/strict'
import http, {type IncomingHttpHeaders} from 'node:http'
import type {AddressInfo} from 'node:net'

import {Agent} from 'undici'

import {MAX_REDIRECTS} from '../../../src/lib/api/redirects.js'
import {openStream, type StreamResponse} from '../../../src/lib/api/stream-response.js'
import {readLogChunks, type RawLines} from '../../../src/lib/api/stream.js'
import {FRAMES_TYPE} from '../../../src/shared/log-frames.js'

interface Seen {
  method: string
  path: string
  headers: IncomingHttpHeaders
}

interface Server {
  origin: string
  seen: Seen[]
  close(): Promise<void>
}

/**
 * `/to/<status>?<url>` answers <status> with Location <url> (relative or absolute); `/loop`
 * redirects to itself; `/bare` is a 302 without Location; anything else is the stream: one frame.
 */
async function startServer(): Promise<Server> {
  const seen: Seen[] = []
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    seen.push({method: req.method ?? '', path: url.pathname, headers: req.headers})
    const to = /^\/to\/(\d{3})$/.exec(url.pathname)
    if (to) return res.writeHead(Number(to[1]), {location: decodeURIComponent(url.search.slice(1))}).end('moved')
    if (url.pathname === '/loop') return res.writeHead(302, {location: '/loop'}).end()
    if (url.pathname === '/bare') return res.writeHead(302, {'content-type': 'text/plain'}).end('no location')
    res.writeHead(200, {'content-type': FRAMES_TYPE}).end('7 1 4\nend\n')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

const headers = {Accept: FRAMES_TYPE, 'Last-Event-ID': '6', Authorization: 'Bearer secret', Cookie: 'a=b'}

describe('log stream response: redirects', () => {
  let home: Server
  let elsewhere: Server
  const agent = new Agent()
  const opened: StreamResponse[] = []

  before(async () => {
    home = await startServer()
    elsewhere = await startServer()
  })

  beforeEach(() => {
    home.seen.length = 0
    elsewhere.seen.length = 0
  })

  afterEach(async () => {
    for (const response of opened.splice(0)) await response.cancel()
  })

  after(async () => {
    await agent.close()
    await home.close()
    await elsewhere.close()
  })

  /** A URL on `server` that answers `status` with Location `location`. */
  const to =
    (server: () => Server) =>
    (status: number, location: string): string =>
      `${server().origin}/to/${status}?${encodeURIComponent(location)}`
  const via = to(() => home)

  for (const [path, dispatcher] of [
    ['node:http', undefined],
    ['fetch', agent],
  ] as const) {
    describe(path, () => {
      async function open(url: string, sent: Record<string, string> = headers): Promise<StreamResponse> {
        const response = await openStream(url, {headers: sent, dispatcher, connectTimeoutMs: 5000, idleTimeoutMs: 5000})
        opened.push(response)
        return response
      }

      it('follows 301, 302, 303, 307 and 308 as GETs, to a relative Location, with every header on the same origin', async () => {
        for (const status of [301, 302, 303, 307, 308]) {
          home.seen.length = 0
          const response = await open(`${home.origin}/to/${status}?${encodeURIComponent('/stream')}`)
          assert.equal(response.status, 200, `after a ${status}`)
          assert.equal(response.header('content-type'), FRAMES_TYPE)
          assert.equal(await response.text(), '7 1 4\nend\n')
          assert.deepEqual(home.seen.map((s) => `${s.method} ${s.path}`), [`GET /to/${status}`, 'GET /stream'])
          const last = home.seen[1]?.headers
          assert.equal(last?.authorization, 'Bearer secret')
          assert.equal(last?.cookie, 'a=b')
          assert.equal(last?.['last-event-id'], '6')
          assert.equal(last?.accept, FRAMES_TYPE)
        }
      })

      it('drops Authorization and Cookie once the origin changes, and keeps them out after', async () => {
        // home -> home -> elsewhere -> home: the last hop is back on the first origin, still without them.
        const back = `${home.origin}/stream`
        const response = await open(via(307, via(302, to(() => elsewhere)(301, back))))
        assert.equal(await response.text(), '7 1 4\nend\n')
        assert.equal(home.seen.length, 3)
        assert.equal(elsewhere.seen.length, 1)
        assert.equal(home.seen[1]?.headers.authorization, 'Bearer secret', 'the same origin keeps it')
        for (const seen of [elsewhere.seen[0], home.seen[2]]) {
          assert.equal(seen?.headers.authorization, undefined)
          assert.equal(seen?.headers.cookie, undefined)
          assert.equal(seen?.headers['last-event-id'], '6')
          assert.equal(seen?.headers.accept, FRAMES_TYPE)
        }
      })

      it(`follows ${MAX_REDIRECTS} redirects and no more`, async () => {
        await assert.rejects(open(`${home.origin}/loop`), (error: Error) => {
          // fetch says it in its cause.
          const message = error.cause instanceof Error ? error.cause.message : error.message
          assert.match(message, path === 'fetch' ? /redirect count exceeded/ : new RegExp(`^more than ${MAX_REDIRECTS} redirects \\(the last to ${home.origin}\\)$`))
          return true
        })
        assert.equal(home.seen.length, 1 + MAX_REDIRECTS)
        // Exactly the limit is fine.
        home.seen.length = 0
        let url = `${home.origin}/stream`
        for (let i = 0; i < MAX_REDIRECTS; i++) url = via(302, url)
        assert.equal(await (await open(url)).text(), '7 1 4\nend\n')
        assert.equal(home.seen.length, 1 + MAX_REDIRECTS)
      })

      it('answers a redirect without Location as it is, and refuses one to another scheme', async () => {
        const bare = await open(`${home.origin}/bare`)
        assert.equal(bare.status, 302)
        assert.equal(await bare.text(), 'no location')
        await assert.rejects(open(via(302, 'ftp://127.0.0.1/x')), (error: Error) => {
          assert.match(error.cause instanceof Error ? error.cause.message : error.message, /scheme must be a HTTP\(S\) scheme|ftp: URL, not http\(s\)/)
          return true
        })
        assert.equal(home.seen.length, 2, 'no request after the refused redirect')
      })
    })
  }

  it('tug logs reads frames behind a redirect, and a redirect loop fails with a clear error', async () => {
    const chunks: RawLines[] = []
    for await (const chunk of readLogChunks(via(301, `${home.origin}/stream`), {tail: false}, true)) {
      assert.ok(!Array.isArray(chunk), 'frames')
      chunks.push(chunk)
    }
    assert.equal(Buffer.concat(chunks.flatMap((c) => c.raw)).toString(), 'end\n')
    const reading = (async () => {
      for await (const _ of readLogChunks(`${home.origin}/loop`, {tail: false}, true)) assert.fail('no lines')
    })()
    await assert.rejects(reading, {message: `Could not read the log stream from ${home.origin}: more than ${MAX_REDIRECTS} redirects (the last to ${home.origin})`})
  })
})
