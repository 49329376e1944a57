import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {AddressInfo} from 'node:net'
import type {FastifyInstance} from 'fastify'

import type {Build, Formation, Release, Source} from '../../src/shared/api-types.js'
import {BuildService} from '../../src/server/builds/index.js'
import {buildApp, type AppDeps} from '../../src/server/http/app.js'
import {LogRouter} from '../../src/server/logs/index.js'
import {ensureAdmin} from '../../src/server/index.js'
import {StoreOnlyRuntime} from '../helpers/store-only-runtime.js'
import {Store} from '../../src/server/store/index.js'
import {waitFor} from '../helpers/wait-for.js'
import {tgzOf, type RawEntry} from './builds-tar.js'

const ACCEPT = 'application/vnd.heroku+json; version=3'
const MAX_SOURCE = 64 * 1024
const MAX_UNPACKED = 512 * 1024

/** Holds `releaseChanged` until the test opens the gate: lets a test watch a build mid-way. */
class GatedRuntime extends StoreOnlyRuntime {
  gate: Promise<void> = Promise.resolve()

  override async releaseChanged(appId: string): Promise<void> {
    await this.gate
    return super.releaseChanged(appId)
  }
}

describe('server/builds: sources and builds API on a listening server', function () {
  this.timeout(20_000)
  let dataDir: string
  let store: Store
  let runtime: GatedRuntime
  let app: FastifyInstance
  let url: string
  let token: string

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tug-builds-'))
    store = new Store({path: join(dataDir, 'tug.db')})
    token = readFileSync(ensureAdmin(store, dataDir).tokenPath, 'utf8').trim()
    runtime = new GatedRuntime(store)
    const deps: AppDeps = {store, runtime, logs: new LogRouter(), dataDir, publicUrl: () => url, builds: {maxSourceBytes: MAX_SOURCE, unpack: {maxBytes: MAX_UNPACKED}}}
    app = await buildApp(deps)
    await app.listen({host: '127.0.0.1', port: 0})
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  })

  after(async () => {
    await app?.close()
    await runtime?.close()
    store?.close()
    rmSync(dataDir, {recursive: true, force: true})
  })

  async function api<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{status: number; body: T}> {
    const response = await fetch(url + path, {
      method,
      headers: {Accept: ACCEPT, Authorization: `Bearer ${token}`, ...(body === undefined ? {} : {'Content-Type': 'application/json'}), ...headers},
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    const text = await response.text()
    return {status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T}
  }

  async function createApp(name: string): Promise<string> {
    const created = await api<{id: string}>('POST', '/apps', {name})
    assert.equal(created.status, 201)
    return created.body.id
  }

  async function upload(appName: string, data: Buffer): Promise<string> {
    const source = await api<Source>('POST', `/apps/${appName}/sources`)
    assert.equal(source.status, 201)
    const put = await fetch(source.body.source_blob.put_url, {method: 'PUT', body: data})
    assert.equal(put.status, 200, await put.text())
    return source.body.source_blob.get_url
  }

  function waitForBuild(appName: string, id: string): Promise<Build> {
    const finished = async (): Promise<Build | undefined> => {
      const {body} = await api<Build>('GET', `/apps/${appName}/builds/${id}`)
      return body.status !== 'pending' ? body : undefined
    }
    return waitFor(finished, {what: `build ${id} to finish`, timeoutMs: 10_000, intervalMs: 20})
  }

  async function build(appName: string, entries: RawEntry[], version?: string): Promise<{build: Build; output: string}> {
    const blobUrl = await upload(appName, tgzOf(entries))
    const created = await api<Build>('POST', `/apps/${appName}/builds`, {source_blob: {url: blobUrl, ...(version ? {version} : {})}})
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const output = await (await fetch(created.body.output_stream_url as string)).text()
    return {build: await waitForBuild(appName, created.body.id), output}
  }

  it('uploads a source, builds it into a release, and creates the formation', async () => {
    const appId = await createApp('shop')
    const source = await api<Source>('POST', '/apps/shop/sources')
    assert.equal(source.status, 201)
    const {get_url: getUrl, put_url: putUrl} = source.body.source_blob
    assert.equal(getUrl, putUrl)
    assert.match(putUrl, new RegExp(`^${url}/sources/[A-Za-z0-9_-]{43}/blob$`))

    const data = tgzOf([
      {name: 'Procfile', body: 'web: node server.js\n# a comment\nworker: rake jobs:work\n'},
      {name: 'server.js', body: 'console.log(1)\n'},
    ])
    assert.equal((await fetch(getUrl)).status, 404, 'nothing to GET before the upload')
    const put = await fetch(putUrl, {method: 'PUT', body: data, headers: {'Content-Type': 'application/gzip'}})
    assert.equal(put.status, 200)
    const get = await fetch(getUrl)
    assert.equal(get.status, 200)
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), data)
    const again = await fetch(putUrl, {method: 'PUT', body: Buffer.from('replaced')})
    assert.equal(again.status, 409)
    assert.equal(((await again.json()) as {id: string}).id, 'conflict')
    assert.deepEqual(Buffer.from(await (await fetch(getUrl)).arrayBuffer()), data, 'the blob is immutable')

    const created = await api<Build>('POST', '/apps/shop/builds', {source_blob: {url: getUrl, version: 'abc1234'}})
    assert.equal(created.status, 201)
    assert.equal(created.body.status, 'pending')
    assert.deepEqual(created.body.app, {id: appId})
    assert.equal(created.body.source_blob.url, getUrl)
    assert.equal(created.body.release, null)
    assert.match(created.body.output_stream_url ?? '', new RegExp(`^${url}/build-output/[A-Za-z0-9_-]{43}$`))
    assert.equal(created.body.user.email, 'admin@tug.local')

    const output = await (await fetch(created.body.output_stream_url as string)).text()
    assert.equal(
      output,
      [
        '-----> Unpacking the source',
        `       2 files, ${4 * 512 + 1024} bytes`,
        '-----> Discovering process types',
        '       Procfile declares types -> web, worker',
        '       Process types: web (node server.js), worker (rake jobs:work)',
        '-----> Slug size: 70B',
        '-----> Releasing',
        '       Released v2',
        '',
      ].join('\n'),
    )
    const done = await waitForBuild('shop', created.body.id)
    assert.equal(done.status, 'succeeded')
    assert.deepEqual(done.slug, {id: done.id})

    const releases = await api<Release[]>('GET', '/apps/shop/releases')
    const latest = releases.body.at(-1) as Release
    assert.deepEqual(
      {id: latest.id, version: latest.version, description: latest.description, current: latest.current, slug: latest.slug},
      {id: done.release?.id, version: 2, description: 'Deploy abc1234', current: true, slug: {id: done.id}},
    )
    const formation = await api<Formation[]>('GET', '/apps/shop/formation')
    assert.deepEqual(
      formation.body.map((f) => [f.type, f.quantity, f.command]).sort(),
      [
        ['web', 1, 'node server.js'],
        ['worker', 0, 'rake jobs:work'],
      ],
    )
    const codeDir = join(dataDir, 'releases', appId, done.id)
    assert.equal(readFileSync(join(codeDir, 'server.js'), 'utf8'), 'console.log(1)\n')

    const list = await api<Build[]>('GET', '/apps/shop/builds')
    assert.deepEqual(list.body.map((b) => [b.id, b.status]), [[done.id, 'succeeded']])
    const missing = await api<{id: string; message: string}>('GET', '/apps/shop/builds/00000000-0000-4000-8000-000000000000')
    assert.deepEqual([missing.status, missing.body.id, missing.body.message], [404, 'not_found', "Couldn't find that build."])
  })

  it('a bad Procfile fails the build with its line number and leaves the current release', async () => {
    const appId = await createApp('broken')
    const before = await api<{id: string; version: number}>('GET', '/apps/broken/releases/1')
    const {build: failed, output} = await build('broken', [{name: 'Procfile', body: 'web: node server.js\nthis line has no colon\n'}])
    assert.equal(failed.status, 'failed')
    assert.equal(failed.release, null)
    assert.match(output, /^! {6}Procfile line 2: /m)
    assert.match(output, /Build failed: the current release is unchanged\.\n$/)
    const releases = await api<Release[]>('GET', '/apps/broken/releases')
    assert.deepEqual(releases.body.map((r) => [r.version, r.current]), [[1, true]])
    assert.equal(releases.body[0]?.id, before.body.id)
    assert.deepEqual(readdirSync(join(dataDir, 'releases', appId)), [], 'the unpacked code of a failed build is removed')
  })

  it('a missing Procfile and an unsafe tarball fail the build, writing nothing outside', async () => {
    await createApp('missing')
    const {build: noProcfile, output} = await build('missing', [{name: 'README', body: 'hi'}])
    assert.equal(noProcfile.status, 'failed')
    assert.match(output, /^! {6}No Procfile at the root of the source, and no buildpack applies to it\. Add a Procfile with a line such as `web: node server\.js`, or set a buildpack \(tug buildpacks:set\)\.$/m)

    const {build: evil, output: evilOutput} = await build('missing', [
      {name: 'Procfile', body: 'web: x\n'},
      {name: '../../../escaped', body: 'x'},
    ])
    assert.equal(evil.status, 'failed')
    assert.match(evilOutput, /^! {6}The source could not be unpacked: path traversal \(\.\.\) in archive: \.\.\/\.\.\/\.\.\/escaped$/m)
    assert.equal(existsSync(join(dataDir, 'escaped')), false)
    assert.equal(existsSync(join(dataDir, 'releases', 'escaped')), false)

    const {build: link, output: linkOutput} = await build('missing', [{name: 'Procfile', type: '2', linkname: '/etc/passwd'}])
    assert.equal(link.status, 'failed')
    assert.match(linkOutput, /symbolic link points to an absolute path \(\/etc\/passwd\): Procfile/)
    const releases = await api<Release[]>('GET', '/apps/missing/releases')
    assert.equal(releases.body.length, 1)
  })

  it('a tarball bomb fails the build at the unpack limit, with nothing left on disk', async () => {
    const appId = await createApp('bomb')
    const zeros = Buffer.alloc(64 * 1024)
    const entries = [{name: 'Procfile', body: 'web: x\n'}, ...Array.from({length: 32}, (_, i) => ({name: `z${i}`, body: zeros}))]
    assert.ok(tgzOf(entries).length < MAX_SOURCE, 'small enough to upload')
    const {build: bomb, output} = await build('bomb', entries)
    assert.equal(bomb.status, 'failed')
    assert.match(output, new RegExp(`^!      The source could not be unpacked: archive expands to more than ${MAX_UNPACKED} bytes$`, 'm'))
    assert.deepEqual(readdirSync(join(dataDir, 'releases', appId)), [])
  })

  it('streams the output while the build runs, as text and as SSE, and ends when it is done', async () => {
    await createApp('live')
    let open!: () => void
    runtime.gate = new Promise((resolve) => {
      open = resolve
    })
    const blobUrl = await upload('live', tgzOf([{name: 'Procfile', body: 'web: node server.js\n'}]))
    const created = await api<Build>('POST', '/apps/live/builds', {source_blob: {url: blobUrl}})
    const streamUrl = created.body.output_stream_url as string

    const sse = await fetch(streamUrl, {headers: {Accept: 'text/event-stream'}})
    assert.equal(sse.status, 200)
    assert.match(sse.headers.get('content-type') ?? '', /^text\/event-stream/)
    const reader = (sse.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    let received = ''
    const deadline = Date.now() + 10_000
    while (!received.includes('Released v2') && Date.now() < deadline) {
      const {value, done} = await reader.read()
      if (done) break
      received += decoder.decode(value, {stream: true})
    }
    assert.match(received, /^id: 1\ndata: -----> Unpacking the source\n\n/)
    assert.match(received, /id: 8\ndata: {8}Released v2\n\n$/)
    assert.equal((await api<Build>('GET', `/apps/live/builds/${created.body.id}`)).body.status, 'succeeded')

    // Still open: the build finishes only once the runtime has taken the release.
    const resumed = await fetch(streamUrl, {headers: {Accept: 'text/event-stream', 'Last-Event-ID': '7'}})
    const resumedReader = (resumed.body as ReadableStream<Uint8Array>).getReader()
    const first = decoder.decode((await resumedReader.read()).value)
    assert.equal(first, 'id: 8\ndata:        Released v2\n\n')

    open()
    let rest = ''
    while (true) {
      const {value, done} = await reader.read()
      if (done) break
      rest += decoder.decode(value, {stream: true})
    }
    assert.equal(rest, '', 'the stream ends with the build')
    await resumedReader.cancel()
    const text = await (await fetch(streamUrl)).text()
    assert.equal(text.split('\n').length, 9)
  })

  it('answers bad requests with 4xx and makes no build', async () => {
    await createApp('strict')
    const blobUrl = await upload('strict', tgzOf([{name: 'Procfile', body: 'web: x\n'}]))
    const cases: Array<[unknown, number, string, RegExp]> = [
      [{}, 422, 'invalid_params', /^source_blob is required and must be an object\.$/],
      [{source_blob: {}}, 422, 'invalid_params', /^source_blob\.url is required and must be a string\.$/],
      [{source_blob: {url: 42}}, 422, 'invalid_params', /^source_blob\.url is required/],
      [{source_blob: {url: blobUrl}, extra: 1}, 422, 'invalid_params', /^Unknown field: extra\.$/],
      [{source_blob: {url: blobUrl, version: 3}}, 422, 'invalid_params', /^source_blob\.version must be a string or null\.$/],
      [{source_blob: {url: 'not a url'}}, 422, 'invalid_params', /^source_blob\.url must be a URL\.$/],
      [{source_blob: {url: 'https://example.com/app.tgz'}}, 422, 'invalid_params', /on this control plane\.$/],
      [{source_blob: {url: `${url}/sources/${'x'.repeat(43)}/blob`}}, 422, 'invalid_params', /on this control plane\.$/],
      ['{"source_blob": ', 400, 'bad_request', /^Invalid JSON in request body/],
    ]
    for (const [body, status, id, message] of cases) {
      const answer = await api<{id: string; message: string}>('POST', '/apps/strict/builds', body)
      assert.equal(answer.status, status, JSON.stringify(body))
      assert.equal(answer.body.id, id)
      assert.match(answer.body.message, message)
    }
    const empty = await api<Source>('POST', '/apps/strict/sources')
    const notUploaded = await api<{message: string}>('POST', '/apps/strict/builds', {source_blob: {url: empty.body.source_blob.get_url}})
    assert.deepEqual([notUploaded.status, notUploaded.body.message], [422, 'The source blob has not been uploaded yet: PUT it to the put_url first.'])
    assert.deepEqual((await api<Build[]>('GET', '/apps/strict/builds')).body, [])

    const unknownApp = await api<{id: string}>('POST', '/apps/nope/sources')
    assert.deepEqual([unknownApp.status, unknownApp.body.id], [404, 'not_found'])
    const anonymous = await fetch(`${url}/apps/strict/sources`, {method: 'POST', headers: {Accept: ACCEPT}})
    assert.equal(anonymous.status, 401)
    const badToken = await fetch(`${url}/sources/${'A'.repeat(43)}/blob`, {method: 'PUT', body: 'x'})
    assert.equal(badToken.status, 404)
  })

  it('refuses a source larger than the limit with 413, declared or streamed', async () => {
    await createApp('big')
    const tooBig = Buffer.alloc(MAX_SOURCE + 1, 1)
    const declared = await api<Source>('POST', '/apps/big/sources')
    const answer = await fetch(declared.body.source_blob.put_url, {method: 'PUT', body: tooBig})
    assert.equal(answer.status, 413)
    assert.deepEqual(await answer.json(), {id: 'payload_too_large', message: `Source blob is too large: the limit is ${MAX_SOURCE} bytes.`})

    const streamed = await api<Source>('POST', '/apps/big/sources')
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(new Uint8Array(MAX_SOURCE / 4))
        controller.close()
      },
    })
    const chunked = await fetch(streamed.body.source_blob.put_url, {method: 'PUT', body: chunks, duplex: 'half'} as RequestInit)
    assert.equal(chunked.status, 413)
    assert.equal((await fetch(streamed.body.source_blob.get_url)).status, 404, 'nothing was kept')
    // The source can still be uploaded properly afterwards.
    const ok = await fetch(streamed.body.source_blob.put_url, {method: 'PUT', body: Buffer.alloc(10)})
    assert.equal(ok.status, 200)
    assert.deepEqual(readdirSync(join(dataDir, 'sources')).filter((f) => f.startsWith('.upload-')), [])
  })
  it('at start, fails builds a restart interrupted and removes files nothing refers to', async () => {
    const appId = await createApp('leftovers')
    const {build: kept} = await build('leftovers', [{name: 'Procfile', body: 'web: x\n'}])
    const keptSources = readdirSync(join(dataDir, 'sources')).filter((f) => f.endsWith('.tgz')).sort()
    const interrupted = store.db.prepare("SELECT COUNT(*) AS n FROM builds WHERE status = 'pending'").get() as {n: number}
    assert.equal(interrupted.n, 0)
    // What a kill -9 mid-build, and an app deleted while the server ran, leave behind:
    store.db
      .prepare("INSERT INTO builds (id, app_id, source_url, status, output_path, created_at, updated_at, user_id) VALUES (?, ?, 'x', 'pending', ?, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', NULL)")
      .run('11111111-1111-4111-8111-111111111111', appId, join(dataDir, 'builds', 'pending-token.log'))
    const planted = [
      join(dataDir, 'releases', appId, '11111111-1111-4111-8111-111111111111', 'half-unpacked'),
      join(dataDir, 'releases', '22222222-2222-4222-8222-222222222222', 'some-build', 'Procfile'),
      join(dataDir, 'sources', `${'a'.repeat(64)}.tgz`),
      join(dataDir, 'sources', '.upload-partial'),
      join(dataDir, 'builds', 'orphan.log'),
    ]
    for (const file of planted) {
      mkdirSync(join(file, '..'), {recursive: true})
      writeFileSync(file, 'x')
    }
    const restarted = new BuildService({store, runtime, dataDir, publicUrl: () => url})
    assert.equal(restarted.builds.get(appId, '11111111-1111-4111-8111-111111111111')?.status, 'failed')
    for (const file of planted) assert.equal(existsSync(file), false, `${file} is removed`)
    assert.equal(existsSync(join(dataDir, 'releases', '22222222-2222-4222-8222-222222222222')), false)
    assert.ok(existsSync(join(dataDir, 'releases', appId, kept.id, 'Procfile')), 'the code of a release stays')
    assert.deepEqual(readdirSync(join(dataDir, 'sources')).filter((f) => f.endsWith('.tgz')).sort(), keptSources)
  })
})
