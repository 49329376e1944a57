// What builds leave on disk stays bounded (issue 14, item 4: disk): the code of the last N
// releases per app, no source blob once built, nothing of a destroyed app.
import assert from 'node:assert/strict'
import {existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {AddressInfo} from 'node:net'
import type {FastifyInstance} from 'fastify'

import type {Build, Release} from '../../src/shared/api-types.js'
import {DEFAULT_KEEP_RELEASES} from '../../src/server/builds/index.js'
import {buildApp} from '../../src/server/http/app.js'
import {LogRouter} from '../../src/server/logs/index.js'
import {ensureAdmin} from '../../src/server/index.js'
import {Store} from '../../src/server/store/index.js'
import {StoreOnlyRuntime} from '../helpers/store-only-runtime.js'
import {waitFor} from '../helpers/wait-for.js'
import {callApi, uploadSource} from './builds-api.js'
import {tgzOf, type RawEntry} from './builds-tar.js'

const MB = 1024 * 1024

/** Bytes of the regular files under `dir` (links not followed). */
function diskUsage(dir: string): number {
  let total = 0
  for (const name of readdirSync(dir, {recursive: true}) as string[]) {
    const stat = lstatSync(join(dir, name))
    if (stat.isFile()) total += stat.size
  }
  return total
}

describe('server/builds: disk', function () {
  this.timeout(30_000)
  let dataDir: string
  let store: Store
  let runtime: StoreOnlyRuntime
  let app: FastifyInstance
  let url: string
  let token: string
  let now: number

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tug-disk-'))
    now = Date.now()
    store = new Store({path: join(dataDir, 'tug.db'), clock: () => new Date(now)})
    token = readFileSync(ensureAdmin(store, dataDir).tokenPath, 'utf8').trim()
    runtime = new StoreOnlyRuntime(store)
    app = await buildApp({store, runtime, logs: new LogRouter(), dataDir, publicUrl: () => url, builds: {keepReleases: 2}})
    await app.listen({host: '127.0.0.1', port: 0})
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  })

  afterEach(async () => {
    await app?.close()
    await runtime?.close()
    store?.close()
    rmSync(dataDir, {recursive: true, force: true})
  })

  const api = <T>(method: string, path: string, body?: unknown): Promise<{status: number; body: T}> => callApi<T>(url, token, method, path, body)

  const upload = (appName: string, data: Buffer): Promise<string> => uploadSource(url, token, appName, data)

  async function build(appName: string, entries: RawEntry[]): Promise<Build> {
    const blobUrl = await upload(appName, tgzOf(entries))
    const created = await api<Build>('POST', `/apps/${appName}/builds`, {source_blob: {url: blobUrl}})
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const finished = async (): Promise<Build | undefined> => {
      const {body} = await api<Build>('GET', `/apps/${appName}/builds/${created.body.id}`)
      return body.status === 'pending' ? undefined : body
    }
    return waitFor(finished, {what: `build ${created.body.id} to finish`, timeoutMs: 15_000, intervalMs: 20})
  }

  const procfile = (extra = ''): RawEntry => ({name: 'Procfile', body: `web: node server.js\n${extra}`})
  const codeDirs = (appId: string): string[] => readdirSync(join(dataDir, 'releases', appId)).sort()
  const blobs = (): string[] => readdirSync(join(dataDir, 'sources')).filter((name) => name.endsWith('.tgz'))
  const releases = async (appName: string): Promise<Release[]> => (await api<Release[]>('GET', `/apps/${appName}/releases`)).body

  it('keeps 10 releases of code unless told otherwise', () => {
    assert.equal(DEFAULT_KEEP_RELEASES, 10)
  })

  it('three small uploads that unpack big keep only the last releases\' code and no blob', async () => {
    // The reproduction, scaled down: a 509 KB gzip of zeros unpacks to about 500 MB, and each
    // build kept its unpacked code and its blob for ever. Here 8 MB unpack from about 8 KB.
    const bomb = (n: number): RawEntry[] => [procfile(), {name: 'zeros.bin', body: Buffer.alloc(8 * MB)}, {name: 'n', body: String(n)}]
    assert.ok(tgzOf(bomb(0)).length < 64 * 1024, 'a small upload')
    const appId = (await api<{id: string}>('POST', '/apps', {name: 'shop'})).body.id
    const made: Build[] = []
    for (let n = 1; n <= 3; n++) made.push(await build('shop', bomb(n)))
    assert.deepEqual(made.map((b) => b.status), ['succeeded', 'succeeded', 'succeeded'])
    assert.deepEqual(codeDirs(appId), made.slice(1).map((b) => b.id).sort(), 'the code of the last 2 releases')
    assert.deepEqual(blobs(), [], 'no blob once built')
    const used = diskUsage(dataDir)
    assert.ok(used < 2 * 8 * MB + 4 * MB, `${used} bytes on disk`)
    assert.ok(used >= 2 * 8 * MB)
    const [v2, v3, v4] = (await releases('shop')).slice(1)
    assert.deepEqual([v2?.version, v3?.version, v4?.version], [2, 3, 4])
  })

  it('answers a rollback to a release whose code was pruned with a 422, and changes nothing', async () => {
    const appId = (await api<{id: string}>('POST', '/apps', {name: 'shop'})).body.id
    for (let n = 1; n <= 3; n++) await build('shop', [procfile(`# ${n}\n`)])
    const before = await releases('shop')
    const app = await api<{id: string}>('GET', '/apps/shop')
    const formation = await api('GET', '/apps/shop/formation')
    const dirs = codeDirs(appId)

    const refused = await api<{id: string; message: string}>('POST', '/apps/shop/releases', {release: 'v2'})
    assert.equal(refused.status, 422)
    assert.deepEqual(refused.body, {id: 'invalid_params', message: "the code of v2 was pruned (tug keeps the last 2 releases' code); deploy it again"})
    const slug = before.find((r) => r.version === 2)?.slug?.id as string
    const bySlug = await api<{message: string}>('POST', '/apps/shop/releases', {slug})
    assert.equal(bySlug.status, 422)
    assert.equal(bySlug.body.message, "the code of v2 was pruned (tug keeps the last 2 releases' code); deploy it again")
    assert.deepEqual(await releases('shop'), before, 'no release made')
    assert.deepEqual(await api('GET', '/apps/shop'), app)
    assert.deepEqual(await api('GET', '/apps/shop/formation'), formation)
    assert.deepEqual(codeDirs(appId), dirs)

    // A rollback to code that is kept works, and shares that code: nothing more is pruned.
    const rollback = await api<Release>('POST', '/apps/shop/releases', {release: 'v3'})
    assert.equal(rollback.status, 201)
    assert.equal(rollback.body.version, 5)
    assert.deepEqual(codeDirs(appId), dirs)
  })

  it('never prunes the current release\'s code, nor code a dyno still runs', async () => {
    const appId = (await api<{id: string}>('POST', '/apps', {name: 'shop'})).body.id
    const first = await build('shop', [procfile()])
    const v2 = (await releases('shop')).at(-1) as Release
    // A one-off on v2 that has not ended.
    const dyno = store.dynos.insert(appId, {name: 'run.1', type: 'run', one_off: true, command: 'sleep 100', size: 'Standard-1X', state: 'up', release_id: v2.id})
    // Newer releases whose release phase never made them current (it failed): v2 stays current.
    const failing: Build[] = []
    for (let n = 1; n <= 3; n++) {
      const made = await build('shop', [procfile(`release: exit 1\n# ${n}\n`)])
      failing.push(made)
      const release = store.releases.list(appId).at(-1)
      assert.equal(release?.status, 'pending')
      store.releases.setStatus(appId, release?.id as string, 'failed')
    }
    assert.equal((await api<{released_at: string; current_release?: unknown}>('GET', '/apps/shop')).status, 200)
    assert.equal(store.apps.get(appId)?.current_release_id, v2.id)
    // v3 is neither among the last 2 nor current: pruned. v2 is kept, for two reasons.
    assert.deepEqual(codeDirs(appId), [first.id, failing[1]?.id, failing[2]?.id].sort())

    // Once the one-off ended and another release is current, v2's code goes at the next build.
    store.dynos.update(appId, dyno.id, {ended_at: new Date(now).toISOString(), state: 'down'})
    const last = await build('shop', [procfile('# last\n')])
    assert.equal(store.apps.get(appId)?.current_release_id, store.releases.list(appId).at(-1)?.id)
    assert.deepEqual(codeDirs(appId), [failing[2]?.id, last.id].sort())
  })

  it('deletes a built blob, keeps a failed build\'s until its URL expires, and says why a built source cannot be fetched', async () => {
    await api('POST', '/apps', {name: 'shop'})
    const blobUrl = await upload('shop', tgzOf([procfile()]))
    const created = await api<Build>('POST', '/apps/shop/builds', {source_blob: {url: blobUrl}})
    await waitFor(async () => (await api<Build>('GET', `/apps/shop/builds/${created.body.id}`)).body.status === 'succeeded', {what: 'the build'})
    assert.deepEqual(blobs(), [])
    const get = await fetch(blobUrl)
    assert.equal(get.status, 404)
    assert.deepEqual(await get.json(), {id: 'not_found', resource: 'source', message: 'This source blob was deleted once it was built; its code is in the release the build made.'})
    const again = await api<{message: string}>('POST', '/apps/shop/builds', {source_blob: {url: blobUrl}})
    assert.equal(again.status, 422)
    assert.equal(again.body.message, 'This source was built already and its blob deleted (its code is in that release): create a new source and upload it again.')

    const failed = await build('shop', [{name: 'no-procfile', body: 'x'}])
    assert.equal(failed.status, 'failed')
    assert.equal(blobs().length, 1, 'a failed build can be tried again with the same source')
    now += 60 * 60 * 1000
    await api('POST', '/apps/shop/sources')
    assert.deepEqual(blobs(), [], 'its URL expired, so the blob went')
  })

  it('deletes a destroyed app\'s code, blobs and build outputs at once, and nothing of another app', async () => {
    const goneId = (await api<{id: string}>('POST', '/apps', {name: 'gone'})).body.id
    const keptId = (await api<{id: string}>('POST', '/apps', {name: 'kept'})).body.id
    const goneBuild = await build('gone', [procfile()])
    await upload('gone', tgzOf([procfile()])) // uploaded, never built
    const keptBuild = await build('kept', [procfile()])
    const outputs = readdirSync(join(dataDir, 'builds')).sort()
    assert.deepEqual(outputs, [`${goneBuild.id}.log`, `${keptBuild.id}.log`].sort())
    assert.equal(blobs().length, 1)

    assert.equal((await api('DELETE', '/apps/gone')).status, 200)
    assert.equal(existsSync(join(dataDir, 'releases', goneId)), false)
    assert.deepEqual(readdirSync(join(dataDir, 'builds')), [`${keptBuild.id}.log`])
    assert.deepEqual(blobs(), [])
    assert.deepEqual(codeDirs(keptId), [keptBuild.id])
  })
})
