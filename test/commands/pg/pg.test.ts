import assert from 'node:assert/strict'
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import nock from 'nock'

import PgBackups from '../../../src/commands/pg/backups/index.js'
import PgBackupsCapture from '../../../src/commands/pg/backups/capture.js'
import PgBackupsDelete from '../../../src/commands/pg/backups/delete.js'
import PgBackupsDownload from '../../../src/commands/pg/backups/download.js'
import PgBackupsRestore from '../../../src/commands/pg/backups/restore.js'
import PgInfoCommand from '../../../src/commands/pg/info.js'
import PgPsql from '../../../src/commands/pg/psql.js'
import type {PgBackup, PgInfo, PgRestore} from '../../../src/shared/pg-types.js'
import {API, runCommand, useNock} from '../../helpers/capture.js'
import {addon, attachment} from './fixtures.js'

const PG = {id: 'a0000000-0000-0000-0000-000000000001', name: 'postgresql-curved-12345'}
const REDIS = {id: 'a0000000-0000-0000-0000-000000000002', name: 'redis-shiny-54321'}

const backup = (overrides: Partial<PgBackup> = {}): PgBackup => ({
  id: 'c1', num: 1, name: 'b001', addon: PG, status: 'succeeded', started_at: '2026-11-27T11:16:00Z', finished_at: '2026-11-27T11:16:02Z', size_bytes: 2048, error: null, ...overrides,
})
const restore = (overrides: Partial<PgRestore> = {}): PgRestore => ({
  id: 'r1', num: 1, name: 'r001', addon: PG, backup: {name: 'b001', addon: PG}, status: 'succeeded', started_at: '2026-11-27T11:17:00Z', finished_at: '2026-11-27T11:17:01Z', error: null, ...overrides,
})

/** The app has a PostgreSQL add-on attached as DATABASE and a Redis one as REDIS. */
function attachedAddons(): void {
  nock(API).get('/apps/shop/addons').reply(200, [addon(PG, 'postgresql'), addon(REDIS, 'redis')])
  nock(API).get('/apps/shop/addon-attachments').reply(200, [attachment(PG, 'DATABASE'), attachment(REDIS, 'REDIS')])
}

describe('pg commands', () => {
  useNock()

  describe('pg:backups', () => {
    it("lists the backups and restores of the app's PostgreSQL databases", async () => {
      attachedAddons()
      nock(API).get(`/apps/shop/addons/${PG.id}/backups`).reply(200, [backup(), backup({id: 'c2', num: 2, name: 'b002', status: 'failed', size_bytes: null, error: 'pg_dump failed'})])
      nock(API).get(`/apps/shop/addons/${PG.id}/restores`).reply(200, [restore()])
      const result = await runCommand(PgBackups, ['-a', 'shop'])
      assert.equal(result.stdout, [
        '=== Backups',
        'ID    Created at            Status                          Size    Database',
        'b001  2026-11-27T11:16:00Z  Completed 2026-11-27T11:16:02Z  2.0 KB  DATABASE',
        'b002  2026-11-27T11:16:00Z  Failed 2026-11-27T11:16:02Z             DATABASE',
        '',
        '=== Restores',
        'ID    Started at            Status                          From                           Database',
        'r001  2026-11-27T11:17:00Z  Completed 2026-11-27T11:17:01Z  postgresql-curved-12345::b001  DATABASE',
        '',
      ].join('\n'))
    })
  })

  describe('pg:backups:capture', () => {
    it('starts a backup of DATABASE and waits until it is done', async () => {
      nock(API).post('/apps/shop/addons/DATABASE/backups').reply(202, backup({status: 'running', finished_at: null, size_bytes: null}))
      nock(API).get(`/apps/shop/addons/${PG.id}/backups/b001`).reply(200, backup({status: 'running', finished_at: null, size_bytes: null}))
      nock(API).get(`/apps/shop/addons/${PG.id}/backups/b001`).reply(200, backup())
      const result = await runCommand(PgBackupsCapture, ['-a', 'shop'])
      assert.equal(result.stderr, 'Starting backup of DATABASE... done, b001\nBacking up DATABASE to b001... done\n')
      assert.equal(result.code, 0)
      assert.ok(result.slept > 0)
    })

    it('takes DATABASE_URL or another attachment, and fails with the reason when the backup fails', async () => {
      nock(API).post('/apps/shop/addons/REPORTS/backups').reply(202, backup({status: 'running'}))
      nock(API).get(`/apps/shop/addons/${PG.id}/backups/b001`).reply(200, backup({status: 'failed', error: 'pg_dump failed: no space left'}))
      const result = await runCommand(PgBackupsCapture, ['REPORTS_URL', '-a', 'shop'])
      assert.equal(result.code, 1)
      assert.match(result.stderr, /Error: The backup b001 failed: pg_dump failed: no space left/)
    })
  })

  describe('pg:backups:restore', () => {
    it('refuses without --confirm off a terminal, and with the wrong app, asking nothing of the API', async () => {
      const none = await runCommand(PgBackupsRestore, ['b001', '-a', 'shop'])
      assert.equal(none.code, 2)
      assert.match(none.stderr, /Refusing to replace the data of DATABASE on shop with b001 without confirmation\.[\s\S]*--confirm shop/)
      const wrong = await runCommand(PgBackupsRestore, ['b001', '-a', 'shop', '--confirm', 'other'])
      assert.equal(wrong.code, 2)
      assert.match(wrong.stderr, /Confirmation "other" did not match shop\. Nothing was done\./)
    })

    it("restores the latest successful backup by default, and another add-on's into a named database", async () => {
      nock(API).get('/apps/shop/addons/DATABASE/backups').reply(200, [backup(), backup({num: 2, name: 'b002', status: 'failed'})])
      nock(API).post(`/apps/shop/addons/${PG.id}/backups/b001/restore`, {addon: 'DATABASE'}).reply(202, restore({status: 'running'}))
      nock(API).get(`/apps/shop/addons/${PG.id}/restores/r001`).reply(200, restore())
      const latest = await runCommand(PgBackupsRestore, ['-a', 'shop', '--confirm', 'shop'])
      assert.equal(latest.stderr, `Starting restore of b001 to DATABASE... done\nRestoring b001 into ${PG.name}... done\n`)

      nock(API).post('/apps/shop/addons/OLD/backups/b003/restore', {addon: 'SPARE'}).reply(202, restore({status: 'running', addon: REDIS}))
      nock(API).get(`/apps/shop/addons/${REDIS.id}/restores/r001`).reply(200, restore({status: 'failed', error: 'pg_restore failed: boom'}))
      const failed = await runCommand(PgBackupsRestore, ['OLD_URL::b003', 'SPARE', '-a', 'shop', '--confirm', 'shop'])
      assert.equal(failed.code, 1)
      assert.match(failed.stderr, /The restore r001 failed, and left the database as it was: pg_restore failed: boom/)
    })
  })

  describe('pg:backups:delete and download', () => {
    let dir: string
    before(() => (dir = mkdtempSync(join(tmpdir(), 'tug-pg-download-'))))
    after(() => rmSync(dir, {recursive: true, force: true}))

    it('deletes a backup with --confirm', async () => {
      nock(API).delete('/apps/shop/addons/DATABASE/backups/b002').reply(200, backup({name: 'b002'}))
      const result = await runCommand(PgBackupsDelete, ['b002', '-a', 'shop', '--confirm', 'shop'])
      assert.equal(result.stderr, 'Deleting backup b002 of DATABASE on shop... done\n')
    })

    it("downloads the latest backup through its capability URL into latest.dump, or -o's file", async () => {
      nock(API).get('/apps/shop/addons/DATABASE/backups').reply(200, [backup()])
      nock(API).post(`/apps/shop/addons/${PG.id}/backups/b001/download-url`).reply(201, {url: 'http://files.test/addon-backups/tok', expires_at: '2026-11-27T11:30:00Z'})
      nock('http://files.test').get('/addon-backups/tok').reply(200, 'PGDMP and the rest')
      const result = await runCommand(PgBackupsDownload, ['-a', 'shop'], {cwd: dir})
      assert.equal(result.code, 0, result.stderr)
      assert.equal(readFileSync(join(dir, 'latest.dump'), 'utf8'), 'PGDMP and the rest')
      assert.equal(result.stderr, `Downloading b001 to ${join(dir, 'latest.dump')}... done, 18 B\n`)

      nock(API).post('/apps/shop/addons/DATABASE/backups/b004/download-url').reply(201, {url: 'http://files.test/addon-backups/gone', expires_at: '2026-11-27T11:30:00Z'})
      nock('http://files.test').get('/addon-backups/gone').reply(404, {id: 'not_found', message: 'expired'})
      const gone = await runCommand(PgBackupsDownload, ['b004', '-o', 'x.dump', '-a', 'shop'], {cwd: dir})
      assert.equal(gone.code, 1)
      assert.match(gone.stderr, /The download of the backup failed: the control plane answered 404/)
    })
  })

  describe('pg:info', () => {
    it('shows each PostgreSQL database of the app', async () => {
      attachedAddons()
      const info: PgInfo = {addon: {...PG, plan: 'postgresql:mini', created_at: '2026-11-27T11:15:29Z'}, status: 'Available', pg_version: '15.8', connections: {used: 2, limit: 20}, data_size_bytes: 7_700_000, tables: 3}
      nock(API).get(`/apps/shop/addons/${PG.id}/database-info`).reply(200, info)
      const result = await runCommand(PgInfoCommand, ['-a', 'shop'])
      assert.equal(result.stdout, [
        '=== DATABASE_URL',
        'Plan:        mini',
        'Status:      Available',
        'Connections: 2/20',
        'PG Version:  15.8',
        'Created:     2026-11-27T11:15:29Z',
        'Data Size:   7.3 MB',
        'Tables:      3',
        `Add-on:      ${PG.name}`,
        '',
      ].join('\n'))
    })

    it('says which databases there are when the one asked for is not', async () => {
      attachedAddons()
      const result = await runCommand(PgInfoCommand, ['HEROKU_POSTGRESQL_RED', '-a', 'shop'])
      assert.equal(result.code, 2)
      assert.match(result.stderr, /shop has no PostgreSQL add-on called HEROKU_POSTGRESQL_RED\.[\s\S]*DATABASE \(postgresql-curved-12345\)/)
    })
  })

  describe('pg:psql', () => {
    let bin: string
    before(() => {
      bin = mkdtempSync(join(tmpdir(), 'tug-fake-psql-'))
      // A stand-in psql: records its arguments and PGPASSWORD, and exits with 3 when asked to.
      writeFileSync(join(bin, 'psql'), `#!/bin/sh\nprintf '%s\\n' "$@" "PGPASSWORD=$PGPASSWORD" > "${join(bin, 'called')}"\ncase "$*" in *fail*) exit 3;; esac\n`)
      chmodSync(join(bin, 'psql'), 0o755)
    })
    after(() => rmSync(bin, {recursive: true, force: true}))

    it("runs psql with DATABASE_URL's address and its password in PGPASSWORD, and exits with psql's status", async () => {
      attachedAddons()
      nock(API).get('/apps/shop/config-vars').reply(200, {DATABASE_URL: 'postgres://tug_a:s3cr%40t@127.0.0.1:5432/tug_a'})
      const ok = await runCommand(PgPsql, ['-a', 'shop', '-c', 'select 1', '-c', 'select 2'], {env: {PATH: bin}})
      assert.equal(ok.code, 0, ok.stderr)
      assert.equal(readFileSync(join(bin, 'called'), 'utf8'), 'postgres://tug_a@127.0.0.1:5432/tug_a\n-c\nselect 1\n-c\nselect 2\nPGPASSWORD=s3cr@t\n')

      attachedAddons()
      nock(API).get('/apps/shop/config-vars').reply(200, {DATABASE_URL: 'postgres://tug_a:pw@127.0.0.1:5432/tug_a'})
      const failed = await runCommand(PgPsql, ['-a', 'shop', '-c', 'fail'], {env: {PATH: bin}})
      assert.equal(failed.code, 3)
    })

    it('names what to install when psql is missing', async () => {
      attachedAddons()
      nock(API).get('/apps/shop/config-vars').reply(200, {DATABASE_URL: 'postgres://tug_a:pw@127.0.0.1:5432/tug_a'})
      const result = await runCommand(PgPsql, ['-a', 'shop'], {env: {PATH: join(bin, 'nothing-here')}})
      assert.equal(result.code, 1)
      assert.match(result.stderr, /psql is not installed \(or not on PATH\)\.[\s\S]*apt-get install postgresql-client/)
    })
  })
})
