import assert from 'node:assert/strict'
import {after, before, beforeEach, describe, it} from 'mocha'
import type {Dyno, Formation} from '../../../src/shared/api-types.js'
import {startApiServer, type TestApiServer} from '../../helpers/api-server.js'
import {assertSchema, assertSchemaList} from '../../helpers/schema.js'

const SIZES = 'Eco, Basic, Standard-1X, Standard-2X, Performance-M, Performance-L, Performance-L-RAM, Performance-XL and Performance-2XL'

describe('API: formation', () => {
  let server: TestApiServer
  let app = ''
  let counter = 0

  before(async () => {
    server = await startApiServer()
  })

  after(async () => {
    await server.close()
  })

  beforeEach(async () => {
    app = `scale-${++counter}`
    await server.call('POST', '/apps', {body: {name: app}})
    await server.deploy(app, {web: 'node web.js', worker: 'node worker.js', clock: 'node clock.js'})
  })

  async function formation(): Promise<Record<string, string>> {
    const list = await server.call<Formation[]>('GET', `/apps/${app}/formation`)
    return Object.fromEntries(list.body.map((f) => [f.type, `${f.quantity}:${f.size}`]))
  }

  async function dynoNames(): Promise<string[]> {
    return (await server.call<Dyno[]>('GET', `/apps/${app}/dynos`)).body.map((d) => d.name).sort()
  }

  async function expectError(path: string, body: unknown, status: number, error: unknown): Promise<void> {
    const before = await formation()
    const response = await server.call('PATCH', path, {body})
    assert.equal(response.status, status, JSON.stringify(body))
    assert.deepEqual(response.body, error)
    assert.deepEqual(await formation(), before, 'the formation must not change')
  }

  it('has one entry per process type: web at 1, the rest at 0, Standard-1X', async () => {
    const list = await server.call<Formation[]>('GET', `/apps/${app}/formation`)
    assert.equal(list.status, 200)
    assertSchemaList('formation', list.body)
    assert.deepEqual(await formation(), {clock: '0:Standard-1X', web: '1:Standard-1X', worker: '0:Standard-1X'})
    const web = list.body.find((f) => f.type === 'web') as Formation
    assert.equal(web.command, 'node web.js')
    assert.deepEqual(web.dyno_size, {id: '3f757c46-13b0-4df0-b2a1-bd57a60ba69a', name: 'Standard-1X'})
    assert.equal(web.app.name, app)
  })

  it('shows an entry by type or id; an unknown type is 404', async () => {
    const byType = await server.call<Formation>('GET', `/apps/${app}/formation/worker`)
    assert.equal(byType.status, 200)
    assertSchema('formation', byType.body)
    const byId = await server.call<Formation>('GET', `/apps/${app}/formation/${byType.body.id}`)
    assert.deepEqual(byId.body, byType.body)
    const missing = await server.call('GET', `/apps/${app}/formation/nope`)
    assert.equal(missing.status, 404)
    assert.deepEqual(missing.body, {id: 'not_found', message: "Couldn't find that process type (nope).", resource: 'formation'})
  })

  it('updates one entry (quantity as a number, size in any case)', async () => {
    const response = await server.call<Formation>('PATCH', `/apps/${app}/formation/worker`, {body: {quantity: 2, size: 'standard-2x'}})
    assert.equal(response.status, 200)
    assertSchema('formation', response.body)
    assert.equal(response.body.quantity, 2)
    assert.equal(response.body.size, 'Standard-2X')
    assert.equal(response.body.dyno_size.name, 'Standard-2X')
    assert.deepEqual(await formation(), {clock: '0:Standard-1X', web: '1:Standard-1X', worker: '2:Standard-2X'})
  })

  it('batch-updates with numeric strings and relative +N / -N, answering the updated entries', async () => {
    const response = await server.call<Formation[]>('PATCH', `/apps/${app}/formation`, {
      body: {updates: [{type: 'web', quantity: '3'}, {type: 'worker', quantity: '+2'}]},
    })
    assert.equal(response.status, 200)
    assertSchemaList('formation', response.body)
    assert.deepEqual(response.body.map((f) => `${f.type}=${f.quantity}`), ['web=3', 'worker=2'])
    await server.call('PATCH', `/apps/${app}/formation`, {body: {updates: [{type: 'web', quantity: '-1'}, {type: 'clock', quantity: '+1'}]}})
    assert.deepEqual(await formation(), {clock: '1:Standard-1X', web: '2:Standard-1X', worker: '2:Standard-1X'})
  })

  it('takes dyno_size by name (any case) or id, and size-only updates (ps:type)', async () => {
    await server.call('PATCH', `/apps/${app}/formation`, {body: {updates: [{type: 'web', dyno_size: {name: 'performance-m'}}]}})
    const sizes = await server.call<Array<{id: string; name: string}>>('GET', '/dyno-sizes')
    const std2x = sizes.body.find((s) => s.name === 'Standard-2X')?.id
    await server.call('PATCH', `/apps/${app}/formation`, {body: {updates: [{type: 'worker', dyno_size: {id: std2x}}]}})
    assert.deepEqual(await formation(), {clock: '0:Standard-1X', web: '1:Performance-M', worker: '0:Standard-2X'})
    const psType = await server.call<Formation[]>('PATCH', `/apps/${app}/formation`, {
      body: {updates: ['web', 'worker', 'clock'].map((type) => ({type, size: 'STANDARD-1X'}))},
    })
    assert.equal(psType.status, 200)
    assert.deepEqual(await formation(), {clock: '0:Standard-1X', web: '1:Standard-1X', worker: '0:Standard-1X'})
  })

  it('keeps the dyno records in the store only (store-only runtime, until the dyno-manager issue)', async () => {
    assert.deepEqual(await dynoNames(), ['web.1'])
    await server.call('PATCH', `/apps/${app}/formation`, {body: {updates: [{type: 'web', quantity: 3}, {type: 'worker', quantity: 2}]}})
    assert.deepEqual(await dynoNames(), ['web.1', 'web.2', 'web.3', 'worker.1', 'worker.2'])
    const dynos = await server.call<Dyno[]>('GET', `/apps/${app}/dynos`)
    assertSchemaList('dyno', dynos.body)
    // Records mirror the desired state at once, `up`; nothing runs behind them.
    assert.deepEqual([...new Set(dynos.body.map((d) => d.state))], ['up'])
    await server.call('PATCH', `/apps/${app}/formation/web`, {body: {quantity: 1}})
    assert.deepEqual(await dynoNames(), ['web.1', 'worker.1', 'worker.2'])
  })

  it('rejects every invalid update with its documented error and changes nothing', async () => {
    const path = `/apps/${app}/formation`
    const invalid = (message: string) => ({id: 'invalid_params', message})
    await expectError(path, {updates: [{type: 'web', size: '1X'}]}, 422, invalid(`No such size as 1X. Available dyno sizes are ${SIZES}.`))
    await expectError(path, {updates: [{type: 'web', dyno_size: {name: 'Free'}}]}, 422, invalid(`No such size as Free. Available dyno sizes are ${SIZES}.`))
    await expectError(path, {updates: [{type: 'web', dyno_size: 'Eco'}]}, 422, invalid('dyno_size must be an object with an id or a name.'))
    await expectError(path, {updates: [{type: 'web', size: 2}]}, 422, invalid('size must be a string naming a dyno size.'))
    await expectError(path, {updates: [{type: 'web', quantity: 'abc'}]}, 422, invalid('Invalid quantity: "abc". Use a whole number, or +N / -N to change it.'))
    await expectError(path, {updates: [{type: 'web', quantity: '2:'}]}, 422, invalid('Invalid quantity: "2:". Use a whole number, or +N / -N to change it.'))
    await expectError(path, {updates: [{type: 'web', quantity: 1.5}]}, 422, invalid('Invalid quantity: 1.5. Use a whole number, or +N / -N to change it.'))
    await expectError(path, {updates: [{type: 'web', quantity: true}]}, 422, invalid('Invalid quantity: true. Use a whole number, or +N / -N to change it.'))
    await expectError(path, {updates: [{type: 'web', quantity: -1}]}, 422, invalid('Quantity of web cannot be negative (it would be -1).'))
    await expectError(path, {updates: [{type: 'worker', quantity: '-1'}]}, 422, invalid('Quantity of worker cannot be negative (it would be -1).'))
    await expectError(path, {updates: [{type: 'we b', quantity: 1}]}, 422, invalid('Invalid process type: we b. Process types are 1 to 128 letters, digits, underscores and dashes.'))
    await expectError(path, {updates: [{type: 'x'.repeat(129), quantity: 1}]}, 422, invalid(`Invalid process type: ${'x'.repeat(129)}. Process types are 1 to 128 letters, digits, underscores and dashes.`))
    await expectError(path, {updates: [{quantity: 1}]}, 422, invalid('Each update needs a type: the process type to scale.'))
    await expectError(path, {updates: ['web=2']}, 422, invalid('Each update must be an object with a type.'))
    await expectError(path, {updates: {type: 'web'}}, 422, invalid('updates must be an array of formation updates.'))
    await expectError(path, {}, 422, invalid('updates must be an array of formation updates.'))
    await expectError(path, {updates: [{type: 'nope', quantity: 1}]}, 404, {
      id: 'not_found',
      message: "Couldn't find that process type (nope). Its process types are clock, web, worker.",
      resource: 'formation',
    })
    // Heroku's CLI shows the message as it is: the nearest type and the list help it too.
    await expectError(path, {updates: [{type: 'web', quantity: 1}, {type: 'wbe', quantity: 2}]}, 404, {
      id: 'not_found',
      message: "Couldn't find that process type (wbe). Did you mean web? Its process types are clock, web, worker.",
      resource: 'formation',
    })
    // All or nothing: a valid first update is not applied when a later one fails.
    await expectError(path, {updates: [{type: 'web', quantity: 5}, {type: 'worker', quantity: 'x'}]}, 422, invalid('Invalid quantity: "x". Use a whole number, or +N / -N to change it.'))
    await expectError(`${path}/web`, {quantity: 'many'}, 422, invalid('Invalid quantity: "many". Use a whole number, or +N / -N to change it.'))
    await expectError(`${path}/nope`, {quantity: 1}, 404, {id: 'not_found', message: "Couldn't find that process type (nope).", resource: 'formation'})
  })

  it('enforces the scaling limits with 422 cannot_run_above_limit and its limit', async () => {
    const path = `/apps/${app}/formation`
    await expectError(path, {updates: [{type: 'web', quantity: 101}]}, 422, {
      id: 'cannot_run_above_limit',
      message: 'Cannot run more than 100 dynos per app.',
      limit: 100,
    })
    await expectError(path, {updates: [{type: 'web', quantity: 60}, {type: 'worker', quantity: 41}]}, 422, {
      id: 'cannot_run_above_limit',
      message: 'Cannot run more than 100 dynos per app.',
      limit: 100,
    })
    await expectError(path, {updates: [{type: 'web', quantity: 2, size: 'Eco'}]}, 422, {
      id: 'cannot_run_above_limit',
      message: 'Cannot update to more than 1 Eco size dynos per process type.',
      limit: 1,
    })
    await expectError(path, {updates: [{type: 'web', quantity: 2, size: 'basic'}]}, 422, {
      id: 'cannot_run_above_limit',
      message: 'Cannot update to more than 1 Basic size dynos per process type.',
      limit: 1,
    })
    await expectError(path, {updates: [{type: 'web', quantity: 11, size: 'Performance-L'}]}, 422, {
      id: 'cannot_run_above_limit',
      message: 'Cannot update to more than 10 Performance-L size dynos per process type.',
      limit: 10,
    })
    await expectError(path, {updates: ['web', 'worker', 'clock'].map((type) => ({type, quantity: 1, size: 'Eco'}))}, 422, {
      id: 'cannot_run_above_limit',
      message: 'Cannot run more than 2 Eco size dynos.',
      limit: 2,
    })
    // 100 in all is fine.
    const ok = await server.call('PATCH', path, {body: {updates: [{type: 'web', quantity: 60}, {type: 'worker', quantity: 40}]}})
    assert.equal(ok.status, 200)
  })

  it('refuses to mix Eco, Basic and professional tiers in one app', async () => {
    const path = `/apps/${app}/formation`
    await expectError(path, {updates: [{type: 'worker', quantity: 1, size: 'Eco'}]}, 422, {
      id: 'invalid_params',
      message: 'Cannot use the following dyno types in the same app: Eco and Standard-1X',
    })
    await expectError(path, {updates: [{type: 'web', size: 'Basic'}, {type: 'worker', quantity: 1, size: 'Performance-M'}]}, 422, {
      id: 'invalid_params',
      message: 'Cannot use the following dyno types in the same app: Basic and Performance-M',
    })
    // Standard and Performance mix fine; an Eco entry at 0 does not count.
    const ok = await server.call('PATCH', path, {
      body: {updates: [{type: 'worker', quantity: 1, size: 'Performance-M'}, {type: 'clock', size: 'Eco'}]},
    })
    assert.equal(ok.status, 200)
  })
})
