import assert from 'node:assert/strict'
import {after, before, describe, it} from 'mocha'
import type {Account} from '../../../src/shared/api-types.js'
import {startApiServer, type TestApiServer} from '../../helpers/api-server.js'
import {assertSchema, assertSchemaList} from '../../helpers/schema.js'

describe('API: account, dyno sizes, regions, stacks', () => {
  let server: TestApiServer

  before(async () => {
    server = await startApiServer()
    await server.call('POST', '/apps', {body: {name: 'sized'}})
  })

  after(async () => {
    await server.close()
  })

  it('shows the account at /account and /users/{~|email|id}', async () => {
    const account = await server.call<Account>('GET', '/account')
    assert.equal(account.status, 200)
    assertSchema('account', account.body)
    assert.equal(account.body.email, 'admin@tug.local')
    for (const who of ['~', 'admin@tug.local', 'ADMIN@tug.local', account.body.id]) {
      const user = await server.call<Account>('GET', `/users/${encodeURIComponent(who)}`)
      assert.equal(user.status, 200, who)
      assert.deepEqual(user.body, account.body)
    }
    const other = await server.call('GET', '/users/nobody@example.com')
    assert.equal(other.status, 404)
    assert.deepEqual(other.body, {id: 'not_found', message: "Couldn't find that user.", resource: 'user'})
  })

  it('updates the account name and flags, rejecting wrong types', async () => {
    const updated = await server.call<Account>('PATCH', '/account', {body: {name: 'Ada', beta: true}})
    assert.equal(updated.status, 200)
    assertSchema('account', updated.body)
    assert.equal(updated.body.name, 'Ada')
    assert.equal(updated.body.beta, true)
    const bad = await server.call('PATCH', '/account', {body: {beta: 'yes'}})
    assert.equal(bad.status, 422)
    assert.deepEqual(bad.body, {id: 'invalid_params', message: 'beta must be true or false.'})
    assert.equal((await server.call<Account>('GET', '/account')).body.beta, true)
  })

  it('answers the rate limit', async () => {
    const response = await server.call('GET', '/account/rate-limits')
    assert.equal(response.status, 200)
    assertSchema('rate-limit', response.body)
    assert.deepEqual(response.body, {remaining: 4500})
  })

  it('lists the Common Runtime dyno sizes with stable ids', async () => {
    const response = await server.call<Array<{name: string; id: string}>>('GET', '/dyno-sizes')
    assert.equal(response.status, 200)
    assertSchemaList('dyno-size', response.body)
    assert.deepEqual(response.body.map((s) => s.name), [
      'Eco', 'Basic', 'Standard-1X', 'Standard-2X', 'Performance-M', 'Performance-L', 'Performance-L-RAM', 'Performance-XL', 'Performance-2XL',
    ])
    const standard = response.body.find((s) => s.name === 'Standard-1X')
    assert.equal(standard?.id, '3f757c46-13b0-4df0-b2a1-bd57a60ba69a')
  })

  it('shows a dyno size by name (any case) or id, 404 otherwise', async () => {
    const byName = await server.call<{id: string; name: string}>('GET', '/dyno-sizes/standard-2x')
    assert.equal(byName.status, 200)
    assertSchema('dyno-size', byName.body)
    assert.equal(byName.body.name, 'Standard-2X')
    const byId = await server.call('GET', `/dyno-sizes/${byName.body.id}`)
    assert.deepEqual(byId.body, byName.body)
    const missing = await server.call('GET', '/dyno-sizes/1X')
    assert.equal(missing.status, 404)
    assert.deepEqual(missing.body, {id: 'not_found', message: "Couldn't find that dyno size.", resource: 'dyno-size'})
  })

  it("lists an app's available dyno sizes", async () => {
    const response = await server.call('GET', '/apps/sized/available-dyno-sizes')
    assert.equal(response.status, 200)
    assertSchemaList('dyno-size', response.body)
    assert.equal((response.body as unknown[]).length, 9)
    assert.equal((await server.call('GET', '/apps/unsized/available-dyno-sizes')).status, 404)
  })

  it('lists and shows regions and stacks', async () => {
    const regions = await server.call<Array<{name: string; id: string}>>('GET', '/regions')
    assertSchemaList('region', regions.body)
    assert.deepEqual(regions.body.map((r) => r.name), ['us'])
    const region = await server.call('GET', `/regions/${regions.body[0]?.id}`)
    assertSchema('region', region.body)
    assert.equal((await server.call('GET', '/regions/eu')).status, 404)

    const stacks = await server.call<Array<{name: string}>>('GET', '/stacks')
    assertSchemaList('stack', stacks.body)
    assert.deepEqual(stacks.body.map((s) => s.name), ['heroku-24'])
    assertSchema('stack', (await server.call('GET', '/stacks/heroku-24')).body)
    assert.equal((await server.call('GET', '/stacks/cedar-14')).status, 404)
  })
})
