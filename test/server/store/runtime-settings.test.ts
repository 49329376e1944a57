import assert from 'node:assert/strict'
import {afterEach, beforeEach, describe, it} from 'mocha'
import {Store} from '../../../src/server/store/index.js'

describe('store: runtime settings', () => {
  let store: Store
  let appId: string

  beforeEach(() => {
    store = new Store({path: ':memory:'})
    const account = store.accounts.create({email: 'a@example.com'})
    appId = store.apps.create({name: 'one', owner_id: account.id, region: 'us', stack: 'heroku-24'}).id
  })

  afterEach(() => {
    store.close()
  })

  it('answers the defaults (null) for an app that never set anything', () => {
    assert.deepEqual(store.runtimeSettings.get(appId), {stop_grace_ms: null, rolling_restart: null})
  })

  it('changes only the settings given and keeps the other', () => {
    assert.deepEqual(store.runtimeSettings.set(appId, {rolling_restart: false}), {stop_grace_ms: null, rolling_restart: false})
    assert.deepEqual(store.runtimeSettings.set(appId, {stop_grace_ms: 5000}), {stop_grace_ms: 5000, rolling_restart: false})
    assert.deepEqual(store.runtimeSettings.get(appId), {stop_grace_ms: 5000, rolling_restart: false})
    store.runtimeSettings.set(appId, {rolling_restart: true})
    assert.deepEqual(store.runtimeSettings.get(appId), {stop_grace_ms: 5000, rolling_restart: true})
    store.runtimeSettings.set(appId, {stop_grace_ms: null, rolling_restart: null})
    assert.deepEqual(store.runtimeSettings.get(appId), {stop_grace_ms: null, rolling_restart: null})
  })

  it('keeps settings per app and removes them with the app', () => {
    const other = store.apps.create({name: 'two', owner_id: store.apps.get(appId)?.owner_id ?? assert.fail(), region: 'us', stack: 'heroku-24'}).id
    store.runtimeSettings.set(appId, {rolling_restart: false})
    assert.deepEqual(store.runtimeSettings.get(other), {stop_grace_ms: null, rolling_restart: null})
    store.apps.delete(appId)
    assert.equal((store.db.prepare('SELECT count(*) AS n FROM runtime_settings').get() as {n: number}).n, 0)
  })
})
