// pg:backups' routes on a real control plane and the machine's PostgreSQL: pg_dump and
// pg_restore run for real, with the add-on's own role; the dumps are files in the data directory.
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'mocha'
import type {AddOn, ConfigVars} from '../../../src/shared/api-types.js'
import type {PgBackup, PgBackupUrl, PgInfo, PgRestore} from '../../../src/shared/pg-types.js'
import {BackupService} from '../../../src/server/addons/backups.js'
import {runSql} from '../../../src/server/addons/postgres.js'
import {startApiServer, type TestApiServer} from '../../helpers/api-server.js'
import {waitFor} from '../../helpers/wait-for.js'

const ADMIN_PG = 'postgres://postgres@127.0.0.1:5432/postgres'

describe('API: PostgreSQL add-on backups and pg:info', function () {
  this.timeout(120_000)
  let server: TestApiServer
  let dataDir: string
  let main: AddOn
  let other: AddOn
  let url: string
  let otherUrl: string
  const providerIds: string[] = []

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tug-backups-api-'))
    server = await startApiServer({dataDir, addons: {postgresUrl: ADMIN_PG}})
    await server.call('POST', '/apps', {body: {name: 'vault'}})
    main = (await server.call<AddOn>('POST', '/apps/vault/addons', {body: {plan: 'postgresql'}})).body
    other = (await server.call<AddOn>('POST', '/apps/vault/addons', {body: {plan: 'postgresql', attachment: {name: 'SPARE'}}})).body
    providerIds.push(main.provider_id, other.provider_id)
    const config = (await server.call<ConfigVars>('GET', '/apps/vault/config-vars')).body
    url = config.DATABASE_URL as string
    otherUrl = config.SPARE_URL as string
    await runSql(url, ['CREATE TABLE notes (body text)', "INSERT INTO notes VALUES ('first'), ('second')"])
  })

  after(async () => {
    await server.call('DELETE', '/apps/vault', {unchecked: true})
    await server.close()
    rmSync(dataDir, {recursive: true, force: true})
    for (const id of providerIds) await runSql(ADMIN_PG, [`DROP DATABASE IF EXISTS "${id}" WITH (FORCE)`, `DROP ROLE IF EXISTS "${id}"`])
  })

  const finished = <T extends PgBackup | PgRestore>(path: string) =>
    waitFor(async () => {
      const transfer = (await server.call<T>('GET', path)).body
      return transfer.status === 'running' ? undefined : transfer
    }, {what: `${path} to finish`, timeoutMs: 60_000, intervalMs: 100})
  const notes = async (from: string) => (await runSql(from, ['SELECT body FROM notes ORDER BY body'])).map((r) => r.body)

  it('captures b001 with pg_dump into the data directory, and restores it over a deleted row', async () => {
    const started = await server.call<PgBackup>('POST', '/apps/vault/addons/DATABASE/backups')
    assert.equal(started.status, 202)
    assert.deepEqual([started.body.name, started.body.num, started.body.addon.name], ['b001', 1, main.name])
    const done = await finished<PgBackup>('/apps/vault/addons/DATABASE/backups/b001')
    assert.equal(done.status, 'succeeded', done.error ?? '')
    const file = join(dataDir, 'addons', 'backups', main.id, 'b001.dump')
    assert.equal(readFileSync(file).subarray(0, 5).toString(), 'PGDMP')
    assert.equal(done.size_bytes, readFileSync(file).length)

    await runSql(url, ["DELETE FROM notes WHERE body = 'first'"])
    const restore = await server.call<PgRestore>('POST', `/apps/vault/addons/${main.name}/backups/b001/restore`)
    assert.equal(restore.status, 202)
    assert.deepEqual([restore.body.name, restore.body.backup.name, restore.body.addon.id], ['r001', 'b001', main.id])
    const restored = await finished<PgRestore>('/apps/vault/addons/DATABASE/restores/r001')
    assert.equal(restored.status, 'succeeded', restored.error ?? '')
    assert.deepEqual(await notes(url), ['first', 'second'])
    const list = (await server.call<PgBackup[]>('GET', '/apps/vault/addons/DATABASE/backups')).body
    assert.deepEqual(list.map((b) => [b.name, b.status]), [['b001', 'succeeded']])
  })

  it("restores into another add-on, its tables then owned by that add-on's role", async () => {
    const restore = await server.call<PgRestore>('POST', '/apps/vault/addons/DATABASE/backups/b001/restore', {body: {addon: 'SPARE'}})
    assert.equal(restore.status, 202)
    const done = await finished<PgRestore>('/apps/vault/addons/SPARE/restores/r001')
    assert.equal(done.status, 'succeeded', done.error ?? '')
    assert.deepEqual(await notes(otherUrl), ['first', 'second'])
    const [owner] = await runSql(otherUrl, ["SELECT tableowner FROM pg_tables WHERE tablename = 'notes'"])
    assert.equal(owner?.tableowner, other.provider_id)
  })

  it('hands out a download URL that needs no credentials, and refuses a wrong token', async () => {
    const link = await server.call<PgBackupUrl>('POST', '/apps/vault/addons/DATABASE/backups/b001/download-url')
    assert.equal(link.status, 201)
    assert.ok(link.body.url.startsWith(`${server.url}/addon-backups/`), link.body.url)
    const response = await fetch(link.body.url)
    assert.equal(response.status, 200)
    const bytes = Buffer.from(await response.arrayBuffer())
    assert.ok(bytes.equals(readFileSync(join(dataDir, 'addons', 'backups', main.id, 'b001.dump'))))
    assert.equal((await fetch(`${server.url}/addon-backups/${'x'.repeat(43)}`)).status, 404)
  })

  it('refuses a second transfer while one runs, unknown backups, and backups of a Redis add-on', async () => {
    const [first, second] = await Promise.all([
      server.call<PgBackup>('POST', '/apps/vault/addons/DATABASE/backups'),
      server.call<{id: string; message: string}>('POST', '/apps/vault/addons/DATABASE/backups'),
    ])
    assert.equal(first.status, 202)
    assert.equal(first.body.name, 'b002')
    assert.equal(second.status, 409)
    assert.match(second.body.message, /b002 is running on postgresql-/)
    assert.equal((await finished<PgBackup>('/apps/vault/addons/DATABASE/backups/b002')).status, 'succeeded')
    const missing = await server.call<{message: string}>('GET', '/apps/vault/addons/DATABASE/backups/b099')
    assert.equal(missing.status, 404)
    assert.match(missing.body.message, /Couldn't find the backup b099/)
    const redis = (await server.call<AddOn>('POST', '/apps/vault/addons', {body: {plan: 'redis'}})).body
    const refused = await server.call<{message: string}>('POST', `/apps/vault/addons/${redis.name}/backups`)
    assert.equal(refused.status, 422)
    assert.match(refused.body.message, /is a redis add-on: backups and pg:info are for PostgreSQL add-ons/)
    await server.call('DELETE', `/apps/vault/addons/${redis.id}`)
  })

  it('deletes a backup and never reuses its number', async () => {
    const deleted = await server.call<PgBackup>('DELETE', '/apps/vault/addons/DATABASE/backups/b002')
    assert.equal(deleted.body.name, 'b002')
    assert.equal(existsSync(join(dataDir, 'addons', 'backups', main.id, 'b002.dump')), false)
    const next = await server.call<PgBackup>('POST', '/apps/vault/addons/DATABASE/backups')
    assert.equal(next.body.name, 'b003')
    await finished<PgBackup>('/apps/vault/addons/DATABASE/backups/b003')
    assert.deepEqual((await server.call<PgBackup[]>('GET', '/apps/vault/addons/DATABASE/backups')).body.map((b) => b.name), ['b001', 'b003'])
  })

  it('answers pg:info with the plan, connections, size, tables and version', async () => {
    const info = (await server.call<PgInfo>('GET', '/apps/vault/addons/DATABASE/database-info')).body
    assert.equal(info.status, 'Available')
    assert.equal(info.addon.plan, 'postgresql:mini')
    assert.equal(info.connections.limit, 20)
    assert.equal(typeof info.connections.used, 'number')
    assert.equal(info.tables, 1)
    assert.match(info.pg_version ?? '', /^\d+/)
    assert.ok((info.data_size_bytes ?? 0) > 1_000_000)
  })

  it("removes an add-on's backups when it is destroyed", async () => {
    await server.call('POST', '/apps/vault/addons/SPARE/backups')
    await finished<PgBackup>('/apps/vault/addons/SPARE/backups/b001')
    const dir = join(dataDir, 'addons', 'backups', other.id)
    assert.equal(existsSync(join(dir, 'b001.dump')), true)
    await server.call('DELETE', `/apps/vault/addons/${other.id}`)
    assert.equal(existsSync(dir), false)
  })
})

describe('BackupService at start', () => {
  it("marks a transfer a crash left running failed, drops its partial dump, and drops a gone add-on's backups", () => {
    const dir = mkdtempSync(join(tmpdir(), 'tug-backups-start-'))
    try {
      mkdirSync(join(dir, 'live'))
      mkdirSync(join(dir, 'gone'))
      const running = {id: 'x', num: 1, name: 'b001', addon: {id: 'live', name: 'pg'}, status: 'running', started_at: '2026-01-01T00:00:00Z', finished_at: null, size_bytes: null, error: null}
      writeFileSync(join(dir, 'live', 'b001.json'), JSON.stringify(running))
      writeFileSync(join(dir, 'live', 'b001.dump'), 'PGDMP partial')
      const warnings: string[] = []
      new BackupService({dir, warn: (m) => warnings.push(m)}).start(new Set(['live']))
      const after = JSON.parse(readFileSync(join(dir, 'live', 'b001.json'), 'utf8')) as PgBackup
      assert.equal(after.status, 'failed')
      assert.equal(after.error, 'The control plane stopped while it ran.')
      assert.equal(existsSync(join(dir, 'live', 'b001.dump')), false)
      assert.equal(existsSync(join(dir, 'gone')), false)
      assert.equal(warnings.length, 1)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('API: backups on the cluster the control plane runs itself', function () {
  this.timeout(180_000)

  it('captures and restores with the add-on role on the embedded cluster (no --addons-postgres-url)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tug-backups-embedded-'))
    const server = await startApiServer({dataDir})
    try {
      await server.call('POST', '/apps', {body: {name: 'nested'}})
      const made = await server.call<AddOn>('POST', '/apps/nested/addons', {body: {plan: 'postgresql'}})
      assert.equal(made.status, 201, JSON.stringify(made.body))
      const url = (await server.call<ConfigVars>('GET', '/apps/nested/config-vars')).body.DATABASE_URL as string
      await runSql(url, ['CREATE TABLE t (n int)', 'INSERT INTO t VALUES (1), (2)'])
      await server.call('POST', '/apps/nested/addons/DATABASE/backups')
      const finished = (path: string) =>
        waitFor(async () => {
          const t = (await server.call<PgBackup>('GET', path)).body
          return t.status === 'running' ? undefined : t
        }, {what: path, timeoutMs: 60_000, intervalMs: 100})
      assert.equal((await finished('/apps/nested/addons/DATABASE/backups/b001')).status, 'succeeded')
      await runSql(url, ['DELETE FROM t'])
      await server.call('POST', '/apps/nested/addons/DATABASE/backups/b001/restore')
      assert.equal((await finished('/apps/nested/addons/DATABASE/restores/r001')).status, 'succeeded')
      assert.deepEqual((await runSql(url, ['SELECT n FROM t ORDER BY n'])).map((r) => r.n), [1, 2])
      await server.call('DELETE', '/apps/nested')
    } finally {
      await server.close()
      rmSync(dataDir, {recursive: true, force: true})
    }
  })
})
