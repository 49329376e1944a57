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

  const get = async () => (await server.call('GET', '/apps/graceful/runtime-settings', {unchecked: true})).body

  it('reads and sets the stop grace period; null returns to the default', async () => {
    const first = await server.call('GET', '/apps/graceful/runtime-settings', {unchecked: true})
    assert.equal(first.status, 200)
    assert.deepEqual(first.body, {stop_grace_seconds: null, rolling_restart: true, default_stop_grace_seconds: 30})
    const set = await server.call('PATCH', '/apps/graceful/runtime-settings', {body: {stop_grace_seconds: 5}, unchecked: true})
    assert.deepEqual([set.status, set.body], [200, {stop_grace_seconds: 5, rolling_restart: true, default_stop_grace_seconds: 30}])
    assert.deepEqual(await get(), {stop_grace_seconds: 5, rolling_restart: true, default_stop_grace_seconds: 30})
    const reset = await server.call('PATCH', '/apps/graceful/runtime-settings', {body: {stop_grace_seconds: null}, unchecked: true})
    assert.deepEqual(reset.body, {stop_grace_seconds: null, rolling_restart: true, default_stop_grace_seconds: 30})
  })

  it('turns rolling restart off and back to the default (on), keeping the stop grace period', async () => {
    await server.call('PATCH', '/apps/graceful/runtime-settings', {body: {stop_grace_seconds: 12}})
    const off = await server.call('PATCH', '/apps/graceful/runtime-settings', {body: {rolling_restart: false}, unchecked: true})
    assert.deepEqual([off.status, off.body], [200, {stop_grace_seconds: 12, rolling_restart: false, default_stop_grace_seconds: 30}])
    assert.deepEqual(await get(), {stop_grace_seconds: 12, rolling_restart: false, default_stop_grace_seconds: 30})
    const grace = await server.call('PATCH', '/apps/graceful/runtime-settings', {body: {stop_grace_seconds: 20}, unchecked: true})
    assert.deepEqual(grace.body, {stop_grace_seconds: 20, rolling_restart: false, default_stop_grace_seconds: 30}, 'changing the grace period keeps rolling restart off')
    const reset = await server.call('PATCH', '/apps/graceful/runtime-settings', {body: {rolling_restart: null}, unchecked: true})
    assert.deepEqual(reset.body, {stop_grace_seconds: 20, rolling_restart: true, default_stop_grace_seconds: 30})
    const both = await server.call('PATCH', '/apps/graceful/runtime-settings', {body: {rolling_restart: true, stop_grace_seconds: null}, unchecked: true})
    assert.deepEqual(both.body, {stop_grace_seconds: null, rolling_restart: true, default_stop_grace_seconds: 30})
    const none = await server.call('PATCH', '/apps/graceful/runtime-settings', {body: {}, unchecked: true})
    assert.deepEqual([none.status, none.body], [200, {stop_grace_seconds: null, rolling_restart: true, default_stop_grace_seconds: 30}])
  })

  it('rejects stop grace values out of range', async () => {
    for (const value of [0, 301, 1.5, '10']) {
      const response = await server.call('PATCH', '/apps/graceful/runtime-settings', {body: {stop_grace_seconds: value}})
      assert.equal(response.status, 422)
      assert.deepEqual(response.body, {
        id: 'invalid_params',
        message: 'stop_grace_seconds must be a whole number from 1 to 300, or null for the default.',
      })
    }
  })

  it('rejects a rolling_restart that is not a boolean or null, and then changes nothing', async () => {
    await server.call('PATCH', '/apps/graceful/runtime-settings', {body: {rolling_restart: false, stop_grace_seconds: 7}})
    for (const value of ['off', 'false', 0, 1, {}]) {
      // A valid stop_grace_seconds beside the bad value is not applied either.
      const response = await server.call('PATCH', '/apps/graceful/runtime-settings', {body: {stop_grace_seconds: 9, rolling_restart: value}})
      assert.equal(response.status, 422)
      assert.deepEqual(response.body, {id: 'invalid_params', message: 'rolling_restart must be true, false, or null for the default (true).'})
    }
    const badGrace = await server.call('PATCH', '/apps/graceful/runtime-settings', {body: {rolling_restart: true, stop_grace_seconds: 0}})
    assert.equal(badGrace.status, 422)
    assert.deepEqual(await get(), {stop_grace_seconds: 7, rolling_restart: false, default_stop_grace_seconds: 30})
  })
})
