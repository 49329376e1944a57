import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {AddOn as HerokuAddOn, AddOnAttachment as HerokuAddOnAttachment, AddOnService as HerokuAddOnService, Plan as HerokuPlan} from '@heroku-cli/schema'
import {after, before, describe, it} from 'mocha'
import type {AddOn, AddOnAttachment, AddOnPlan, AddOnService, ConfigVars, Release} from '../../../src/shared/api-types.js'
import {runSql} from '../../../src/server/addons/postgres.js'
import {redisCommands} from '../../../src/server/addons/resp.js'
import {Store} from '../../../src/server/store/index.js'
import {startApiServer, type TestApiServer} from '../../helpers/api-server.js'
import {assertSchema, assertSchemaList} from '../../helpers/schema.js'

// tug's wire types held against Heroku's published ones: every field tug sends is one Heroku
// declares, with a type Heroku's allows (the build fails otherwise).
type Declared<T> = keyof {[K in keyof T as string extends K ? never : K]: T[K]}
type Extra<Ours, Theirs> = Exclude<keyof Ours, Declared<Theirs>>
// The Platform API's schema lists supported_generations on add-on-service (and the answers are
// checked against it); @heroku-cli/schema's type is older and lacks it.
const noExtraFields: [Extra<AddOn, HerokuAddOn>, Extra<AddOnAttachment, HerokuAddOnAttachment>, Exclude<Extra<AddOnService, HerokuAddOnService>, 'supported_generations'>, Extra<AddOnPlan, HerokuPlan>] extends [never, never, never, never]
  ? true
  : false = true
// actions: @heroku-cli/schema types it as an object and an array at once, which nothing is; the
// Platform API's schema and Heroku's answers have an array of objects, as tug's.
const assignable = (a: AddOn, b: AddOnAttachment, c: AddOnService, d: AddOnPlan): [HerokuAddOn, HerokuAddOnAttachment, HerokuAddOnService, HerokuPlan] => [
  {...a, addon_service: {...a.addon_service}, app: {...a.app}, plan: {...a.plan}, billed_price: a.billed_price && {...a.billed_price}, billing_entity: {...a.billing_entity}, actions: a.actions as unknown as HerokuAddOn['actions']},
  {...b, addon: {...b.addon, app: {...b.addon.app}}, app: {...b.app}},
  {...c},
  {...d, addon_service: {...d.addon_service}, price: {...d.price}},
]

export const ADMIN_PG = 'postgres://postgres@127.0.0.1:5432/postgres'

async function pgExists(providerId: string): Promise<{database: boolean; role: boolean}> {
  const database = await runSql(ADMIN_PG, [`SELECT 1 FROM pg_database WHERE datname = '${providerId}'`])
  const role = await runSql(ADMIN_PG, [`SELECT 1 FROM pg_roles WHERE rolname = '${providerId}'`])
  return {database: database.length === 1, role: role.length === 1}
}

describe('API: add-ons', function () {
  this.timeout(60_000)
  let server: TestApiServer
  let dataDir: string
  const created: string[] = []

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tug-addons-api-'))
    server = await startApiServer({dataDir, addons: {postgresUrl: ADMIN_PG}})
    await server.call('POST', '/apps', {body: {name: 'stocked'}})
    await server.call('POST', '/apps', {body: {name: 'borrower'}})
  })

  after(async () => {
    // Whatever a failed test left: its databases and roles, its Redis servers.
    for (const app of ['stocked', 'borrower', 'doomed']) {
      const list = await server.call<AddOn[]>('GET', `/apps/${app}/addons`, {unchecked: true})
      if (list.status !== 200) continue
      for (const addon of list.body) if (addon.app.name === app) await server.call('DELETE', `/apps/${app}/addons/${addon.id}`, {unchecked: true})
    }
    await server.close()
    rmSync(dataDir, {recursive: true, force: true})
    for (const providerId of created) await runSql(ADMIN_PG, [`DROP DATABASE IF EXISTS "${providerId}" WITH (FORCE)`, `DROP ROLE IF EXISTS "${providerId}"`])
  })

  const config = async (app: string) => (await server.call<ConfigVars>('GET', `/apps/${app}/config-vars`)).body
  const lastRelease = async (app: string) => {
    const releases = (await server.call<Release[]>('GET', `/apps/${app}/releases`)).body
    return releases.at(-1) as Release
  }

  it("holds the wire types against Heroku's", () => {
    assert.equal(noExtraFields, true)
  })

  it('lists the services and their plans in Heroku\'s shapes', async () => {
    const services = await server.call<AddOnService[]>('GET', '/addon-services')
    assertSchemaList('add-on-service', services.body)
    assert.deepEqual(services.body.map((s) => s.name), ['postgresql', 'redis'])
    const plans = await server.call<AddOnPlan[]>('GET', '/addon-services/heroku-postgresql/plans')
    assertSchemaList('plan', plans.body)
    assert.deepEqual(plans.body.map((p) => [p.name, p.default]), [['postgresql:mini', true], ['postgresql:basic', false], ['postgresql:standard-0', false]])
    const missing = await server.call<{message: string}>('GET', '/addon-services/mysql/plans')
    assert.equal(missing.status, 422)
    assert.match(missing.body.message, /tug's add-on services are postgresql, redis\./)
    const [a, b, c, d] = assignable({actions: []} as unknown as AddOn, {addon: {app: {}}} as AddOnAttachment, services.body[0] as AddOnService, plans.body[0] as AddOnPlan)
    assert.ok(a && b && c.name === 'postgresql' && d.name === 'postgresql:mini')
  })

  it('refuses a bad service or plan with 422 naming the valid ones, and changes nothing', async () => {
    const before = await lastRelease('stocked')
    const cases: Array<[unknown, RegExp]> = [
      ['mysql', /tug's add-on services are postgresql, redis/],
      [{name: 'heroku-postgresql:gigantic'}, /plan "gigantic" of postgresql\. Its plans are postgresql:mini, postgresql:basic, postgresql:standard-0\./],
      ['redis:mini:extra', /services are postgresql, redis/],
      [undefined, /plan is required/],
      [42, /plan is required/],
    ]
    for (const [plan, message] of cases) {
      const response = await server.call<{id: string; message: string}>('POST', '/apps/stocked/addons', {body: {plan}})
      assert.equal(response.status, 422, JSON.stringify(plan))
      assert.equal(response.body.id, 'invalid_params')
      assert.match(response.body.message, message)
    }
    const badAs = await server.call<{message: string}>('POST', '/apps/stocked/addons', {body: {plan: 'postgresql', attachment: {name: '1BAD-NAME'}}})
    assert.equal(badAs.status, 422)
    assert.match(badAs.body.message, /Invalid attachment name "1BAD-NAME"/)
    assert.deepEqual((await server.call('GET', '/apps/stocked/addons')).body, [])
    assert.equal((await lastRelease('stocked')).version, before.version)
  })

  it('creates a postgresql add-on: a database its own role owns, DATABASE_URL in a new release', async () => {
    const response = await server.call<AddOn>('POST', '/apps/stocked/addons', {body: {plan: {name: 'heroku-postgresql'}}})
    assert.equal(response.status, 201, response.text)
    const addon = response.body
    created.push(addon.provider_id)
    assertSchema('add-on', addon)
    assert.match(addon.name, /^postgresql-[a-z]+-\d{5}$/)
    assert.deepEqual([addon.state, addon.plan.name, addon.addon_service.name, addon.config_vars, addon.app.name], ['provisioned', 'postgresql:mini', 'postgresql', ['DATABASE_URL'], 'stocked'])

    const url = (await config('stocked')).DATABASE_URL as string
    assert.match(url, new RegExp(`^postgres://${addon.provider_id}:[0-9a-f]{64}@127\\.0\\.0\\.1:5432/${addon.provider_id}$`))
    assert.equal((await lastRelease('stocked')).description, `Attach DATABASE (@ref:${addon.name})`)

    const [role] = await runSql(ADMIN_PG, [`SELECT rolsuper, rolcreatedb, rolcreaterole, rolconnlimit FROM pg_roles WHERE rolname = '${addon.provider_id}'`])
    assert.deepEqual(role, {rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolconnlimit: 20})
    const [owner] = await runSql(ADMIN_PG, [`SELECT pg_get_userbyid(datdba) AS owner, has_database_privilege('public', datname, 'CONNECT') AS public_connect FROM pg_database WHERE datname = '${addon.provider_id}'`])
    assert.deepEqual(owner, {owner: addon.provider_id, public_connect: false})
    // The app's URL works: a table made and read as the add-on's own role.
    const rows = await runSql(url, ['CREATE TABLE notes (body text)', "INSERT INTO notes VALUES ('kept')", 'SELECT body, current_user AS who FROM notes'])
    assert.deepEqual(rows, [{body: 'kept', who: addon.provider_id}])

    const listed = await server.call<AddOn[]>('GET', '/addons')
    assert.deepEqual(listed.body.map((a) => a.name), [addon.name])
    assert.deepEqual((await server.call<AddOn>('GET', `/apps/stocked/addons/${addon.name}`)).body.id, addon.id)
    assert.deepEqual((await server.call<AddOn>('GET', '/apps/stocked/addons/DATABASE')).body.id, addon.id)
    const attachments = await server.call<AddOnAttachment[]>('GET', '/apps/stocked/addon-attachments')
    assertSchemaList('add-on-attachment', attachments.body)
    assert.deepEqual(attachments.body.map((a) => [a.name, a.addon.name, a.app.name]), [['DATABASE', addon.name, 'stocked']])

    // A second one does not take DATABASE: it gets a name of its own.
    const second = await server.call<AddOn>('POST', '/apps/stocked/addons', {body: {plan: 'postgresql:basic', name: 'second-db'}})
    assert.equal(second.status, 201, second.text)
    created.push(second.body.provider_id)
    assert.equal(second.body.name, 'second-db')
    assert.match(second.body.config_vars[0] as string, /^POSTGRESQL_[A-Z]+_URL$/)
    const taken = await server.call<{message: string}>('POST', '/apps/stocked/addons', {body: {plan: 'postgresql', attachment: {name: 'database'}}})
    assert.equal(taken.status, 422)
    assert.match(taken.body.message, /already has an add-on attached as DATABASE/)
    const [other] = await runSql(ADMIN_PG, [`SELECT rolconnlimit FROM pg_roles WHERE rolname = '${second.body.provider_id}'`])
    assert.deepEqual(other, {rolconnlimit: 40})

    // One add-on's role cannot reach another's database.
    const secondUrl = (await config('stocked'))[second.body.config_vars[0] as string] as string
    const foreign = secondUrl.replace(new RegExp(`/${second.body.provider_id}$`), `/${addon.provider_id}`)
    await assert.rejects(runSql(foreign, ['SELECT 1']), /permission denied for database/)

    const destroyed = await server.call<AddOn>('DELETE', '/apps/stocked/addons/second-db')
    assert.equal(destroyed.status, 200)
    assert.equal(destroyed.body.state, 'deprovisioned')
    assert.deepEqual(await pgExists(second.body.provider_id), {database: false, role: false})
    assert.equal((await config('stocked'))[second.body.config_vars[0] as string], undefined)
  })

  it('attaches an add-on to another app (as NAME) and detaches it, each in a release', async () => {
    const [addon] = (await server.call<AddOn[]>('GET', '/apps/stocked/addons')).body
    assert.ok(addon)
    const attached = await server.call<AddOnAttachment>('POST', '/addon-attachments', {body: {addon: addon.name, app: 'borrower', name: 'shared'}})
    assert.equal(attached.status, 201, attached.text)
    assertSchema('add-on-attachment', attached.body)
    assert.deepEqual([attached.body.name, attached.body.app.name, attached.body.addon.app.name], ['SHARED', 'borrower', 'stocked'])
    assert.equal((await config('borrower')).SHARED_URL, (await config('stocked')).DATABASE_URL)
    assert.equal((await lastRelease('borrower')).description, `Attach SHARED (@ref:${addon.name})`)
    assert.deepEqual((await server.call<AddOn[]>('GET', '/apps/borrower/addons')).body.map((a) => a.name), [addon.name])
    const resolved = await server.call<AddOnAttachment[]>('POST', '/actions/addon-attachments/resolve', {body: {app: 'borrower', addon_attachment: 'SHARED'}})
    assert.deepEqual(resolved.body.map((a) => a.id), [attached.body.id])

    const again = await server.call<{message: string}>('POST', '/addon-attachments', {body: {addon: addon.name, app: 'borrower', name: 'SHARED'}})
    assert.equal(again.status, 422)
    const ownerOnly = await server.call<{message: string}>('DELETE', `/apps/borrower/addons/${addon.name}`)
    assert.equal(ownerOnly.status, 422)
    assert.match(ownerOnly.body.message, /belongs to another app/)

    const detached = await server.call<AddOnAttachment>('DELETE', `/addon-attachments/${attached.body.id}`)
    assert.equal(detached.status, 200)
    assert.equal((await config('borrower')).SHARED_URL, undefined)
    assert.equal((await lastRelease('borrower')).description, `Detach SHARED (@ref:${addon.name})`)
    assert.equal((await server.call('GET', `/addon-attachments/${attached.body.id}`)).status, 404)
  })

  it('creates a Redis add-on: its own redis-server with a password and the plan\'s maxmemory', async () => {
    const response = await server.call<AddOn>('POST', '/apps/stocked/addons', {body: {plan: 'heroku-redis:premium-0'}})
    assert.equal(response.status, 201, response.text)
    assert.deepEqual([response.body.plan.name, response.body.config_vars], ['redis:premium-0', ['REDIS_URL']])
    const url = new URL((await config('stocked')).REDIS_URL as string)
    assert.equal(url.hostname, '127.0.0.1')
    const port = Number(url.port)
    const password = decodeURIComponent(url.password)
    assert.deepEqual(await redisCommands(port, [['PING']]), ['-NOAUTH Authentication required.'])
    assert.deepEqual(await redisCommands(port, [['AUTH', 'wrong']]), ['-WRONGPASS invalid username-password pair or user is disabled.'])
    const replies = await redisCommands(port, [['AUTH', password], ['SET', 'greeting', 'hello'], ['GET', 'greeting'], ['INFO', 'memory']])
    assert.deepEqual(replies.slice(0, 3), ['+OK', '+OK', 'hello'])
    assert.match(replies[3] as string, /maxmemory:52428800\r\n/)
    const dir = join(dataDir, 'addons', 'redis', response.body.id)
    assert.ok(existsSync(join(dir, 'appendonlydir')))

    await server.call('DELETE', `/apps/stocked/addons/${response.body.name}`)
    await assert.rejects(redisCommands(port, [['PING']]), /ECONNREFUSED/)
    assert.equal(existsSync(dir), false)
    assert.equal((await config('stocked')).REDIS_URL, undefined)
  })

  it('destroying an app destroys its add-ons', async () => {
    await server.call('POST', '/apps', {body: {name: 'doomed'}})
    const pg = await server.call<AddOn>('POST', '/apps/doomed/addons', {body: {plan: 'postgresql'}})
    created.push(pg.body.provider_id)
    const redis = await server.call<AddOn>('POST', '/apps/doomed/addons', {body: {plan: 'redis'}})
    const port = Number(new URL((await config('doomed')).REDIS_URL as string).port)
    assert.equal((await server.call('DELETE', '/apps/doomed')).status, 200)
    assert.deepEqual(await pgExists(pg.body.provider_id), {database: false, role: false})
    await assert.rejects(redisCommands(port, [['PING']]), /ECONNREFUSED/)
    assert.equal(existsSync(join(dataDir, 'addons', 'redis', redis.body.id)), false)
    assert.equal((await server.call('GET', `/addons/${pg.body.id}`)).status, 404)
  })
})

describe('API: add-ons across restarts of the control plane', function () {
  this.timeout(90_000)
  let dataDir: string
  let server: TestApiServer | undefined

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tug-addons-restart-'))
  })

  after(async () => {
    await server?.close()
    rmSync(dataDir, {recursive: true, force: true})
  })

  const start = async () => {
    server = await startApiServer({dataDir, addons: {postgresUrl: ADMIN_PG}})
    return server
  }
  const stop = async () => {
    await server?.close()
    server = undefined
  }

  it('a Redis add-on keeps its port, password and keys', async () => {
    const first = await start()
    await first.call('POST', '/apps', {body: {name: 'keeper'}})
    const addon = await first.call<AddOn>('POST', '/apps/keeper/addons', {body: {plan: 'redis'}})
    assert.equal(addon.status, 201, addon.text)
    const url = new URL((await first.call<ConfigVars>('GET', '/apps/keeper/config-vars')).body.REDIS_URL as string)
    const auth = ['AUTH', decodeURIComponent(url.password)]
    assert.deepEqual(await redisCommands(Number(url.port), [auth, ['SET', 'survivor', 'yes']]), ['+OK', '+OK'])
    await stop()
    await assert.rejects(redisCommands(Number(url.port), [['PING']]), /ECONNREFUSED/)
    const second = await start()
    assert.deepEqual(await redisCommands(Number(url.port), [auth, ['GET', 'survivor']]), ['+OK', 'yes'])
    await second.call('DELETE', `/apps/keeper/addons/${addon.body.id}`)
  })

  it('a start rolls back an add-on left provisioning and finishes one left deprovisioning', async () => {
    const first = server ?? (await start())
    await first.call('POST', '/apps', {body: {name: 'crashy'}})
    const half = await first.call<AddOn>('POST', '/apps/crashy/addons', {body: {plan: 'postgresql', name: 'half-made'}})
    const going = await first.call<AddOn>('POST', '/apps/crashy/addons', {body: {plan: 'postgresql', name: 'half-gone', attachment: {name: 'OTHER'}}})
    assert.equal(going.status, 201, going.text)
    await stop()
    // As a crash would leave them: one between its record and its resource, one between its detach and its drop.
    const store = new Store({path: join(dataDir, 'tug.db')})
    store.addons.setState(half.body.id, 'provisioning')
    store.addons.setState(going.body.id, 'deprovisioning')
    store.close()
    assert.deepEqual(await pgExists(half.body.provider_id), {database: true, role: true})
    const second = await start()
    assert.deepEqual(await pgExists(half.body.provider_id), {database: false, role: false})
    assert.deepEqual(await pgExists(going.body.provider_id), {database: false, role: false})
    assert.deepEqual((await second.call('GET', '/apps/crashy/addons')).body, [])
  })
})
