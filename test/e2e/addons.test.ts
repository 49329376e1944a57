// Add-ons end to end: the real tug binary, a real control plane, the machine's PostgreSQL
// (127.0.0.1:5432, named with --addons-postgres-url) and redis-servers the control plane runs;
// dynos reach them with psql and redis-cli from inside their sandbox.
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {AddOn, ConfigVars} from '../../src/shared/api-types.js'
import {runSql} from '../../src/server/addons/postgres.js'
import {redisCommands} from '../../src/server/addons/resp.js'
import {Store} from '../../src/server/store/index.js'
import {startControlPlane, type ControlPlane} from '../helpers/control-plane.js'
import {waitFor} from '../helpers/wait-for.js'

const ADMIN_PG = 'postgres://postgres@127.0.0.1:5432/postgres'
const ACCEPT = 'application/vnd.heroku+json; version=3'

describe('e2e: add-ons on the machine\'s PostgreSQL and Redis', function () {
  this.timeout(240_000)
  let root: string
  let dataDir: string
  let home: string
  let code: string
  let plane: ControlPlane | undefined
  const providerIds: string[] = []

  const start = async () => {
    plane = await startControlPlane({dataDir, home, args: ['--addons-postgres-url', ADMIN_PG, '--router-port', '0', '--rendezvous-port', '0']})
    return plane
  }
  const restart = async (signal: NodeJS.Signals = 'SIGTERM') => {
    await plane?.kill(signal)
    plane = undefined
    return start()
  }
  const tug = async (args: string[], timeoutMs = 90_000) => {
    const result = await (plane as ControlPlane).run(args, {timeoutMs})
    assert.equal(result.code, 0, `tug ${args.join(' ')}: ${result.stderr}`)
    return result
  }
  const api = async <T>(path: string): Promise<T> => {
    const current = plane as ControlPlane
    const response = await fetch(current.url + path, {headers: {Accept: ACCEPT, Authorization: `Bearer ${current.token}`}})
    return (await response.json()) as T
  }
  const pgHas = async (name: string) => ({
    database: (await runSql(ADMIN_PG, [`SELECT 1 FROM pg_database WHERE datname = '${name}'`])).length === 1,
    role: (await runSql(ADMIN_PG, [`SELECT 1 FROM pg_roles WHERE rolname = '${name}'`])).length === 1,
  })

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'tug-e2e-addons-'))
    dataDir = join(root, 'data')
    home = join(root, 'home')
    code = join(root, 'code')
    for (const dir of [dataDir, home, code]) mkdirSync(dir, {recursive: true})
    writeFileSync(join(code, 'Procfile'), 'worker: sleep 100000\n')
    await start()
  })

  after(async () => {
    await plane?.close()
    rmSync(root, {recursive: true, force: true})
    for (const id of providerIds) await runSql(ADMIN_PG, [`DROP DATABASE IF EXISTS "${id}" WITH (FORCE)`, `DROP ROLE IF EXISTS "${id}"`])
  })

  it('a row written from a dyno with psql "$DATABASE_URL" survives a deploy, a rollback and a restart; destroy drops it all', async () => {
    await tug(['apps:create', 'ledger', '--no-remote'])
    await tug(['deploy', code, '-a', 'ledger'])
    const created = await tug(['addons:create', 'heroku-postgresql', '-a', 'ledger'])
    assert.match(created.stdout, /^Created postgresql-[a-z]+-\d{5} as DATABASE_URL$/m)
    const [addon] = await api<AddOn[]>('/apps/ledger/addons')
    assert.ok(addon)
    providerIds.push(addon.provider_id)

    await tug(['run', '-a', 'ledger', '--', `psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -c "CREATE TABLE notes (body text)" -c "INSERT INTO notes VALUES ('written by a dyno')"`])
    const read = async () => (await tug(['run', '-a', 'ledger', '--', 'psql "$DATABASE_URL" -tAc "SELECT body FROM notes"'])).stdout.trim()
    assert.equal(await read(), 'written by a dyno')

    await tug(['deploy', code, '-a', 'ledger'])
    assert.equal(await read(), 'written by a dyno', 'after a deploy')
    await tug(['releases:rollback', '-a', 'ledger'])
    assert.equal(await read(), 'written by a dyno', 'after a rollback')
    await restart()
    assert.equal(await read(), 'written by a dyno', 'after a restart of the control plane')

    // Another app's add-on role reaches its own database only.
    await tug(['apps:create', 'snoop', '--no-remote'])
    await tug(['addons:create', 'postgresql', '-a', 'snoop'])
    const [other] = await api<AddOn[]>('/apps/snoop/addons')
    assert.ok(other)
    providerIds.push(other.provider_id)
    const snoopUrl = new URL((await api<ConfigVars>('/apps/snoop/config-vars')).DATABASE_URL as string)
    snoopUrl.pathname = `/${addon.provider_id}`
    await assert.rejects(runSql(snoopUrl.toString(), ['SELECT body FROM notes']), /permission denied for database/)

    const refused = await (plane as ControlPlane).run(['addons:destroy', addon.name])
    assert.equal(refused.code, 2)
    assert.deepEqual(await pgHas(addon.provider_id), {database: true, role: true})
    await tug(['addons:destroy', addon.name, '--confirm', 'ledger'])
    assert.deepEqual(await pgHas(addon.provider_id), {database: false, role: false})
    assert.equal((await api<ConfigVars>('/apps/ledger/config-vars')).DATABASE_URL, undefined)

    // Destroying an app destroys its add-ons.
    await tug(['apps:destroy', 'snoop', '--confirm', 'snoop'])
    assert.deepEqual(await pgHas(other.provider_id), {database: false, role: false})
  })

  it('a Redis add-on takes SET and GET from a dyno, enforces its password, and keeps the key across a restart', async () => {
    await tug(['apps:create', 'cachey', '--no-remote'])
    await tug(['deploy', code, '-a', 'cachey'])
    await tug(['addons:create', 'redis', '--as', 'CACHE', '-a', 'cachey'])
    const url = new URL((await api<ConfigVars>('/apps/cachey/config-vars')).CACHE_URL as string)
    const set = await tug(['run', '-a', 'cachey', '--', 'redis-cli --no-auth-warning -u "$CACHE_URL" SET visits 41 && redis-cli --no-auth-warning -u "$CACHE_URL" INCR visits'])
    assert.deepEqual(set.stdout.trim().split(/\r?\n/), ['OK', '42'])
    const noPassword = await tug(['run', '-a', 'cachey', '--', `redis-cli -h 127.0.0.1 -p ${url.port} GET visits`])
    assert.match(noPassword.stdout, /NOAUTH Authentication required/)

    await restart()
    const get = await tug(['run', '-a', 'cachey', '--', 'redis-cli --no-auth-warning -u "$CACHE_URL" GET visits'])
    assert.equal(get.stdout.trim(), '42')
    const [addon] = await api<AddOn[]>('/apps/cachey/addons')
    await tug(['addons:destroy', (addon as AddOn).name, '--confirm', 'cachey'])
    await assert.rejects(redisCommands(Number(url.port), [['PING']]), /ECONNREFUSED/)
  })

  it('a kill -9 of the control plane during addons:create is followed by a start that leaves a consistent state', async () => {
    await tug(['apps:create', 'crashing', '--no-remote'])
    const creating = (plane as ControlPlane).run(['addons:create', 'postgresql', '-a', 'crashing'], {timeoutMs: 60_000})
    // The moment its record is written 'provisioning', before the database is made (or just after).
    const reader = () => new Store({path: join(dataDir, 'tug.db')})
    const caught = await waitFor(
      () => {
        const store = reader()
        try {
          return store.addons.all().find((a) => a.state === 'provisioning' || a.state === 'provisioned')
        } finally {
          store.close()
        }
      },
      {timeoutMs: 30_000, what: 'the add-on record'},
    )
    await plane?.kill('SIGKILL')
    plane = undefined
    await creating
    providerIds.push(caught.provider_id)
    await start()
    const store = reader()
    const left = store.addons.all().filter((a) => a.id === caught.id)
    store.close()
    const exists = await pgHas(caught.provider_id)
    // Either it was finished before the kill (a record and its database) or rolled back (neither).
    if (left.length === 0) {
      assert.deepEqual(exists, {database: false, role: false})
    } else {
      assert.equal(left[0]?.state, 'provisioned')
      assert.deepEqual(exists, {database: true, role: true})
      await tug(['addons:destroy', caught.name, '--confirm', 'crashing'])
    }
  })
})
