// Every route declares its access need: a route without one stops the server at startup.
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import {after, describe, it} from 'mocha'
import {buildApp} from '../../../src/server/http/app.js'
import {accessPlugin} from '../../../src/server/http/access.js'
import {LogRouter} from '../../../src/server/logs/index.js'
import {Store} from '../../../src/server/store/index.js'
import {StoreOnlyRuntime} from '../../helpers/store-only-runtime.js'

describe('access needs of routes', () => {
  const store = new Store({path: ':memory:'})
  after(() => store.close())

  it('refuses a route that declares no need, or an unknown one', async () => {
    const app = Fastify()
    accessPlugin(app, store)
    assert.throws(() => app.get('/forgotten', async () => ({})), /GET \/forgotten declares no access need: add config: \{access:/)
    assert.throws(() => app.post('/typo', {config: {access: 'wirte' as 'write'}}, async () => ({})), /POST \/typo declares no access need/)
    assert.doesNotThrow(() => app.get('/declared', {config: {access: 'read'}}, async () => ({})))
    assert.doesNotThrow(() => app.get('/capability/:secret', {config: {public: true}}, async () => ({})))
    await app.close()
  })

  it("buildApp's every route declares one (it would not build otherwise), git's included", async () => {
    const app = buildApp({store, runtime: new StoreOnlyRuntime(store), logs: new LogRouter(), dataDir: '/nonexistent', publicUrl: () => 'http://api.test'})
    // The routes of encapsulated contexts (git's) are registered at ready(), checked all the same.
    await app.ready()
    const routes = [
      ['GET', '/apps/:app/formation'],
      ['HEAD', '/apps/:app/formation'],
      ['POST', '/:app.git/git-receive-pack'],
      ['GET', '/apps/:app/collaborators'],
      ['POST', '/oauth/authorizations'],
      ['PUT', '/teams/:team/members'],
      ['GET', '/audit'],
    ] as const
    for (const [method, url] of routes) {
      assert.ok(app.hasRoute({method, url}), `${method} ${url} is a route`)
    }
    await app.close()
  })
})
