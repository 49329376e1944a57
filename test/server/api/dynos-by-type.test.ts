// Heroku's CLI puts a process type where a dyno name goes (`heroku ps:restart web` sends
// `DELETE /apps/{app}/dynos/web`, `heroku ps:stop worker` sends `POST .../dynos/worker/actions/stop`),
// and Heroku's API acts on every dyno of that type there. What the route asks of the runtime is
// recorded; the dyno manager's handling of a type target has its own tests.
import assert from 'node:assert/strict'
import {after, before, beforeEach, describe, it} from 'mocha'

import type {Dyno} from '../../../src/shared/api-types.js'
import type {RestartTarget} from '../../../src/server/runtime/index.js'
import {StoreOnlyRuntime} from '../../helpers/store-only-runtime.js'
import {startApiServer, type TestApiServer} from '../../helpers/api-server.js'

const TYPE_NOT_FOUND = {id: 'not_found', message: "Couldn't find that process type (nosuch).", resource: 'formation'}
const DYNO_NOT_FOUND = {id: 'not_found', message: "Couldn't find that dyno.", resource: 'dyno'}

describe('API: a process type where a dyno goes (restart, stop)', () => {
  let server: TestApiServer
  const calls: Array<[string, RestartTarget]> = []

  before(async () => {
    server = await startApiServer({
      runtime: (store) => {
        const inner = new StoreOnlyRuntime(store)
        return Object.assign(Object.create(inner) as StoreOnlyRuntime, {
          restart: async (appId: string, target: RestartTarget) => {
            calls.push(['restart', target])
            await inner.restart(appId, target)
          },
          stop: async (appId: string, target: Exclude<RestartTarget, {kind: 'all'}>) => {
            calls.push(['stop', target])
            await inner.stop(appId, target)
          },
        })
      },
    })
    await server.call('POST', '/apps', {body: {name: 'typed'}})
    await server.deploy('typed', {web: 'node web.js', worker: 'node worker.js'})
    await server.call('PATCH', '/apps/typed/formation', {body: {updates: [{type: 'web', quantity: 2}, {type: 'worker', quantity: 1}]}})
  })

  after(async () => {
    await server.close()
  })

  beforeEach(() => {
    calls.length = 0
  })

  it('DELETE /apps/{app}/dynos/web restarts every web dyno (202 {})', async () => {
    const response = await server.call('DELETE', '/apps/typed/dynos/web', {headers: {Accept: 'application/vnd.heroku+json; version=3.sdk'}})
    assert.equal(response.status, 202)
    assert.deepEqual(response.body, {})
    assert.deepEqual(calls, [['restart', {kind: 'type', type: 'web'}]])
  })

  it('POST /apps/{app}/dynos/worker/actions/stop stops every worker dyno (202 {})', async () => {
    const response = await server.call('POST', '/apps/typed/dynos/worker/actions/stop')
    assert.equal(response.status, 202)
    assert.deepEqual(response.body, {})
    assert.deepEqual(calls, [['stop', {kind: 'type', type: 'worker'}]])
  })

  it('a name with a dot, or an id, is still one dyno', async () => {
    const web2 = (await server.call<Dyno>('GET', '/apps/typed/dynos/web.2')).body
    assert.equal((await server.call('DELETE', '/apps/typed/dynos/web.2')).status, 202)
    assert.equal((await server.call('POST', `/apps/typed/dynos/${web2.id}/actions/stop`)).status, 202)
    assert.deepEqual(calls, [
      ['restart', {kind: 'dyno', dynoId: web2.id}],
      ['stop', {kind: 'dyno', dynoId: web2.id}],
    ])
  })

  it('an unknown type is the 404 Heroku gives, an unknown dyno its own, and nothing is asked of the runtime', async () => {
    for (const [method, path] of [
      ['DELETE', '/apps/typed/dynos/nosuch'],
      ['POST', '/apps/typed/dynos/nosuch/actions/stop'],
    ] as const) {
      const response = await server.call(method, path)
      assert.equal(response.status, 404, path)
      assert.deepEqual(response.body, TYPE_NOT_FOUND, path)
    }
    assert.deepEqual((await server.call('DELETE', '/apps/typed/dynos/nosuch.1')).body, DYNO_NOT_FOUND)
    assert.deepEqual((await server.call('POST', '/apps/nosuch-app/dynos/web/actions/stop')).status, 404)
    assert.deepEqual(calls, [])
  })
})
