import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'

import nock from 'nock'

import {ApiClient} from '../../../src/lib/api/client.js'
import type {ClientOptions} from '../../../src/lib/api/client.js'
import {ApiError, NetworkError} from '../../../src/lib/errors.js'
import {networkError} from '../../helpers/network-error.js'

const BASE = 'http://api.tug.test'
const TOKEN = 'tok-0123'
const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {version: string}).version
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

interface Captured {
  method: string
  path: string
  headers: Record<string, string | string[] | undefined>
  body: string
}

function makeClient(overrides: Partial<ClientOptions> = {}): {client: ApiClient; waits: number[]} {
  const waits: number[] = []
  const client = new ApiClient({
    baseUrl: BASE,
    token: TOKEN,
    sleep: async (ms) => {
      waits.push(ms)
    },
    ...overrides,
  })
  return {client, waits}
}

/** Records each request the interceptor answers: nock hands us the raw Node headers. */
type ReplyFn = (this: nock.ReplyFnContext, uri: string, body: nock.Body) => [number, string, Record<string, string>]

function recorder(): {seen: Captured[]; reply: (status: number, body?: unknown, headers?: Record<string, string>) => ReplyFn} {
  const seen: Captured[] = []
  return {
    seen,
    reply: (status, body, headers = {}) =>
      function (this: nock.ReplyFnContext, uri: string, requestBody: nock.Body) {
        seen.push({
          method: this.req.method ?? '',
          path: uri,
          headers: {...this.req.headers},
          body: typeof requestBody === 'string' ? requestBody : JSON.stringify(requestBody),
        })
        const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body)
        return [status, text, {'Content-Type': 'application/json', ...headers}]
      },
  }
}

async function rejects<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`)
    return error
  }
  assert.fail(`expected ${type.name}, but it resolved`)
}

const app = {name: 'shop', id: '01234567-89ab-cdef-0123-456789abcdef'}

describe('ApiClient', () => {
  before(() => {
    nock.disableNetConnect()
    nock.enableNetConnect('127.0.0.1')
  })
  afterEach(() => nock.cleanAll())
  after(() => nock.enableNetConnect())

  describe('request headers and bodies', () => {
    it('sends auth, the v3 media type, the user agent and a fresh Request-Id on a GET', async () => {
      const r = recorder()
      const scope = nock(BASE).get('/account').times(2).reply(r.reply(200, {email: 'dev@example.com'}))
      const {client} = makeClient()
      assert.deepEqual(await client.account.get(), {email: 'dev@example.com'})
      await client.account.get()
      scope.done()
      const [first, second] = r.seen
      assert.ok(first && second)
      assert.equal(first.headers.authorization, `Bearer ${TOKEN}`)
      assert.equal(first.headers.accept, 'application/vnd.heroku+json; version=3')
      assert.equal(first.headers['user-agent'], `tug/${VERSION}`)
      assert.match(String(first.headers['request-id']), UUID)
      assert.notEqual(first.headers['request-id'], second.headers['request-id'])
      assert.equal(first.headers['content-type'], undefined)
      assert.equal(first.headers.range, undefined)
      assert.equal(first.body, '')
    })

    it('sends a JSON body with Content-Type on a POST', async () => {
      const r = recorder()
      nock(BASE).post('/apps').reply(r.reply(201, {...app}))
      const {client} = makeClient()
      const created = await client.apps.create({name: 'shop', region: 'us'})
      assert.equal(created.name, 'shop')
      assert.equal(r.seen[0]?.headers['content-type'], 'application/json')
      assert.equal(r.seen[0]?.body, '{"name":"shop","region":"us"}')
    })

    it('sends no Authorization without a token, and a custom user agent', async () => {
      const r = recorder()
      nock(BASE).get('/apps').reply(r.reply(200, []))
      const {client} = makeClient({token: undefined, userAgent: 'ci-bot/1'})
      assert.deepEqual(await client.apps.list(), [])
      assert.equal(r.seen[0]?.headers.authorization, undefined)
      assert.equal(r.seen[0]?.headers['user-agent'], 'ci-bot/1')
    })

    it('names the Accept variant from the client, and lets a request override it', async () => {
      const r = recorder()
      nock(BASE).get('/apps/shop').times(2).reply(r.reply(200, app))
      const {client} = makeClient({variant: 'sdk'})
      await client.apps.info('shop')
      await client.get('/apps/shop', {variant: 'run-inside', headers: {'X-Extra': 'yes', 'user-agent': 'custom/2'}})
      assert.equal(r.seen[0]?.headers.accept, 'application/vnd.heroku+json; version=3.sdk')
      assert.equal(r.seen[1]?.headers.accept, 'application/vnd.heroku+json; version=3.run-inside')
      assert.equal(r.seen[1]?.headers['x-extra'], 'yes')
      assert.equal(r.seen[1]?.headers['user-agent'], 'custom/2')
    })

    it('encodes path segments and strips a trailing slash from the base URL', async () => {
      const r = recorder()
      nock(BASE).get('/apps/a%20b%2Fc/formation/web%3F').reply(r.reply(200, {type: 'web?'}))
      const {client} = makeClient({baseUrl: `${BASE}/`})
      assert.equal(client.baseUrl, BASE)
      assert.deepEqual(await client.formation.info('a b/c', 'web?'), {type: 'web?'})
      assert.equal(r.seen[0]?.path, '/apps/a%20b%2Fc/formation/web%3F')
    })

    it('scales with one batch PATCH of the formation', async () => {
      const r = recorder()
      nock(BASE).patch('/apps/shop/formation').reply(r.reply(200, [{type: 'web', quantity: 2}]))
      const {client} = makeClient()
      const result = await client.formation.batchUpdate('shop', [{type: 'web', quantity: '2'}, {type: 'worker', quantity: '+1', size: 'Standard-2X'}])
      assert.deepEqual(result, [{type: 'web', quantity: 2}])
      assert.equal(r.seen[0]?.body, '{"updates":[{"type":"web","quantity":"2"},{"type":"worker","quantity":"+1","size":"Standard-2X"}]}')
    })

    it('restarts and stops on the paths Heroku uses', async () => {
      const r = recorder()
      nock(BASE)
        .delete('/apps/shop/dynos').reply(r.reply(202, {}))
        .delete('/apps/shop/dynos/web.1').reply(r.reply(202, {}))
        .delete('/apps/shop/formations/worker').reply(r.reply(202, {}))
        .post('/apps/shop/dynos/run.1/actions/stop').reply(r.reply(202, ''))
        .post('/apps/shop/formations/web/actions/stop').reply(r.reply(202, {}))
      const {client} = makeClient()
      assert.equal(await client.dynos.restartAll('shop'), undefined)
      await client.dynos.restart('shop', 'web.1')
      await client.dynos.restartType('shop', 'worker')
      await client.dynos.stop('shop', 'run.1')
      await client.dynos.stopType('shop', 'web')
      assert.deepEqual(r.seen.map((s) => `${s.method} ${s.path}`), [
        'DELETE /apps/shop/dynos',
        'DELETE /apps/shop/dynos/web.1',
        'DELETE /apps/shop/formations/worker',
        'POST /apps/shop/dynos/run.1/actions/stop',
        'POST /apps/shop/formations/web/actions/stop',
      ])
    })

    it('creates a one-off dyno, a log session, a build and reads config', async () => {
      const r = recorder()
      nock(BASE)
        .post('/apps/shop/dynos').reply(r.reply(201, {name: 'run.1', attach_url: 'rendezvous://h:1/s'}))
        .post('/apps/shop/log-sessions').reply(r.reply(201, {logplex_url: 'http://logs/x'}))
        .post('/apps/shop/builds').reply(r.reply(201, {id: 'b1', status: 'pending'}))
        .get('/apps/shop/builds/b1').reply(r.reply(200, {id: 'b1', status: 'succeeded'}))
        .patch('/apps/shop/config-vars').reply(r.reply(200, {A: '1'}))
        .get('/apps/shop/releases/12/config-vars').reply(r.reply(200, {A: '0'}))
        .get('/dyno-sizes').reply(r.reply(200, [{name: 'Standard-1X'}]))
      const {client} = makeClient()
      await client.dynos.create('shop', {command: 'bash', attach: true, env: {TERM: 'xterm', COLUMNS: 80}})
      await client.logSessions.create('shop', {tail: true, lines: 100, dyno: 'web'})
      await client.builds.create('shop', {source_blob: {url: 'http://x/get'}})
      assert.equal((await client.builds.info('shop', 'b1')).status, 'succeeded')
      assert.deepEqual(await client.config.update('shop', {A: '1', B: null}), {A: '1'})
      assert.deepEqual(await client.config.forRelease('shop', 12), {A: '0'})
      assert.equal((await client.dynoSizes.list()).length, 1)
      assert.deepEqual(r.seen.filter((s) => s.body !== '').map((s) => s.body), [
        '{"command":"bash","attach":true,"env":{"TERM":"xterm","COLUMNS":80}}',
        '{"tail":true,"lines":100,"dyno":"web"}',
        '{"source_blob":{"url":"http://x/get"}}',
        '{"A":"1","B":null}',
      ])
    })

    it('reads the latest release with a max=1 descending Range', async () => {
      const r = recorder()
      nock(BASE)
        .get('/apps/shop/releases').reply(r.reply(206, [{version: 12}], {'Next-Range': 'version ]12..; max=1, order=desc'}))
        .get('/apps/shop/releases').reply(r.reply(200, []))
      const {client} = makeClient()
      assert.deepEqual(await client.releases.latest('shop'), {version: 12})
      assert.equal(await client.releases.latest('shop'), undefined)
      assert.equal(r.seen[0]?.headers.range, 'version ..; max=1, order=desc')
    })

    it('lists one page of releases when a max is given, and rolls back with the release id', async () => {
      const r = recorder()
      nock(BASE)
        .get('/apps/shop/releases').reply(r.reply(206, [{version: 3}, {version: 2}], {'Next-Range': 'version ]2..; max=2, order=desc'}))
        .post('/apps/shop/releases').reply(r.reply(201, {version: 4}))
        .get('/apps/shop/releases/v%203').reply(r.reply(200, {version: 3}))
      const {client} = makeClient()
      assert.deepEqual(await client.releases.list('shop', {max: 2, order: 'desc'}), [{version: 3}, {version: 2}])
      assert.deepEqual(await client.releases.rollback('shop', 'rel-id'), {version: 4})
      assert.deepEqual(await client.releases.info('shop', 'v 3'), {version: 3})
      assert.equal(r.seen[0]?.headers.range, 'version ..; max=2, order=desc')
      assert.equal(r.seen[1]?.body, '{"release":"rel-id"}')
    })
  })

  describe('errors', () => {
    it('turns a 401 into an ApiError with the login hint and the request id', async () => {
      nock(BASE).get('/account').reply(401, {id: 'unauthorized', message: 'Invalid credentials provided.'}, {'Request-Id': 'req-401'})
      const {client, waits} = makeClient()
      const error = await rejects(client.account.get(), ApiError)
      assert.equal(error.status, 401)
      assert.equal(error.id, 'unauthorized')
      assert.equal(error.message, 'Invalid credentials provided.')
      assert.equal(error.requestId, 'req-401')
      assert.equal(error.hint, 'Run `tug login`, or check TUG_API_KEY.')
      assert.deepEqual(waits, [])
    })

    it('hints at `tug apps` on a 404 for an app, and not for other resources', async () => {
      nock(BASE)
        .get('/apps/nope').reply(404, {id: 'not_found', message: "Couldn't find that app.", resource: 'app'})
        .get('/apps/shop/dynos/web.9').reply(404, {id: 'not_found', message: "Couldn't find that process.", resource: 'dyno'})
      const {client} = makeClient()
      const appError = await rejects(client.apps.info('nope'), ApiError)
      assert.equal(appError.message, "Couldn't find that app.")
      assert.equal(appError.hint, 'Check the app name with `tug apps`.')
      const dynoError = await rejects(client.dynos.info('shop', 'web.9'), ApiError)
      assert.equal(dynoError.status, 404)
      assert.equal(dynoError.hint, undefined)
    })

    it("carries a 422's message and does not retry it", async () => {
      const scope = nock(BASE).patch('/apps/shop/formation').once().reply(422, {id: 'invalid_params', message: 'Type must be one of: web, worker'})
      const {client, waits} = makeClient()
      const error = await rejects(client.formation.batchUpdate('shop', [{type: 'clock', quantity: 1}]), ApiError)
      scope.done()
      assert.equal(error.status, 422)
      assert.equal(error.id, 'invalid_params')
      assert.equal(error.message, 'Type must be one of: web, worker')
      assert.deepEqual(waits, [])
    })

    it('falls back to the legacy `error` field', async () => {
      nock(BASE).get('/apps').reply(400, {id: 'missing_version', error: 'Please specify a version.\n'})
      const {client} = makeClient()
      const error = await rejects(client.apps.list(), ApiError)
      assert.equal(error.id, 'missing_version')
      assert.equal(error.message, 'Please specify a version.')
    })

    it('gives a non-JSON 502 a message naming the status, method and path', async () => {
      nock(BASE).get('/apps/shop/dynos').reply(502, '<html><body>Bad Gateway</body></html>', {'Content-Type': 'text/html'})
      const {client, waits} = makeClient()
      const error = await rejects(client.dynos.list('shop'), ApiError)
      assert.equal(error.status, 502)
      assert.equal(error.id, 'bad_gateway')
      assert.equal(error.message, 'HTTP 502 from GET /apps/shop/dynos')
      assert.equal(error.body, '<html><body>Bad Gateway</body></html>')
      assert.equal(error.hint, undefined)
      assert.deepEqual(waits, [])
    })

    it('names malformed JSON in a 200 instead of throwing a SyntaxError', async () => {
      nock(BASE).get('/apps/shop').reply(200, '{"name": "shop",', {'Content-Type': 'application/json', 'Request-Id': 'req-bad'})
      const {client} = makeClient()
      const error = await rejects(client.apps.info('shop'), ApiError)
      assert.equal(error.status, 200)
      assert.equal(error.id, 'invalid_response')
      assert.equal(error.requestId, 'req-bad')
      assert.match(error.message, /^The server answered GET \/apps\/shop with malformed JSON \(HTTP 200\): .+ The answer began: "\{\\"name\\": \\"shop\\","$/)
    })

    it('rejects a list answer that is not an array', async () => {
      nock(BASE).get('/apps').reply(200, {id: 'x'})
      const {client} = makeClient()
      const error = await rejects(client.apps.list(), ApiError)
      assert.equal(error.id, 'invalid_response')
      assert.equal(error.message, 'The server answered GET /apps with something other than a list')
    })

    it('reports each distinct server warning once', async () => {
      nock(BASE)
        .get('/apps').times(2).reply(200, [], {'X-Heroku-Warning': 'This API is deprecated.'})
        .get('/account').reply(200, {}, {'Warning-Message': 'Your token expires soon.'})
      const warnings: string[] = []
      const {client} = makeClient({onWarning: (message) => warnings.push(message)})
      await client.apps.list()
      await client.apps.list()
      await client.account.get()
      assert.deepEqual(warnings, ['This API is deprecated.', 'Your token expires soon.'])
    })
  })

  describe('retries', () => {
    it('retries a 429 after the Retry-After seconds, then succeeds', async () => {
      const scope = nock(BASE)
        .get('/apps').reply(429, {id: 'rate_limit', message: 'Your account reached the API rate limit'}, {'Retry-After': '2'})
        .get('/apps').reply(200, [app])
      const {client, waits} = makeClient()
      assert.deepEqual(await client.apps.list(), [app])
      scope.done()
      assert.deepEqual(waits, [2000])
    })

    it('honours a Retry-After HTTP date, and caps a long one', async () => {
      const inFiveSeconds = new Date(Date.now() + 5000).toUTCString()
      nock(BASE)
        .get('/apps').reply(503, {id: 'service_unavailable', message: 'down'}, {'Retry-After': inFiveSeconds})
        .get('/apps').reply(503, {id: 'service_unavailable', message: 'down'}, {'Retry-After': '3600'})
        .get('/apps').reply(200, [])
      const {client, waits} = makeClient()
      assert.deepEqual(await client.apps.list(), [])
      assert.equal(waits.length, 2)
      assert.ok(waits[0]! > 3000 && waits[0]! <= 5000, `waited ${waits[0]} ms`)
      assert.equal(waits[1], 30_000)
    })

    it('backs off exponentially on 503 and gives up after the configured retries', async () => {
      const scope = nock(BASE).get('/apps').times(4).reply(503, {id: 'service_unavailable', message: 'Try later.'})
      const {client, waits} = makeClient()
      const error = await rejects(client.apps.list(), ApiError)
      scope.done()
      assert.equal(error.status, 503)
      assert.equal(error.message, 'Try later.')
      assert.deepEqual(waits, [500, 1000, 2000])
    })

    it('never retries a POST on a 503', async () => {
      const scope = nock(BASE).post('/apps/shop/dynos').once().reply(503, {id: 'service_unavailable', message: 'busy'})
      const {client, waits} = makeClient()
      const error = await rejects(client.dynos.create('shop', {command: 'bash'}), ApiError)
      scope.done()
      assert.equal(error.status, 503)
      assert.deepEqual(waits, [])
    })

    it('retries a POST on a 503 only when told it is idempotent', async () => {
      nock(BASE)
        .post('/apps/shop/dynos/web.1/actions/stop').reply(503, {id: 'service_unavailable', message: 'busy'})
        .post('/apps/shop/dynos/web.1/actions/stop').reply(202, {})
      const {client, waits} = makeClient()
      assert.deepEqual(await client.post('/apps/shop/dynos/web.1/actions/stop', undefined, {idempotent: true}), {})
      assert.deepEqual(waits, [500])
    })

    it('does not retry a GET marked not idempotent', async () => {
      nock(BASE).get('/apps').once().reply(429, {id: 'rate_limit', message: 'slow down'})
      const {client, waits} = makeClient()
      await rejects(client.get('/apps', {idempotent: false}), ApiError)
      assert.deepEqual(waits, [])
    })

    it('retries a GET after a reset connection, then succeeds', async () => {
      const scope = nock(BASE)
        .get('/apps/shop').replyWithError(networkError('ECONNRESET', 'socket hang up'))
        .get('/apps/shop').reply(200, app)
      const {client, waits} = makeClient()
      assert.deepEqual(await client.apps.info('shop'), app)
      scope.done()
      assert.deepEqual(waits, [500])
    })

    it('does not retry a POST after a reset connection: the server may have acted on it', async () => {
      const scope = nock(BASE).post('/apps').once().replyWithError(networkError('ECONNRESET', 'socket hang up'))
      const {client, waits} = makeClient()
      const error = await rejects(client.apps.create({name: 'shop'}), NetworkError)
      scope.done()
      assert.equal(error.message, 'Could not reach the control plane at http://api.tug.test: the connection was reset (ECONNRESET)')
      assert.deepEqual(waits, [])
    })

    it('retries a POST whose connection was refused, since nothing was sent', async () => {
      const scope = nock(BASE)
        .post('/apps').replyWithError(networkError('ECONNREFUSED', 'connect ECONNREFUSED'))
        .post('/apps').reply(201, app)
      const {client, waits} = makeClient()
      assert.deepEqual(await client.apps.create({name: 'shop'}), app)
      scope.done()
      assert.deepEqual(waits, [500])
    })

    it('gives up after the retries with a NetworkError', async () => {
      nock(BASE).get('/apps').times(2).replyWithError(networkError('ECONNRESET', 'socket hang up'))
      const {client, waits} = makeClient({retries: 1})
      const error = await rejects(client.apps.list(), NetworkError)
      assert.match(error.message, /^Could not reach the control plane at http:\/\/api\.tug\.test: /)
      assert.deepEqual(waits, [500])
    })
  })

  describe('pagination', () => {
    it('follows Next-Range across two pages', async () => {
      const r = recorder()
      const scope = nock(BASE)
        .get('/apps').reply(r.reply(206, [{name: 'a'}, {name: 'b'}], {'Next-Range': 'id ]b..; max=2', 'Content-Range': 'id a..b; max=2'}))
        .get('/apps').reply(r.reply(200, [{name: 'c'}]))
      const {client} = makeClient()
      assert.deepEqual(await client.list('/apps', {range: 'id ..; max=2'}), [{name: 'a'}, {name: 'b'}, {name: 'c'}])
      scope.done()
      assert.deepEqual(r.seen.map((s) => s.headers.range), ['id ..; max=2', 'id ]b..; max=2'])
    })

    it('stops with an error when the server repeats the same Next-Range', async () => {
      nock(BASE).get('/apps/shop/dynos').times(3).reply(206, [{name: 'web.1'}], {'Next-Range': 'id ]web.1..; max=1'})
      const {client} = makeClient()
      const error = await rejects(client.dynos.list('shop'), ApiError)
      assert.equal(error.id, 'pagination_loop')
      assert.equal(error.message, 'The server kept paginating GET /apps/shop/dynos (Next-Range "id ]web.1..; max=1" after 2 pages); giving up')
      nock.cleanAll()
    })
  })

  describe('uploads', () => {
    it('PUTs raw bytes with the token when the URL is on the API origin', async () => {
      const r = recorder()
      nock(BASE).put('/sources/abc/blob?sig=1').reply(r.reply(200, 'OK', {'Content-Type': 'text/plain'}))
      const {client} = makeClient()
      await client.sources.upload(`${BASE}/sources/abc/blob?sig=1`, new Uint8Array([0x1f, 0x8b, 0x08, 0x00]))
      assert.equal(r.seen[0]?.headers.authorization, `Bearer ${TOKEN}`)
      assert.equal(r.seen[0]?.headers['content-type'], undefined)
      // nock hands over a body that is not UTF-8 as hex.
      assert.equal(r.seen[0]?.body, '1f8b0800')
    })

    it('never sends the token to another origin', async () => {
      const seen: Array<{auth: unknown; bytes: Buffer}> = []
      nock('https://storage.example.com')
        .put('/bucket/key')
        .reply(function (this: nock.ReplyFnContext, _uri: string, body: nock.Body) {
          seen.push({auth: this.req.headers.authorization, bytes: Buffer.from(String(body), 'hex')})
          return [200, '<ok/>', {'Content-Type': 'application/xml'}]
        })
      const {client} = makeClient()
      await client.sources.upload('https://storage.example.com/bucket/key', new Uint8Array([1, 2, 255]))
      assert.equal(seen[0]?.auth, undefined)
      assert.deepEqual([...(seen[0]?.bytes ?? [])], [1, 2, 255])
    })

    it('creates a source', async () => {
      nock(BASE).post('/apps/shop/sources').reply(201, {source_blob: {get_url: 'g', put_url: 'p'}})
      const {client} = makeClient()
      assert.deepEqual(await client.sources.create('shop'), {source_blob: {get_url: 'g', put_url: 'p'}})
    })
  })

  describe('against a real socket', () => {
    let server: http.Server | undefined
    afterEach(async () => {
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()))
      server = undefined
    })

    async function listen(handler: http.RequestListener): Promise<string> {
      server = http.createServer(handler)
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    }

    it('talks to a real server through the default dispatcher', async () => {
      const url = await listen((req, res) => {
        res.setHeader('Content-Type', 'application/json')
        res.setHeader('Request-Id', 'srv-1')
        res.end(JSON.stringify({auth: req.headers.authorization, accept: req.headers.accept}))
      })
      const client = new ApiClient({baseUrl: url, token: 't'})
      const response = await client.request<{auth: string; accept: string}>('GET', '/account')
      assert.equal(response.status, 200)
      assert.equal(response.headers.get('request-id'), 'srv-1')
      assert.deepEqual(response.body, {auth: 'Bearer t', accept: 'application/vnd.heroku+json; version=3'})
    })

    it('sends a JSON body and follows a redirect, dropping the token at another origin', async () => {
      const seen: string[] = []
      const other = http.createServer((req, res) => {
        seen.push(`other ${req.method} ${req.url} auth=${req.headers.authorization ?? '-'}`)
        res.setHeader('Content-Type', 'application/json')
        res.end('{"moved":true}')
      })
      await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
      try {
        const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`
        const url = await listen((req, res) => {
          let body = ''
          req.setEncoding('utf8').on('data', (chunk) => (body += chunk)).on('end', () => {
            seen.push(`${req.method} ${req.url} ${body} length=${req.headers['content-length']}`)
            if (req.url === '/apps') res.writeHead(307, {Location: '/apps-moved'}).end()
            else res.writeHead(302, {Location: `${otherUrl}/there`}).end()
          })
        })
        const client = new ApiClient({baseUrl: url, token: 't'})
        assert.deepEqual(await client.post('/apps', {name: 'é'}), {moved: true})
        assert.deepEqual(seen, [
          'POST /apps {"name":"é"} length=13',
          'POST /apps-moved {"name":"é"} length=13',
          'other GET /there auth=-',
        ])
      } finally {
        await new Promise<void>((resolve) => other.close(() => resolve()))
      }
    })

    it('follows at most 20 redirects, as fetch does, and says so past them', async () => {
      let requests = 0
      const url = await listen((req, res) => {
        requests++
        res.writeHead(302, {Location: `/again${requests}`}).end()
      })
      const client = new ApiClient({baseUrl: url, token: 't'})
      await assert.rejects(client.request('GET', '/account'), /more than 20 redirects/)
      assert.equal(requests, 21, 'the first request and 20 redirects, no more')
    })

    it('names the URL when the connection is refused', async () => {
      const url = await listen(() => undefined)
      await new Promise<void>((resolve) => server!.close(() => resolve()))
      server = undefined
      const waits: number[] = []
      const client = new ApiClient({baseUrl: url, retries: 2, sleep: async (ms) => void waits.push(ms)})
      const error = await rejects(client.account.get(), NetworkError)
      assert.equal(error.message, `Could not reach the control plane at ${url}: connection refused (ECONNREFUSED)`)
      assert.deepEqual(waits, [500, 1000])
    })

    it('connects to a port browsers block (fetch refuses 6000 before connecting; node:http does not)', async () => {
      const client = new ApiClient({baseUrl: 'http://127.0.0.1:6000', retries: 0})
      const error = await rejects(client.account.get(), NetworkError)
      assert.equal(error.message, 'Could not reach the control plane at http://127.0.0.1:6000: connection refused (ECONNREFUSED)')
    })

    it('times out a server that never answers', async () => {
      const url = await listen(() => undefined)
      const client = new ApiClient({baseUrl: url, timeoutMs: 200, retries: 0})
      const error = await rejects(client.account.get(), NetworkError)
      assert.equal(error.message, `Could not reach the control plane at ${url}: no answer to GET /account within 200ms`)
      server!.closeAllConnections()
    })

    it('times out a body that stalls after the headers', async () => {
      const url = await listen((_req, res) => {
        res.writeHead(200, {'Content-Type': 'application/json'})
        res.write('[{"name":')
      })
      const client = new ApiClient({baseUrl: url, timeoutMs: 200, retries: 0})
      const error = await rejects(client.apps.list(), NetworkError)
      assert.equal(error.message, `Could not reach the control plane at ${url}: no answer to GET /apps within 200ms`)
      server!.closeAllConnections()
    })

    it('goes through HTTP_PROXY, and around it for NO_PROXY hosts', async () => {
      const proxied: string[] = []
      const proxyUrl = await listen((req, res) => {
        proxied.push(req.url ?? '')
        res.setHeader('Content-Type', 'application/json')
        res.end('{"via":"proxy"}')
      })
      // A target where nothing listens: only the proxy can answer for it.
      const closed = http.createServer()
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
      const target = `127.0.0.1:${(closed.address() as AddressInfo).port}`
      await new Promise<void>((resolve) => closed.close(() => resolve()))
      const saved = {HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY}
      process.env.HTTP_PROXY = proxyUrl
      try {
        process.env.NO_PROXY = ''
        const client = new ApiClient({baseUrl: `http://${target}`, retries: 0, timeoutMs: 2000})
        assert.deepEqual(await client.get('/account'), {via: 'proxy'})
        assert.deepEqual(proxied, [`http://${target}/account`])

        process.env.NO_PROXY = target
        await rejects(client.get('/account'), NetworkError)
        assert.equal(proxied.length, 1)
      } finally {
        for (const [name, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[name]
          else process.env[name] = value
        }
      }
    })
  })
})
