// Capability URLs of sources and builds (issue 14, item 4): the store keeps only the SHA-256 of
// their tokens, source URLs expire after an hour and build output URLs after a day.
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {AddressInfo} from 'node:net'
import BetterSqlite3 from 'better-sqlite3'
import type {FastifyInstance} from 'fastify'

import type {Build, Source} from '../../src/shared/api-types.js'
import {buildApp} from '../../src/server/http/app.js'
import {LogRouter} from '../../src/server/logs/index.js'
import {ensureAdmin} from '../../src/server/index.js'
import {migrate, migrations} from '../../src/server/store/migrations.js'
import {Store} from '../../src/server/store/index.js'
import {StoreOnlyRuntime} from '../helpers/store-only-runtime.js'
import {waitFor} from '../helpers/wait-for.js'
import {callApi} from './builds-api.js'
import {tgzOf} from './builds-tar.js'

const HOUR = 60 * 60 * 1000
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')

/** Every file name under `dir` and every value of every row of `db`, as one text to search. */
function everythingStored(dir: string, db: BetterSqlite3.Database): string {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{name: string}>).map((t) => t.name)
  const rows = tables.flatMap((table) => db.prepare(`SELECT * FROM ${table}`).all())
  return JSON.stringify(rows) + '\n' + (readdirSync(dir, {recursive: true}) as string[]).join('\n')
}

describe('server/builds: capability URLs', function () {
  this.timeout(20_000)
  let dataDir: string
  let store: Store
  let runtime: StoreOnlyRuntime
  let app: FastifyInstance | undefined
  let url: string
  let token: string
  let now: number

  async function listen(): Promise<void> {
    store = new Store({path: join(dataDir, 'tug.db'), clock: () => new Date(now)})
    token = readFileSync(ensureAdmin(store, dataDir).tokenPath, 'utf8').trim()
    runtime = new StoreOnlyRuntime(store)
    app = await buildApp({store, runtime, logs: new LogRouter(), dataDir, publicUrl: () => url})
    await app.listen({host: '127.0.0.1', port: 0})
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  }

  async function stop(): Promise<void> {
    await app?.close()
    app = undefined
    await runtime?.close()
    store?.close()
  }

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tug-capabilities-'))
    now = Date.parse('2026-12-05T10:00:00Z')
  })
  afterEach(async () => {
    await stop()
    rmSync(dataDir, {recursive: true, force: true})
  })

  const api = <T>(method: string, path: string, body?: unknown): Promise<{status: number; body: T}> => callApi<T>(url, token, method, path, body)

  const tokenOf = (capabilityUrl: string): string => /\/([A-Za-z0-9_-]{43})(\/blob)?$/.exec(capabilityUrl)?.[1] ?? assert.fail(capabilityUrl)
  const PROCFILE = tgzOf([{name: 'Procfile', body: 'web: node server.js\n'}])

  async function builtApp(): Promise<{build: Build; sourceUrl: string}> {
    assert.equal((await api('POST', '/apps', {name: 'shop'})).status, 201)
    const source = await api<Source>('POST', '/apps/shop/sources')
    const sourceUrl = source.body.source_blob.put_url
    assert.equal((await fetch(sourceUrl, {method: 'PUT', body: PROCFILE})).status, 200)
    const created = await api<Build>('POST', '/apps/shop/builds', {source_blob: {url: sourceUrl}})
    assert.equal(created.status, 201)
    await waitFor(async () => (await api<Build>('GET', `/apps/shop/builds/${created.body.id}`)).body.status !== 'pending', {what: 'the build to finish'})
    return {build: created.body, sourceUrl}
  }

  it('stores no token in the clear: only their SHA-256, in the database and in file names', async () => {
    await listen()
    const {build, sourceUrl} = await builtApp()
    const outputUrl = build.output_stream_url ?? assert.fail('no output_stream_url')
    assert.match(outputUrl, new RegExp(`^${url}/build-output/[A-Za-z0-9_-]{43}$`))
    assert.equal(build.source_blob.url, sourceUrl, 'the answer that made the build has the URLs as given')
    const stored = everythingStored(dataDir, store.db)
    for (const secret of [tokenOf(sourceUrl), tokenOf(outputUrl)]) {
      assert.equal(stored.includes(secret), false, `${secret} is stored`)
      assert.ok(stored.includes(sha256(secret)), 'its hash is')
    }
    // Later answers cannot give back what is not kept: no output URL, the source by its hash.
    const later = await api<Build>('GET', `/apps/shop/builds/${build.id}`)
    assert.equal(later.body.output_stream_url, null)
    assert.equal(later.body.source_blob.url, `${url}/sources/${sha256(tokenOf(sourceUrl))}/blob`)
    assert.match(await (await fetch(outputUrl)).text(), /Released v2/)
    // A URL that differs from a real one in its last character finds nothing.
    const wrong = outputUrl.slice(0, -1) + (outputUrl.endsWith('A') ? 'B' : 'A')
    assert.equal((await fetch(wrong)).status, 404)
  })

  it('expires source URLs after an hour: the upload, the download and a build from them, changing nothing', async () => {
    await listen()
    assert.equal((await api('POST', '/apps', {name: 'shop'})).status, 201)
    const uploaded = (await api<Source>('POST', '/apps/shop/sources')).body.source_blob.put_url
    const neverUploaded = (await api<Source>('POST', '/apps/shop/sources')).body.source_blob.put_url
    assert.equal((await fetch(uploaded, {method: 'PUT', body: PROCFILE})).status, 200)
    now += HOUR - 1000
    assert.equal((await fetch(uploaded)).status, 200, 'still answers before the hour')

    // The reproduction was 17 minutes; an hour is Heroku's lifetime of a source URL.
    now += 1000
    const gone = {id: 'gone', message: 'This source URL has expired: source URLs last an hour. Create a new source with POST /apps/{app}/sources.'}
    const get = await fetch(uploaded)
    assert.equal(get.status, 410)
    assert.deepEqual(await get.json(), gone)
    const sourcesBefore = readdirSync(join(dataDir, 'sources')).sort()
    const put = await fetch(neverUploaded, {method: 'PUT', body: PROCFILE})
    assert.equal(put.status, 410)
    assert.deepEqual(await put.json(), gone)
    assert.deepEqual(readdirSync(join(dataDir, 'sources')).sort(), sourcesBefore, 'nothing written')
    const build = await api<{id: string; message: string}>('POST', '/apps/shop/builds', {source_blob: {url: uploaded}})
    assert.equal(build.status, 422)
    assert.equal(build.body.message, 'source_blob.url has expired (source URLs last an hour): create a new source and upload it again.')
    assert.deepEqual((await api<Build[]>('GET', '/apps/shop/builds')).body, [], 'no build made')
  })

  it('expires build output URLs after a day', async () => {
    await listen()
    const {build} = await builtApp()
    const outputUrl = build.output_stream_url as string
    now += 24 * HOUR - 1000
    assert.equal((await fetch(outputUrl)).status, 200)
    now += 1000
    const answer = await fetch(outputUrl)
    assert.equal(answer.status, 410)
    assert.deepEqual(await answer.json(), {
      id: 'gone',
      message: "This build output URL has expired: build output URLs last a day. The build's status is still at GET /apps/{app}/builds/{id}.",
    })
    assert.equal((await api<Build>('GET', `/apps/shop/builds/${build.id}`)).body.status, 'succeeded', 'the build itself stays')
  })

  it('migration 5 hashes the tokens of existing builds and keeps everything else; old output URLs still work', async () => {
    // What migration 7 added, empty for builds made before it.
    const LATER_COLUMNS = {source_checksum: null, source_version: null, buildpacks: null, slug_size: null}
    // A data directory as the previous version left it: schema 4, tokens in the clear.
    const db = new BetterSqlite3(join(dataDir, 'tug.db'))
    migrate(db, migrations.filter((m) => m.version <= 4))
    const sourceToken = 'S'.repeat(43)
    const outputToken = 'o'.repeat(42) + '_'
    const buildId = '11111111-1111-4111-8111-111111111111'
    const created = '2026-12-05T09:00:00Z'
    db.prepare("INSERT INTO accounts (id, email, created_at, updated_at) VALUES ('acct', 'a@b.c', ?, ?)").run(created, created)
    db.prepare("INSERT INTO apps (id, name, owner_id, region, stack, build_stack, created_at, updated_at) VALUES ('app', 'shop', 'acct', 'us', 'heroku-24', 'heroku-24', ?, ?)").run(created, created)
    const insert = db.prepare(`INSERT INTO builds (id, app_id, source_url, status, output_path, error, created_at, updated_at, user_id)
      VALUES (?, 'app', ?, 'failed', ?, 'it failed', ?, ?, 'acct')`)
    insert.run(buildId, `http://127.0.0.1:5055/sources/${sourceToken}/blob`, join(dataDir, 'builds', `${outputToken}.log`), created, created)
    insert.run('22222222-2222-4222-8222-222222222222', 'http://elsewhere/x.tgz', null, created, created)
    db.close()
    mkdirSync(join(dataDir, 'builds'))
    writeFileSync(join(dataDir, 'builds', `${outputToken}.log`), '-----> Unpacking the source\n!      it failed\n')

    await listen()
    const rows = store.db.prepare('SELECT * FROM builds ORDER BY id').all()
    assert.deepEqual(rows, [
      {
        id: buildId, app_id: 'app', source_url: `http://127.0.0.1:5055/sources/${sha256(sourceToken)}/blob`, status: 'failed', release_id: null,
        output_path: join(dataDir, 'builds', `${buildId}.log`), error: 'it failed', created_at: created, updated_at: created, user_id: 'acct',
        output_token_hash: sha256(outputToken), ...LATER_COLUMNS,
      },
      {
        id: '22222222-2222-4222-8222-222222222222', app_id: 'app', source_url: 'http://elsewhere/x.tgz', status: 'failed', release_id: null,
        output_path: null, error: 'it failed', created_at: created, updated_at: created, user_id: 'acct', output_token_hash: null, ...LATER_COLUMNS,
      },
    ])
    assert.deepEqual(readdirSync(join(dataDir, 'builds')), [`${buildId}.log`], 'the output file is named after its build')
    assert.equal(everythingStored(dataDir, store.db).includes(outputToken), false)
    assert.equal(await (await fetch(`${url}/build-output/${outputToken}`)).text(), '-----> Unpacking the source\n!      it failed\n')
  })
})
