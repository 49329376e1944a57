// buildApp without listening: fastify's inject reaches the same routes and conventions.
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'mocha'
import type {FastifyInstance} from 'fastify'
import {buildApp} from '../../../src/server/http/app.js'
import {LogRouter} from '../../../src/server/logs/index.js'
import {StoreOnlyRuntime} from '../../helpers/store-only-runtime.js'
import {Store} from '../../../src/server/store/index.js'

describe('buildApp (no listening)', () => {
  let store: Store
  let app: FastifyInstance
  let secret: string

  before(async () => {
    store = new Store({path: ':memory:'})
    const account = store.accounts.create({email: 'inject@example.com'})
    secret = store.tokens.create(account.id, 'test').secret
    app = buildApp({store, runtime: new StoreOnlyRuntime(store), logs: new LogRouter(), dataDir: '/nonexistent', publicUrl: () => 'http://api.test'})
    await app.ready()
  })

  after(async () => {
    await app.close()
    store.close()
  })

  const headers = () => ({accept: 'application/vnd.heroku+json; version=3', authorization: `Bearer ${secret}`})

  it('serves requests through inject, with every convention', async () => {
    const response = await app.inject({method: 'GET', url: '/account', headers: headers()})
    assert.equal(response.statusCode, 200)
    assert.equal(response.json<{email: string}>().email, 'inject@example.com')
    assert.match(String(response.headers['request-id']), /^[0-9a-f-]{36}$/)
    const created = await app.inject({method: 'POST', url: '/apps', headers: headers(), payload: {name: 'injected'}})
    assert.equal(created.statusCode, 201)
    assert.equal(created.json<{git_url: string}>().git_url, 'http://api.test/injected.git')
    const denied = await app.inject({method: 'GET', url: '/account', headers: {accept: 'application/vnd.heroku+json; version=3'}})
    assert.equal(denied.statusCode, 401)
  })

  it('has not bound a port', () => {
    assert.equal(app.server.listening, false)
  })
})
