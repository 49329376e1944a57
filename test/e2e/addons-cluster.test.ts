// Add-ons on the PostgreSQL cluster the control plane runs itself (issue 16: no
// --addons-postgres-url, the embedded default): a dyno writes with psql "$DATABASE_URL", the row
// survives a deploy and a restart of the control plane (and so of its cluster), another app's role
// cannot reach the database, and destroying the add-on takes the database with it.
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {ConfigVars} from '../../src/shared/api-types.js'
import {runSql} from '../../src/server/addons/postgres.js'
import {startControlPlane, type ControlPlane} from '../helpers/control-plane.js'

const ACCEPT = 'application/vnd.heroku+json; version=3'

describe("e2e: add-ons on the PostgreSQL cluster the control plane runs itself", function () {
  this.timeout(240_000)
  let root: string
  let dataDir: string
  let home: string
  let plane: ControlPlane | undefined

  const start = async (): Promise<ControlPlane> => {
    plane = await startControlPlane({dataDir, home, args: ['--router-port', '0', '--rendezvous-port', '0']})
    return plane
  }
  const tug = async (args: string[]): Promise<string> => {
    const result = await (plane as ControlPlane).run(args, {timeoutMs: 120_000})
    assert.equal(result.code, 0, `tug ${args.join(' ')}: ${result.stdout}\n${result.stderr}`)
    return result.stdout
  }
  const configVars = async (app: string): Promise<ConfigVars> => {
    const current = plane as ControlPlane
    const response = await fetch(`${current.url}/apps/${app}/config-vars`, {headers: {Accept: ACCEPT, Authorization: `Bearer ${current.token}`}})
    return (await response.json()) as ConfigVars
  }

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'tug-e2e-addons-cluster-'))
    dataDir = join(root, 'data')
    home = join(root, 'home')
    const code = join(root, 'code')
    for (const dir of [dataDir, home, code]) mkdirSync(dir, {recursive: true})
    writeFileSync(join(code, 'Procfile'), 'worker: sleep 100000\n')
    await start()
    await tug(['apps:create', 'diary', '--no-remote'])
    await tug(['deploy', code, '-a', 'diary'])
  })

  after(async () => {
    await plane?.close()
    rmSync(root, {recursive: true, force: true})
  })

  it('a row a dyno writes survives a deploy and a restart; a neighbour cannot connect; destroy drops the database', async () => {
    const created = await tug(['addons:create', 'postgresql', '-a', 'diary'])
    const name = /^Created (postgresql-[a-z]+-\d{5}) as DATABASE_URL$/m.exec(created)?.[1]
    assert.ok(name, created)
    const url = (await configVars('diary')).DATABASE_URL as string
    assert.notEqual(new URL(url).port, '5432', 'not the machine\'s own PostgreSQL')

    await tug(['run', '-a', 'diary', '--', `psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -c "CREATE TABLE pages (body text)" -c "INSERT INTO pages VALUES ('dear diary')"`])
    const read = async (): Promise<string> => (await tug(['run', '-a', 'diary', '--', 'psql "$DATABASE_URL" -tAc "SELECT body FROM pages"'])).trim()
    assert.equal(await read(), 'dear diary')
    await tug(['deploy', join(root, 'code'), '-a', 'diary'])
    assert.equal(await read(), 'dear diary', 'after a deploy')
    await plane?.kill('SIGTERM')
    await start()
    assert.equal(await read(), 'dear diary', 'after a restart of the control plane and its cluster')

    await tug(['apps:create', 'nosy', '--no-remote'])
    await tug(['addons:create', 'postgresql', '-a', 'nosy'])
    const nosy = new URL((await configVars('nosy')).DATABASE_URL as string)
    nosy.pathname = new URL(url).pathname
    await assert.rejects(runSql(nosy.toString(), ['SELECT body FROM pages']), /permission denied for database/)

    await tug(['addons:destroy', name, '-a', 'diary', '--confirm', 'diary'])
    await assert.rejects(runSql(url, ['SELECT 1']), /password authentication failed|does not exist/)
    assert.equal((await configVars('diary')).DATABASE_URL, undefined)
  })
})
