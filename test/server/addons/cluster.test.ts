// The PostgreSQL cluster a control plane runs itself when no server is named: made with initdb in
// the data directory on first use, run as the postgres user, kept across restarts, stopped with
// the control plane, and locked down (password auth, no connection to the maintenance databases).
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'mocha'
import type {AddOn, ConfigVars} from '../../../src/shared/api-types.js'
import {findPostgresBinaries} from '../../../src/server/addons/postgres-cluster.js'
import {runSql} from '../../../src/server/addons/postgres.js'
import {startApiServer, type TestApiServer} from '../../helpers/api-server.js'
import {waitFor} from '../../helpers/wait-for.js'

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('add-ons: the PostgreSQL cluster the control plane runs', function () {
  this.timeout(120_000)
  let dataDir: string
  let server: TestApiServer | undefined

  before(function () {
    if (!findPostgresBinaries()) throw new Error("PostgreSQL's binaries are not installed (apt-get install postgresql): this test needs them")
    dataDir = mkdtempSync(join(tmpdir(), 'tug-addons-cluster-'))
  })

  after(async () => {
    await server?.close()
    rmSync(dataDir, {recursive: true, force: true})
  })

  const clusterDir = () => join(dataDir, 'addons', 'postgres')
  const postmasterPid = () => Number(readFileSync(join(clusterDir(), 'data', 'postmaster.pid'), 'utf8').split('\n')[0])

  it('is made on first use, serves add-ons with password auth, and keeps their data across restarts', async () => {
    server = await startApiServer({dataDir})
    // Nothing runs until a database is wanted.
    assert.equal(existsSync(clusterDir()), false)
    await server.call('POST', '/apps', {body: {name: 'selfhosted'}})
    await server.call('POST', '/apps', {body: {name: 'neighbour'}})
    const addon = await server.call<AddOn>('POST', '/apps/selfhosted/addons', {body: {plan: 'postgresql'}})
    assert.equal(addon.status, 201, addon.text)
    const neighbour = await server.call<AddOn>('POST', '/apps/neighbour/addons', {body: {plan: 'postgresql'}})
    assert.equal(neighbour.status, 201, neighbour.text)
    const url = (await server.call<ConfigVars>('GET', '/apps/selfhosted/config-vars')).body.DATABASE_URL as string
    const other = (await server.call<ConfigVars>('GET', '/apps/neighbour/config-vars')).body.DATABASE_URL as string
    const parsed = new URL(url)
    assert.equal(parsed.hostname, '127.0.0.1')
    assert.notEqual(parsed.port, '5432')

    assert.deepEqual(await runSql(url, ['CREATE TABLE t (v int)', 'INSERT INTO t VALUES (7)', 'SELECT v FROM t']), [{v: 7}])
    // Password auth: a wrong one is refused; a neighbour's role reaches neither this database nor the maintenance one.
    const wrong = new URL(url)
    wrong.password = 'not-the-password'
    await assert.rejects(runSql(wrong.toString(), ['SELECT 1']), /password authentication failed/)
    const foreign = new URL(other)
    foreign.pathname = `/${addon.body.provider_id}`
    await assert.rejects(runSql(foreign.toString(), ['SELECT 1']), /permission denied for database/)
    foreign.pathname = '/postgres'
    await assert.rejects(runSql(foreign.toString(), ['SELECT 1']), /permission denied for database/)

    // The server runs as the postgres user, not as root.
    const pid = postmasterPid()
    const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1])
    assert.notEqual(uid, 0)

    await server.close()
    server = undefined
    await waitFor(() => !alive(pid), {timeoutMs: 20_000, what: 'the cluster to stop with the control plane'})

    server = await startApiServer({dataDir})
    assert.deepEqual(await runSql(url, ['SELECT v FROM t']), [{v: 7}])
    await server.call('DELETE', `/apps/selfhosted/addons/${addon.body.id}`)
    await server.call('DELETE', `/apps/neighbour/addons/${neighbour.body.id}`)
    await assert.rejects(runSql(url, ['SELECT 1']), /password authentication failed|does not exist/)
  })

  it('is restarted when it dies', async () => {
    server ??= await startApiServer({dataDir})
    await server.call('POST', '/apps', {body: {name: 'phoenix'}})
    const addon = await server.call<AddOn>('POST', '/apps/phoenix/addons', {body: {plan: 'postgresql'}})
    assert.equal(addon.status, 201, addon.text)
    const url = (await server.call<ConfigVars>('GET', '/apps/phoenix/config-vars')).body.DATABASE_URL as string
    const pid = postmasterPid()
    process.kill(pid, 'SIGKILL')
    await waitFor(async () => (await runSql(url, ['SELECT 1 AS one']).catch(() => [])).length === 1, {timeoutMs: 60_000, what: 'the cluster to answer again'})
    assert.notEqual(postmasterPid(), pid)
    await server.call('DELETE', `/apps/phoenix/addons/${addon.body.id}`)
  })
})
