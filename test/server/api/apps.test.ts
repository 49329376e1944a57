import assert from 'node:assert/strict'
import {after, before, describe, it} from 'mocha'
import type {Account, App} from '../../../src/shared/api-types.js'
import {APP_NAME_MESSAGE} from '../../../src/server/http/errors.js'
import {startApiServer, type TestApiServer} from '../../helpers/api-server.js'
import {assertSchema, assertSchemaList} from '../../helpers/schema.js'

describe('API: apps', () => {
  let server: TestApiServer
  let account: Account

  before(async () => {
    server = await startApiServer()
    account = (await server.call<Account>('GET', '/account')).body
  })

  after(async () => {
    await server.close()
  })

  async function names(): Promise<string[]> {
    return (await server.call<App[]>('GET', '/apps')).body.map((a) => a.name).sort()
  }

  it('creates an app with the given name (201), owned by the caller, generation cedar', async () => {
    const response = await server.call<App>('POST', '/apps', {body: {name: 'shop'}})
    assert.equal(response.status, 201)
    assertSchema('app', response.body)
    const app = response.body
    assert.equal(app.name, 'shop')
    assert.deepEqual(app.owner, {email: 'admin@tug.local', id: account.id})
    assert.equal(app.generation.name, 'cedar')
    assert.equal(app.stack.name, 'heroku-24')
    assert.equal(app.region.name, 'us')
    assert.equal(app.web_url, 'http://shop.localhost:5080/')
    assert.equal(app.git_url, `${server.url}/shop.git`)
    assert.equal(app.maintenance, false)
    assert.match(app.released_at ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  })

  it('starts every app with release v1 "Initial release" and no formation', async () => {
    const releases = await server.call<Array<{version: number; description: string; current: boolean}>>('GET', '/apps/shop/releases')
    assert.deepEqual(
      releases.body.map((r) => [r.version, r.description, r.current]),
      [[1, 'Initial release', true]],
    )
    assert.deepEqual((await server.call('GET', '/apps/shop/formation')).body, [])
  })

  it('picks a random heroku-style name when none is given', async () => {
    for (const body of [{}, {name: null}, undefined]) {
      const response = await server.call<App>('POST', '/apps', body === undefined ? {} : {body})
      assert.equal(response.status, 201)
      assert.match(response.body.name, /^[a-z]+-[a-z]+-\d{4}$/)
      assertSchema('app', response.body)
      await server.call('DELETE', `/apps/${response.body.name}`)
    }
  })

  it('rejects a taken name with 422 "Name is already taken"', async () => {
    const response = await server.call('POST', '/apps', {body: {name: 'shop'}})
    assert.equal(response.status, 422)
    assert.deepEqual(response.body, {id: 'invalid_params', message: 'Name is already taken'})
  })

  it('rejects names breaking the app-name rule, path traversal included, and creates nothing', async () => {
    const before = await names()
    for (const name of ['Shop', 'ab', 'a', '1shop', 'shop-', '-shop', 'sh_op', 'sh op', '../x', '..', 'a/b', 'x'.repeat(31), 'shöp', 42, true, ['shop2']]) {
      const response = await server.call('POST', '/apps', {body: {name}})
      assert.equal(response.status, 422, JSON.stringify(name))
      assert.deepEqual(response.body, {id: 'invalid_params', message: APP_NAME_MESSAGE})
    }
    assert.deepEqual(await names(), before)
  })

  it('accepts names of 3 and 30 characters', async () => {
    for (const name of ['abc', `a${'b'.repeat(28)}c`]) {
      assert.equal((await server.call('POST', '/apps', {body: {name}})).status, 201, name)
      assert.equal((await server.call('DELETE', `/apps/${name}`)).status, 200)
    }
  })

  it('rejects an unknown region or stack with 422', async () => {
    const region = await server.call('POST', '/apps', {body: {name: 'somewhere', region: 'mars'}})
    assert.equal(region.status, 422)
    assert.deepEqual(region.body, {id: 'invalid_params', message: 'No such region as mars. Available regions are us.'})
    const stack = await server.call('POST', '/apps', {body: {name: 'somewhere', stack: 'cedar-14'}})
    assert.equal(stack.status, 422)
    assert.deepEqual(stack.body, {id: 'invalid_params', message: 'No such stack as cedar-14. Available stacks are heroku-24.'})
    const wrongType = await server.call('POST', '/apps', {body: {name: 'somewhere', region: 5}})
    assert.deepEqual(wrongType.body, {id: 'invalid_params', message: 'region must be a string.'})
    assert.equal((await server.call('GET', '/apps/somewhere')).status, 404)
  })

  it('shows an app by name or by id', async () => {
    const byName = await server.call<App>('GET', '/apps/shop')
    assert.equal(byName.status, 200)
    assertSchema('app', byName.body)
    const byId = await server.call<App>('GET', `/apps/${byName.body.id}`)
    assert.equal(byId.status, 200)
    assert.deepEqual(byId.body, byName.body)
    const upper = await server.call<App>('GET', `/apps/${byName.body.id.toUpperCase()}`)
    assert.equal(upper.body.name, 'shop')
  })

  it("answers an unknown app with 404 \"Couldn't find that app.\" and resource app", async () => {
    for (const path of ['/apps/nope', '/apps/..%2Fshop', `/apps/${crypto.randomUUID()}`, '/apps/nope/formation', '/apps/nope/config-vars']) {
      const response = await server.call('GET', path)
      assert.equal(response.status, 404, path)
      assert.deepEqual(response.body, {id: 'not_found', message: "Couldn't find that app.", resource: 'app'})
    }
  })

  it('lists apps at /apps and /users/~/apps (also by email and id)', async () => {
    const apps = await server.call<App[]>('GET', '/apps')
    assertSchemaList('app', apps.body)
    for (const who of ['~', 'admin@tug.local', account.id]) {
      const mine = await server.call<App[]>('GET', `/users/${encodeURIComponent(who)}/apps`)
      assert.equal(mine.status, 200)
      assert.deepEqual(mine.body, apps.body)
    }
    const other = await server.call('GET', '/users/someone@example.com/apps')
    assert.equal(other.status, 404)
  })

  it('renames an app and sets maintenance', async () => {
    await server.call('POST', '/apps', {body: {name: 'old-name'}})
    const renamed = await server.call<App>('PATCH', '/apps/old-name', {body: {name: 'new-name'}})
    assert.equal(renamed.status, 200)
    assertSchema('app', renamed.body)
    assert.equal(renamed.body.name, 'new-name')
    assert.equal((await server.call('GET', '/apps/old-name')).status, 404)
    const maintenance = await server.call<App>('PATCH', '/apps/new-name', {body: {maintenance: true}})
    assert.equal(maintenance.body.maintenance, true)
    assert.equal((await server.call<App>('GET', '/apps/new-name')).body.maintenance, true)
  })

  it('rejects a bad rename or wrong types with 422 and changes nothing', async () => {
    const before = (await server.call<App>('GET', '/apps/new-name')).body
    const cases: Array<[unknown, unknown]> = [
      [{name: '../etc'}, {id: 'invalid_params', message: APP_NAME_MESSAGE}],
      [{name: 'Upper'}, {id: 'invalid_params', message: APP_NAME_MESSAGE}],
      [{name: 'shop'}, {id: 'invalid_params', message: 'Name is already taken'}],
      [{maintenance: 'yes'}, {id: 'invalid_params', message: 'maintenance must be true or false.'}],
      [{name: 'fine-name', maintenance: 1}, {id: 'invalid_params', message: 'maintenance must be true or false.'}],
      [{build_stack: 'nope'}, {id: 'invalid_params', message: 'No such build_stack as nope. Available stacks are heroku-24.'}],
    ]
    for (const [body, error] of cases) {
      const response = await server.call('PATCH', '/apps/new-name', {body})
      assert.equal(response.status, 422, JSON.stringify(body))
      assert.deepEqual(response.body, error)
    }
    const after = (await server.call<App>('GET', '/apps/new-name')).body
    assert.deepEqual(after, before)
    assert.equal((await server.call('GET', '/apps/fine-name')).status, 404)
  })

  it('deletes an app, answering it as it was, and everything of it goes', async () => {
    await server.call('POST', '/apps', {body: {name: 'doomed'}})
    await server.deploy('doomed', {web: 'node web.js'})
    await server.call('PATCH', '/apps/doomed/config-vars', {body: {A: '1'}})
    const response = await server.call<App>('DELETE', '/apps/doomed')
    assert.equal(response.status, 200)
    assertSchema('app', response.body)
    assert.equal(response.body.name, 'doomed')
    assert.equal((await server.call('GET', '/apps/doomed')).status, 404)
    assert.equal((await server.call('DELETE', '/apps/doomed')).status, 404)
    // The name is free again, and the new app starts from scratch.
    await server.call('POST', '/apps', {body: {name: 'doomed'}})
    assert.deepEqual((await server.call('GET', '/apps/doomed/config-vars')).body, {})
    assert.deepEqual((await server.call('GET', '/apps/doomed/formation')).body, [])
  })

  it('lists no add-ons', async () => {
    const response = await server.call('GET', '/apps/shop/addons')
    assert.equal(response.status, 200)
    assert.deepEqual(response.body, [])
  })
})
