// pg:* and redis:cli end to end: the real tug binary, a real control plane, the machine's
// PostgreSQL (named with --addons-postgres-url) and a redis-server the control plane runs; the
// machine's own psql and redis-cli, run by tug with the app's URLs.
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {AddOn} from '../../src/shared/api-types.js'
import type {PgBackup, PgInfo} from '../../src/shared/pg-types.js'
import {runSql} from '../../src/server/addons/postgres.js'
import {startControlPlane, type ControlPlane} from '../helpers/control-plane.js'

const ADMIN_PG = 'postgres://postgres@127.0.0.1:5432/postgres'

describe('e2e: pg:backups, pg:info, pg:psql and redis:cli', function () {
  this.timeout(240_000)
  let root: string
  let plane: ControlPlane
  const providerIds: string[] = []

  const tug = async (args: string[], expectCode = 0) => {
    const result = await plane.run(args, {timeoutMs: 90_000, cwd: root})
    assert.equal(result.code, expectCode, `tug ${args.join(' ')}: ${result.stdout}${result.stderr}`)
    return result
  }
  const notes = async () => (await tug(['pg:psql', '-a', 'ledger', '-c', 'SELECT body FROM notes ORDER BY body'])).stdout

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'tug-e2e-pg-'))
    mkdirSync(join(root, 'data'))
    plane = await startControlPlane({dataDir: join(root, 'data'), home: join(root, 'home'), args: ['--addons-postgres-url', ADMIN_PG, '--router-port', '0', '--rendezvous-port', '0']})
    await tug(['apps:create', 'ledger', '--no-remote'])
    await tug(['addons:create', 'postgresql', '-a', 'ledger'])
    const addons = JSON.parse((await tug(['addons', '-a', 'ledger', '--json'])).stdout) as AddOn[]
    providerIds.push(...addons.map((a) => a.provider_id))
  })

  after(async () => {
    await plane?.close()
    rmSync(root, {recursive: true, force: true})
    for (const id of providerIds) await runSql(ADMIN_PG, [`DROP DATABASE IF EXISTS "${id}" WITH (FORCE)`, `DROP ROLE IF EXISTS "${id}"`])
  })

  it('pg:psql -c runs SQL with the app\'s DATABASE_URL and exits with psql\'s status', async () => {
    await tug(['pg:psql', '-a', 'ledger', '-c', 'CREATE TABLE notes (body text)', '-c', "INSERT INTO notes VALUES ('kept'), ('lost')"])
    assert.match(await notes(), /kept\n lost\n\(2 rows\)/)
    const failed = await tug(['pg:psql', '-a', 'ledger', '-c', 'SELECT * FROM missing'], 1)
    assert.match(failed.stderr, /relation "missing" does not exist/)
    const noRedis = await tug(['redis:cli', '-a', 'ledger', '-c', 'PING'], 1)
    assert.match(noRedis.stderr, /ledger has no Redis add-on\.[\s\S]*tug addons:create redis -a ledger/)
  })

  it('pg:backups:capture then restore round-trips a deleted row; the list, download and delete work', async () => {
    const captured = await tug(['pg:backups:capture', '-a', 'ledger'])
    assert.match(captured.stderr, /Starting backup of DATABASE\.\.\. done, b001\nBacking up DATABASE to b001\.\.\. done/)
    await tug(['pg:psql', '-a', 'ledger', '-c', "DELETE FROM notes WHERE body = 'lost'"])
    assert.doesNotMatch(await notes(), /lost/)

    const refused = await tug(['pg:backups:restore', 'b001', '-a', 'ledger'], 2)
    assert.match(refused.stderr, /Refusing to replace the data of DATABASE on ledger with b001 without confirmation/)
    assert.doesNotMatch(await notes(), /lost/)
    const restored = await tug(['pg:backups:restore', '-a', 'ledger', '--confirm', 'ledger'])
    assert.match(restored.stderr, /Restoring b001 into postgresql-[a-z]+-\d{5}\.\.\. done/)
    assert.match(await notes(), /kept\n lost\n/)

    const list = await tug(['pg:backups', '-a', 'ledger'])
    assert.match(list.stdout, /=== Backups\nID +Created at +Status +Size +Database\nb001 .* Completed .* DATABASE\n/)
    assert.match(list.stdout, /=== Restores\nID .*\nr001 .* Completed .* postgresql-[a-z]+-\d{5}::b001 +DATABASE/)
    const json = JSON.parse((await tug(['pg:backups', '-a', 'ledger', '--json'])).stdout) as {backups: PgBackup[]}
    assert.deepEqual(json.backups.map((b) => b.status), ['succeeded'])

    await tug(['pg:backups:download', '-a', 'ledger', '-o', 'ledger.dump'])
    const dump = readFileSync(join(root, 'ledger.dump'))
    assert.equal(dump.subarray(0, 5).toString(), 'PGDMP')
    assert.equal(dump.length, json.backups[0]?.size_bytes)

    await tug(['pg:backups:delete', 'b001', '-a', 'ledger', '--confirm', 'ledger'])
    const empty = await tug(['pg:backups', '-a', 'ledger'])
    assert.match(empty.stdout, /No backups\. Capture one with tug pg:backups:capture/)
    const none = await tug(['pg:backups:restore', '-a', 'ledger', '--confirm', 'ledger'], 1)
    assert.match(none.stderr, /DATABASE on ledger has no successful backup to restore/)
    assert.equal(existsSync(join(root, 'data', 'addons', 'backups', json.backups[0]?.addon.id ?? '', 'b001.dump')), false)
  })

  it('pg:info shows the plan, connections, size and tables, and --json the figures', async () => {
    const info = await tug(['pg:info', '-a', 'ledger'])
    assert.match(info.stdout, /^=== DATABASE_URL\nPlan: +mini\nStatus: +Available\nConnections: +\d+\/20\nPG Version: +\d+/)
    assert.match(info.stdout, /\nTables: +1\nAdd-on: +postgresql-/)
    const [json] = JSON.parse((await tug(['pg:info', 'DATABASE_URL', '-a', 'ledger', '--json'])).stdout) as PgInfo[]
    assert.equal(json?.tables, 1)
    const wrong = await tug(['pg:info', 'NOPE', '-a', 'ledger'], 2)
    assert.match(wrong.stderr, /ledger has no PostgreSQL add-on called NOPE/)
  })

  it('redis:cli -c runs commands with the app\'s REDIS_URL, its password kept off the command line', async () => {
    await tug(['addons:create', 'redis', '-a', 'ledger'])
    const result = await tug(['redis:cli', '-a', 'ledger', '-c', 'SET greeting "hello there"', '-c', 'GET greeting'])
    assert.equal(result.stdout, 'OK\nhello there\n')
    assert.doesNotMatch(result.stderr, /Using a password/)
  })
})
