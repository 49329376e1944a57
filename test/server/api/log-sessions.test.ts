import assert from 'node:assert/strict'
import {after, before, describe, it} from 'mocha'
import {join} from 'node:path'
import type {LogSession} from '../../../src/shared/api-types.js'
import {Store} from '../../../src/server/store/index.js'
import {startApiServer, type TestApiServer} from '../../helpers/api-server.js'
import {assertSchema} from '../../helpers/schema.js'

describe('API: log sessions', () => {
  let server: TestApiServer

  before(async () => {
    server = await startApiServer()
    await server.call('POST', '/apps', {body: {name: 'logged'}})
  })

  after(async () => {
    await server.close()
  })

  it('creates a session (201) whose logplex_url is an unguessable capability with tail=true|false', async () => {
    const tail = await server.call<LogSession>('POST', '/apps/logged/log-sessions', {
      body: {dyno: 'web', source: 'app', lines: 100, tail: true},
      headers: {Accept: 'application/vnd.heroku+json; version=3.sdk'},
    })
    assert.equal(tail.status, 201)
    assertSchema('log-session', tail.body)
    const url = new URL(tail.body.logplex_url)
    assert.equal(url.origin, server.url)
    assert.match(url.pathname, /^\/log-sessions\/[A-Za-z0-9_-]{43}$/)
    assert.equal(url.search, '?tail=true')
    const once = await server.call<LogSession>('POST', '/apps/logged/log-sessions', {body: {dyno_name: 'web.1', type: 'web'}})
    assert.equal(new URL(once.body.logplex_url).search, '?tail=false')
    assert.notEqual(once.body.logplex_url.split('?')[0], tail.body.logplex_url.split('?')[0])
  })

  it('serves the URL without credentials (an event stream; test/server/api/log-stream.test.ts has the rest); 404 for a forged one', async () => {
    const session = await server.call<LogSession>('POST', '/apps/logged/log-sessions', {body: {tail: false}})
    const response = await fetch(session.body.logplex_url, {headers: {Accept: 'text/event-stream'}})
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8')
    // One event for the backlog here: a data field per line, the id of the last.
    assert.match(await response.text(), /^id: 2\ndata: \S+ tug\[api\]: Initial release by user admin@tug\.local\ndata: \S+ tug\[api\]: Release v1 created/)
    const forged = await fetch(`${server.url}/log-sessions/${'A'.repeat(43)}?tail=false`)
    assert.equal(forged.status, 404)
    assert.deepEqual(await forged.json(), {
      id: 'not_found',
      message: "Couldn't find that log session: it may have expired.",
      resource: 'log-session',
    })
  })

  it('rejects wrong types with 422', async () => {
    const cases: Array<[unknown, string]> = [
      [{lines: 'many'}, 'lines must be a whole number, 0 or more.'],
      [{lines: -1}, 'lines must be a whole number, 0 or more.'],
      [{lines: 1.5}, 'lines must be a whole number, 0 or more.'],
      [{tail: 'yes'}, 'tail must be true or false.'],
      [{dyno: 1}, 'dyno must be a string.'],
      [{source: ['app']}, 'source must be a string.'],
    ]
    for (const [body, message] of cases) {
      const response = await server.call('POST', '/apps/logged/log-sessions', {body})
      assert.equal(response.status, 422, JSON.stringify(body))
      assert.deepEqual(response.body, {id: 'invalid_params', message})
    }
  })

  it('stores the session with its filters, hashed, expiring in 5 minutes', async () => {
    const created = await server.call<LogSession>('POST', '/apps/logged/log-sessions', {
      body: {dyno: 'web', dyno_name: 'web.1', type: 'web', source: 'heroku', lines: 1500, tail: true},
    })
    const secret = new URL(created.body.logplex_url).pathname.split('/').pop() as string
    const store = new Store({path: join(server.dataDir, 'tug.db')})
    try {
      const session = store.logSessions.findBySecret(secret)
      assert.ok(session)
      assert.deepEqual(
        {dyno: session.dyno, dyno_name: session.dyno_name, type: session.type, source: session.source, lines: session.lines, tail: session.tail},
        {dyno: 'web', dyno_name: 'web.1', type: 'web', source: 'heroku', lines: 1500, tail: true},
      )
      assert.equal(Date.parse(session.expires_at) - Date.parse(session.created_at), 5 * 60 * 1000)
      const stored = store.db.prepare('SELECT token_hash FROM log_sessions WHERE id = ?').get(session.id) as {token_hash: string}
      assert.notEqual(stored.token_hash, secret)
      assert.equal(store.logSessions.findBySecret(`${secret}x`), undefined)
    } finally {
      store.close()
    }
  })

  it('clamps lines to the history it keeps', async () => {
    const created = await server.call<LogSession>('POST', '/apps/logged/log-sessions', {body: {lines: 50000}})
    assert.equal(created.status, 201)
    const secret = new URL(created.body.logplex_url).pathname.split('/').pop() as string
    const store = new Store({path: join(server.dataDir, 'tug.db')})
    try {
      assert.equal(store.logSessions.findBySecret(secret)?.lines, 10000)
    } finally {
      store.close()
    }
  })

  it('needs a known app', async () => {
    const response = await server.call('POST', '/apps/unknown-app/log-sessions', {body: {}})
    assert.equal(response.status, 404)
  })
})
