import assert from 'node:assert/strict'
import {join} from 'node:path'
import {after, before, describe, it} from 'mocha'
import type {Dyno} from '../../../src/shared/api-types.js'
import {Store} from '../../../src/server/store/index.js'
import {startApiServer, type TestApiServer} from '../../helpers/api-server.js'
import {assertSchema, assertSchemaList} from '../../helpers/schema.js'

const SIZES = 'Eco, Basic, Standard-1X, Standard-2X, Performance-M, Performance-L, Performance-L-RAM, Performance-XL and Performance-2XL'
const DYNO_NOT_FOUND = {id: 'not_found', message: "Couldn't find that dyno.", resource: 'dyno'}

describe('API: dynos', () => {
  let server: TestApiServer

  before(async () => {
    server = await startApiServer()
    await server.call('POST', '/apps', {body: {name: 'runner'}})
    await server.deploy('runner', {web: 'node web.js', worker: 'node worker.js'})
    await server.call('PATCH', '/apps/runner/formation', {body: {updates: [{type: 'web', quantity: 2}, {type: 'worker', quantity: 1}]}})
  })

  after(async () => {
    await server.close()
  })

  async function dynos(): Promise<Dyno[]> {
    return (await server.call<Dyno[]>('GET', '/apps/runner/dynos')).body
  }

  it('lists the dynos of the formation', async () => {
    const response = await server.call<Dyno[]>('GET', '/apps/runner/dynos?extended=true')
    assert.equal(response.status, 200)
    assertSchemaList('dyno', response.body)
    assert.deepEqual(response.body.map((d) => d.name).sort(), ['web.1', 'web.2', 'worker.1'])
    const web = response.body.find((d) => d.name === 'web.1') as Dyno
    assert.equal(web.command, 'node web.js')
    assert.equal(web.type, 'web')
    assert.equal(web.size, 'Standard-1X')
    assert.equal(web.attach_url, null)
    assert.equal(web.release.version, 2)
  })

  it('shows a dyno by name or id; an unknown one is 404', async () => {
    const byName = await server.call<Dyno>('GET', '/apps/runner/dynos/web.2')
    assert.equal(byName.status, 200)
    assertSchema('dyno', byName.body)
    const byId = await server.call<Dyno>('GET', `/apps/runner/dynos/${byName.body.id}`)
    assert.deepEqual(byId.body, byName.body)
    for (const name of ['web.9', '..%2Fweb.1', crypto.randomUUID()]) {
      const missing = await server.call('GET', `/apps/runner/dynos/${name}`)
      assert.equal(missing.status, 404)
      assert.deepEqual(missing.body, DYNO_NOT_FOUND)
    }
  })

  it('creates a one-off dyno (201) named run.NNNN on the current release, env numbers coerced', async () => {
    const response = await server.call<Dyno>('POST', '/apps/runner/dynos', {
      body: {command: 'rake db:migrate', attach: false, env: {TERM: 'xterm', COLUMNS: 120, LINES: 40}, force_no_tty: null},
    })
    assert.equal(response.status, 201)
    assertSchema('dyno', response.body)
    assert.match(response.body.name, /^run\.\d{4}$/)
    assert.equal(response.body.type, 'run')
    assert.equal(response.body.command, 'rake db:migrate')
    assert.equal(response.body.size, 'Standard-1X')
    assert.equal(response.body.release.version, 2)
    const store = new Store({path: join(server.dataDir, 'tug.db')})
    try {
      const app = store.apps.findByName('runner')
      const record = app && store.dynos.findByName(app.id, response.body.name)
      assert.deepEqual(record?.env, {TERM: 'xterm', COLUMNS: '120', LINES: '40'})
      assert.equal(record?.one_off, true)
    } finally {
      store.close()
    }
    assert.ok((await dynos()).some((d) => d.name === response.body.name))
  })

  it('takes a size in any case, a type, and a time_to_live', async () => {
    const response = await server.call<Dyno>('POST', '/apps/runner/dynos', {
      body: {command: 'python job.py', size: 'standard-2x', type: 'scheduler', time_to_live: 86400},
    })
    assert.equal(response.status, 201)
    assert.equal(response.body.size, 'Standard-2X')
    assert.equal(response.body.type, 'scheduler')
    assert.match(response.body.name, /^scheduler\.\d{4}$/)
  })

  it('rejects invalid one-off requests with 422 and creates nothing', async () => {
    const before = (await dynos()).map((d) => d.name).sort()
    const invalid = (message: string) => ({id: 'invalid_params', message})
    const cases: Array<[unknown, unknown]> = [
      [{}, invalid('command is required: the command to run.')],
      [{command: ''}, invalid('command is required: the command to run.')],
      [{command: 42}, invalid('command is required: the command to run.')],
      [{command: 'ls', attach: 'yes'}, invalid('attach must be true or false.')],
      [{command: 'ls', force_no_tty: 1}, invalid('force_no_tty must be true or false.')],
      [{command: 'ls', env: {'BAD-KEY': 'x'}}, invalid('Invalid env var name: "BAD-KEY". Names match ^\\w+$.')],
      [{command: 'ls', env: {'A=B': 'x'}}, invalid('Invalid env var name: "A=B". Names match ^\\w+$.')],
      [{command: 'ls', env: {'A\u0000': 'x'}}, invalid('Invalid env var name: "A\\u0000". Names match ^\\w+$.')],
      [{command: 'ls', env: {A: {nested: true}}}, invalid('env values must be strings (A).')],
      [{command: 'ls', env: {A: null}}, invalid('env values must be strings (A).')],
      [{command: 'ls', env: ['A=1']}, invalid('env must be an object of string values.')],
      // Each of these got a 201, and the one-off then failed to spawn.
      [{command: 'ls', env: {A: 'x\u0000y'}}, invalid("env var A contains a NUL byte: a process's environment cannot carry it.")],
      [{command: 'ls', env: {A: 'x\ud800'}}, invalid("env var A is not valid UTF-8 (a lone surrogate): a process's environment cannot carry it.")],
      [{command: 'ls', env: {A: 'x'.repeat(200 * 1024)}}, invalid('env would be 204801 bytes (names and values together); the limit is 32768 bytes (32 KB). Keep large data in a file or an add-on and put its location in a config var.')],
      [{command: 'ls\u0000rm -rf /'}, invalid('command contains a NUL byte: a process cannot carry it.')],
      [{command: 'ls', size: '1X'}, invalid(`No such size as 1X. Available dyno sizes are ${SIZES}.`)],
      [{command: 'ls', size: 2}, invalid('size must be a string.')],
      [{command: 'ls', type: '../run'}, invalid('Invalid process type: ../run. Process types are 1 to 128 letters, digits, underscores and dashes.')],
      [{command: 'ls', time_to_live: 86401}, invalid('time_to_live must be a whole number from 1 to 86400.')],
      [{command: 'ls', time_to_live: 0}, invalid('time_to_live must be a whole number from 1 to 86400.')],
      [{command: 'ls', time_to_live: '60'}, invalid('time_to_live must be a whole number from 1 to 86400.')],
    ]
    for (const [body, error] of cases) {
      const response = await server.call('POST', '/apps/runner/dynos', {body})
      assert.equal(response.status, 422, JSON.stringify(body))
      assert.deepEqual(response.body, error)
    }
    assert.deepEqual((await dynos()).map((d) => d.name).sort(), before)
  })

  it('restarts all, one, or a type of dynos with 202 {}', async () => {
    for (const [method, path] of [
      ['DELETE', '/apps/runner/dynos'],
      ['DELETE', '/apps/runner/dynos/web.1'],
      ['DELETE', '/apps/runner/formations/worker'],
    ] as const) {
      const response = await server.call(method, path, {headers: {Accept: 'application/vnd.heroku+json; version=3.sdk'}})
      assert.equal(response.status, 202, path)
      assert.deepEqual(response.body, {})
    }
  })

  it('stops a one-off for good, but only restarts a formation dyno', async () => {
    const oneOff = (await server.call<Dyno>('POST', '/apps/runner/dynos', {body: {command: 'sleep 100'}})).body
    const stop = await server.call('POST', `/apps/runner/dynos/${oneOff.name}/actions/stop`)
    assert.equal(stop.status, 202)
    assert.deepEqual(stop.body, {})
    assert.equal((await server.call('GET', `/apps/runner/dynos/${oneOff.name}`)).status, 404)
    const stopWeb = await server.call('POST', '/apps/runner/dynos/web.1/actions/stop')
    assert.equal(stopWeb.status, 202)
    assert.equal((await server.call('GET', '/apps/runner/dynos/web.1')).status, 200)
    const stopType = await server.call('POST', '/apps/runner/formations/web/actions/stop')
    assert.equal(stopType.status, 202)
    assert.deepEqual(stopType.body, {})
  })

  it('answers 404 for restart/stop of an unknown dyno or type', async () => {
    const dyno = await server.call('DELETE', '/apps/runner/dynos/web.42')
    assert.equal(dyno.status, 404)
    assert.deepEqual(dyno.body, DYNO_NOT_FOUND)
    assert.deepEqual((await server.call('POST', '/apps/runner/dynos/web.42/actions/stop')).body, DYNO_NOT_FOUND)
    const type = await server.call('DELETE', '/apps/runner/formations/nope')
    assert.equal(type.status, 404)
    assert.deepEqual(type.body, {id: 'not_found', message: "Couldn't find that process type (nope).", resource: 'formation'})
    assert.equal((await server.call('POST', '/apps/runner/formations/nope/actions/stop')).status, 404)
  })

  it('a one-off that has ended is gone from the dynos: not listed, not shown, not restarted or stopped', async () => {
    const oneOff = (await server.call<Dyno>('POST', '/apps/runner/dynos', {body: {command: 'exit 3'}})).body
    assert.ok((await dynos()).some((d) => d.name === oneOff.name))
    // It exits, as the dyno manager records it (the store-only runtime runs nothing).
    const store = new Store({path: join(server.dataDir, 'tug.db')})
    try {
      const app = store.apps.findByName('runner')
      assert.ok(app)
      store.dynos.update(app.id, oneOff.id, {state: 'crashed', exit_status: 3, ended_at: new Date().toISOString()})
    } finally {
      store.close()
    }
    const listed = (await dynos()).map((d) => d.name)
    assert.equal(listed.includes(oneOff.name), false)
    assert.ok(listed.includes('web.1'))
    for (const [method, path] of [
      ['GET', `/apps/runner/dynos/${oneOff.name}`],
      ['GET', `/apps/runner/dynos/${oneOff.id}`],
      ['DELETE', `/apps/runner/dynos/${oneOff.name}`],
      ['POST', `/apps/runner/dynos/${oneOff.name}/actions/stop`],
    ] as const) {
      const response = await server.call(method, path)
      assert.equal(response.status, 404, `${method} ${path}`)
      assert.deepEqual(response.body, DYNO_NOT_FOUND)
    }
  })

  it('limits concurrent one-off dynos per tier (1 Eco) with cannot_run_above_limit', async () => {
    await server.call('POST', '/apps', {body: {name: 'eco-app'}})
    await server.deploy('eco-app', {web: 'node web.js'})
    await server.call('PATCH', '/apps/eco-app/formation/web', {body: {size: 'Eco'}})
    const first = await server.call<Dyno>('POST', '/apps/eco-app/dynos', {body: {command: 'bash'}})
    assert.equal(first.status, 201)
    assert.equal(first.body.size, 'Eco', 'an Eco app runs its one-offs at Eco')
    assert.equal((await server.call<{process_tier: string}>('GET', '/apps/eco-app')).body.process_tier, 'eco')
    assert.equal((await server.call<{process_tier: string}>('GET', '/apps/runner')).body.process_tier, 'production')
    const second = await server.call('POST', '/apps/eco-app/dynos', {body: {command: 'bash'}})
    assert.equal(second.status, 422)
    assert.deepEqual(second.body, {id: 'cannot_run_above_limit', message: 'Cannot run more than 1 Eco one-off dynos at once.', limit: 1})
  })

  it('moves formation dynos onto a new release', async () => {
    await server.call('PATCH', '/apps/runner/config-vars', {body: {NEW: 'release'}})
    const web = (await dynos()).filter((d) => d.type === 'web')
    assert.deepEqual([...new Set(web.map((d) => d.release.version))], [3])
  })
})
