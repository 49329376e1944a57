import assert from 'node:assert/strict'
import {after, before, describe, it} from 'mocha'
import {startApiServer, type TestApiServer} from '../../helpers/api-server.js'

describe('API: runtime settings (tug extension)', () => {
  let server: TestApiServer

  before(async () => {
    server = await startApiServer()
    await server.call('POST', '/apps', {body: {name: 'graceful'}})
  })

  after(async () => {
    await server.close()
  })

  it('reads and sets the stop grace period; null returns to the default', async () => {
    const get = await server.call('GET', '/apps/graceful/runtime-settings', {unchecked: true})
    assert.equal(get.status, 200)
    assert.deepEqual(get.body, {stop_grace_seconds: null})
    const set = await server.call('PATCH', '/apps/graceful/runtime-settings', {body: {stop_grace_seconds: 5}, unchecked: true})
    assert.deepEqual([set.status, set.body], [200, {stop_grace_seconds: 5}])
    assert.deepEqual((await server.call('GET', '/apps/graceful/runtime-settings', {unchecked: true})).body, {stop_grace_seconds: 5})
    const reset = await server.call('PATCH', '/apps/graceful/runtime-settings', {body: {stop_grace_seconds: null}, unchecked: true})
    assert.deepEqual(reset.body, {stop_grace_seconds: null})
  })

  it('rejects values out of range', async () => {
    for (const value of [0, 301, 1.5, '10']) {
      const response = await server.call('PATCH', '/apps/graceful/runtime-settings', {body: {stop_grace_seconds: value}})
      assert.equal(response.status, 422)
      assert.deepEqual(response.body, {
        id: 'invalid_params',
        message: 'stop_grace_seconds must be a whole number from 1 to 300, or null for the default.',
      })
    }
  })
})
