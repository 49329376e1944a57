// The wire conventions of platform-api.md 1 and 4, against a real listening server.
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'mocha'
import {ROUTE_NOT_FOUND_MESSAGE} from '../../../src/server/http/errors.js'
import {startApiServer, type TestApiServer} from '../../helpers/api-server.js'
import {assertSchema, assertSchemaList} from '../../helpers/schema.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const MISSING_VERSION =
  "Please specify a version along with Heroku's API MIME type. For example, `Accept: application/vnd.heroku+json; version=3`."

describe('API conventions', () => {
  let server: TestApiServer

  before(async () => {
    server = await startApiServer()
  })

  after(async () => {
    await server.close()
  })

  async function appCount(): Promise<number> {
    const response = await server.call<unknown[]>('GET', '/apps')
    return response.body.length
  }

  describe('Accept version', () => {
    it('answers 400 missing_version, with both message and error, when the version is missing', async () => {
      for (const accept of [undefined, 'application/json', 'application/vnd.heroku+json']) {
        const response = await fetch(`${server.url}/account`, {
          headers: {Authorization: `Bearer ${server.token}`, ...(accept ? {Accept: accept} : {})},
        })
        assert.equal(response.status, 400)
        assert.deepEqual(await response.json(), {id: 'missing_version', message: MISSING_VERSION, error: `${MISSING_VERSION}\n`})
      }
    })

    it('accepts version=3 and any version=3.<variant>', async () => {
      for (const accept of [
        'application/vnd.heroku+json; version=3',
        'application/vnd.heroku+json; version=3.sdk',
        'application/vnd.heroku+json; version=3.run-inside',
        'application/vnd.heroku+json; version=3.some-future-variant',
        'application/vnd.heroku+json;version=3',
      ]) {
        const response = await server.call('GET', '/account', {headers: {Accept: accept}})
        assert.equal(response.status, 200, accept)
      }
    })

    it('answers 406 not_acceptable for another version', async () => {
      const response = await server.call('GET', '/account', {headers: {Accept: 'application/vnd.heroku+json; version=2'}})
      assert.equal(response.status, 406)
      assert.deepEqual(response.body, {id: 'not_acceptable', message: 'Unsupported API version 2: this server speaks version=3.'})
    })
  })

  describe('authentication', () => {
    const UNAUTHORIZED = {id: 'unauthorized', message: 'Invalid credentials provided.'}

    it('answers 401 with no credentials', async () => {
      const response = await server.call('GET', '/account', {token: null})
      assert.equal(response.status, 401)
      assert.deepEqual(response.body, UNAUTHORIZED)
    })

    it('answers 401 to a wrong Bearer token', async () => {
      const response = await server.call('GET', '/account', {token: `${server.token}x`})
      assert.equal(response.status, 401)
      assert.deepEqual(response.body, UNAUTHORIZED)
    })

    it('answers 401 to a wrong Basic password', async () => {
      const basic = Buffer.from(`admin@tug.local:not-${server.token}`).toString('base64')
      const response = await server.call('GET', '/account', {token: null, headers: {Authorization: `Basic ${basic}`}})
      assert.equal(response.status, 401)
      assert.deepEqual(response.body, UNAUTHORIZED)
    })

    it('answers 401 to an unknown scheme or a garbled header', async () => {
      for (const header of [`Token ${server.token}`, 'Bearer', 'Basic !!!', '']) {
        const response = await server.call('GET', '/account', {token: null, headers: {Authorization: header}})
        assert.equal(response.status, 401, header)
      }
    })

    it('accepts Basic with any user and the token as password', async () => {
      for (const user of ['', 'user', 'someone@example.com']) {
        const basic = Buffer.from(`${user}:${server.token}`).toString('base64')
        const response = await server.call('GET', '/account', {token: null, headers: {Authorization: `Basic ${basic}`}})
        assert.equal(response.status, 200, `user ${JSON.stringify(user)}`)
      }
    })

    it('checks the version before the credentials', async () => {
      const response = await server.call('GET', '/account', {token: null, headers: {Accept: 'text/html'}})
      assert.equal(response.status, 400)
      assert.equal((response.body as {id: string}).id, 'missing_version')
    })
  })

  describe('response headers', () => {
    it('sends a fresh Request-Id uuid on every response, even to a long client Request-Id', async () => {
      const long = Array.from({length: 180}, () => crypto.randomUUID()).join(',')
      const ids = new Set<string>()
      for (const [path, token, status] of [
        ['/account', undefined, 200],
        ['/account', null, 401],
        ['/nowhere', undefined, 404],
      ] as const) {
        const response = await server.call('GET', path, {token, headers: {'Request-Id': long}})
        assert.equal(response.status, status)
        const id = response.headers.get('request-id') ?? ''
        assert.match(id, UUID)
        assert.ok(!long.includes(id))
        ids.add(id)
      }
      assert.equal(ids.size, 3)
    })

    it('never fails on a Request-Id far longer than the CLI sends (30 KB)', async () => {
      const huge = Array.from({length: 800}, () => crypto.randomUUID()).join(',')
      const response = await server.call('GET', '/account', {headers: {'Request-Id': huge}})
      assert.equal(response.status, 200)
      assert.match(response.headers.get('request-id') ?? '', UUID)
    })

    it('sends RateLimit-Remaining', async () => {
      const response = await server.call('GET', '/account')
      assert.equal(response.headers.get('ratelimit-remaining'), '4500')
    })

    it('sends an ETag on GETs and answers 304 with no body to a matching If-None-Match', async () => {
      await server.call('POST', '/apps', {body: {name: 'etag-app'}})
      const first = await server.call('GET', '/apps/etag-app')
      const etag = first.headers.get('etag') ?? ''
      assert.match(etag, /^"[0-9a-f]{32}"$/)
      const again = await server.call('GET', '/apps/etag-app', {headers: {'If-None-Match': etag}})
      assert.equal(again.status, 304)
      assert.equal(again.text, '')
      const other = await server.call('GET', '/apps/etag-app', {headers: {'If-None-Match': '"0000"'}})
      assert.equal(other.status, 200)
      await server.call('PATCH', '/apps/etag-app', {body: {maintenance: true}})
      const changed = await server.call('GET', '/apps/etag-app', {headers: {'If-None-Match': etag}})
      assert.equal(changed.status, 200)
      assert.notEqual(changed.headers.get('etag'), etag)
    })
  })

  describe('errors', () => {
    it('answers an unknown route with the documented 404', async () => {
      for (const [method, path] of [
        ['GET', '/nowhere'],
        ['POST', '/account'],
        ['GET', '/apps/x/y/z'],
      ] as const) {
        const response = await server.call(method, path)
        assert.equal(response.status, 404)
        assert.deepEqual(response.body, {id: 'not_found', message: ROUTE_NOT_FOUND_MESSAGE})
      }
    })

    it('answers malformed JSON with 400 bad_request and changes nothing', async () => {
      const before = await appCount()
      const response = await server.call('POST', '/apps', {rawBody: '{"name": "broken-json",'})
      assert.equal(response.status, 400)
      const body = response.body as {id: string; message: string}
      assert.equal(body.id, 'bad_request')
      assert.match(body.message, /^Invalid JSON in request body/)
      assert.equal(await appCount(), before)
      assert.equal((await server.call('GET', '/apps/broken-json')).status, 404)
    })

    it('answers a body over the limit with 413 payload_too_large and changes nothing', async () => {
      const before = await appCount()
      const big = JSON.stringify({name: 'too-big', padding: 'x'.repeat(1024 * 1024)})
      const response = await server.call('POST', '/apps', {rawBody: big})
      assert.equal(response.status, 413)
      assert.deepEqual(response.body, {id: 'payload_too_large', message: 'Request body is too large: the limit is 1048576 bytes.'})
      assert.equal(await appCount(), before)
    })

    it('answers a malformed or overlong URL in the same error shape, with a Request-Id', async () => {
      const bad = await server.call('GET', '/apps/%E0%A4%A')
      assert.equal(bad.status, 400)
      assert.deepEqual(bad.body, {id: 'bad_request', message: 'The request URL is not valid (bad percent-encoding?).'})
      assert.match(bad.headers.get('request-id') ?? '', UUID)
      const long = await server.call('GET', `/apps/${'a'.repeat(2000)}`)
      assert.equal(long.status, 414)
      assert.deepEqual(long.body, {id: 'uri_too_long', message: 'A path segment of the request URL is too long.'})
      assert.match(long.headers.get('request-id') ?? '', UUID)
    })

    it('answers a non-object body with 422 invalid_params', async () => {
      const response = await server.call('POST', '/apps', {body: ['a']})
      assert.equal(response.status, 422)
      assert.deepEqual(response.body, {id: 'invalid_params', message: 'Request body must be a JSON object.'})
    })
  })

  describe('tolerance', () => {
    it('tolerates Content-Type: application/json on bodiless GET and DELETE', async () => {
      await server.call('POST', '/apps', {body: {name: 'bodiless'}})
      const get = await server.call('GET', '/apps/bodiless', {headers: {'Content-Type': 'application/json', 'Content-Length': '0'}})
      assert.equal(get.status, 200)
      const restart = await server.call('DELETE', '/apps/bodiless/dynos', {headers: {'Content-Type': 'application/json'}})
      assert.equal(restart.status, 202)
      assert.deepEqual(restart.body, {})
      const del = await server.call('DELETE', '/apps/bodiless', {headers: {'Content-Type': 'application/json'}})
      assert.equal(del.status, 200)
    })

    it('tolerates unknown request fields (the CLI sends kernel, locked, feature_flags)', async () => {
      const response = await server.call('POST', '/apps', {
        body: {name: 'extra-fields', kernel: null, locked: false, feature_flags: ['x'], region: 'us', stack: 'heroku-24'},
      })
      assert.equal(response.status, 201)
      assertSchema('app', response.body)
    })

    it('ignores Range on endpoints that are not lists', async () => {
      const response = await server.call('GET', '/account', {headers: {Range: 'garbage'}})
      assert.equal(response.status, 200)
      const post = await server.call('POST', '/apps', {body: {name: 'range-on-post'}, headers: {Range: 'id ..; max=1000'}})
      assert.equal(post.status, 201)
    })

    it('serves HEAD for GET routes', async () => {
      const response = await server.call('HEAD', '/account')
      assert.equal(response.status, 200)
      assert.equal(response.text, '')
    })

    it('accepts Range: id ..; max=1000 on every list (the heroku-client default)', async () => {
      const response = await server.call('GET', '/apps', {headers: {Range: 'id ..; max=1000'}})
      assert.equal(response.status, 200)
      assertSchemaList('app', response.body)
    })
  })
})
