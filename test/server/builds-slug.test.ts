// The slug a build makes (issue 15, item 4): its size cap, .slugignore, the source's checksum and
// version on the wire, the build body's buildpacks checked, and the per-app build cache's life.
// The API on a listening server over a store-only runtime (no buildpack runs here: see
// buildpack-runner.test.ts and e2e/build-buildpacks.test.ts for those).
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {AddressInfo} from 'node:net'
import type {FastifyInstance} from 'fastify'

import type {App, Build, Release} from '../../src/shared/api-types.js'
import {BuildService} from '../../src/server/builds/index.js'
import {applySlugignore, formatSize} from '../../src/server/builds/slug.js'
import {buildApp} from '../../src/server/http/app.js'
import {LogRouter} from '../../src/server/logs/index.js'
import {ensureAdmin} from '../../src/server/index.js'
import {Store} from '../../src/server/store/index.js'
import {StoreOnlyRuntime} from '../helpers/store-only-runtime.js'
import {waitFor} from '../helpers/wait-for.js'
import {callApi, uploadSource} from './builds-api.js'
import {tgzOf, type RawEntry} from './builds-tar.js'

const MAX_SLUG = 4096

describe('server/builds: the slug', function () {
  this.timeout(30_000)
  let dataDir: string
  let store: Store
  let runtime: StoreOnlyRuntime
  let app: FastifyInstance
  let url: string
  let token: string

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tug-slug-'))
    store = new Store({path: join(dataDir, 'tug.db')})
    token = readFileSync(ensureAdmin(store, dataDir).tokenPath, 'utf8').trim()
    runtime = new StoreOnlyRuntime(store)
    app = await buildApp({store, runtime, logs: new LogRouter(), dataDir, publicUrl: () => url, builds: {maxSlugBytes: MAX_SLUG}})
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

  async function build(appName: string, entries: RawEntry[], extra: Record<string, unknown> = {}): Promise<{build: Build; created: Build; output: string}> {
    const blobUrl = await upload(appName, tgzOf(entries))
    const created = await api<Build>('POST', `/apps/${appName}/builds`, {source_blob: {url: blobUrl, ...extra}})
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const output = await (await fetch(created.body.output_stream_url as string)).text()
    const done = await waitFor(
      async () => {
        const {body} = await api<Build>('GET', `/apps/${appName}/builds/${created.body.id}`)
        return body.status === 'pending' ? undefined : body
      },
      {what: 'the build to finish'},
    )
    return {build: done, created: created.body, output}
  }

  const createApp = async (name: string): Promise<App> => (await api<App>('POST', '/apps', {name})).body

  it('refuses a slug above the cap with what to do, and makes no release', async () => {
    await createApp('fat')
    const {build: fat, output} = await build('fat', [{name: 'Procfile', body: 'web: x\n'}, {name: 'data.bin', body: 'x'.repeat(MAX_SLUG)}])
    assert.equal(fat.status, 'failed')
    assert.match(output, /^-----> Slug size: 4K$/m)
    assert.match(output, /^! {6}The slug is 4K, above this control plane's limit of 4K\. List what the app does not need at run time in a \.slugignore file, or raise the limit \(tug server --max-slug-size\)\.$/m)
    assert.equal(fat.release, null)
    assert.deepEqual((await api<Release[]>('GET', '/apps/fat/releases')).body.map((r) => r.version), [1], 'no release was made')

    // The same source, its big file listed in .slugignore, fits.
    const {build: slim, output: slimOutput} = await build('fat', [
      {name: 'Procfile', body: 'web: x\n'},
      {name: 'data.bin', body: 'x'.repeat(MAX_SLUG)},
      {name: '.slugignore', body: '*.bin\n!keep.bin\n'},
    ])
    assert.equal(slim.status, 'succeeded', slimOutput)
    assert.match(slimOutput, /^-----> Removed 1 path that \.slugignore lists$/m)
    assert.match(slimOutput, /^ {7}\.slugignore: !keep\.bin ignored \(negations are not supported, as on Heroku\)$/m)
  })

  it("fills the build's checksum and version in every answer, and refuses a checksum that does not match", async () => {
    await createApp('sums')
    const blob = tgzOf([{name: 'Procfile', body: 'web: x\n'}])
    const checksum = `SHA256:${createHash('sha256').update(blob).digest('hex')}`
    const blobUrl = await upload('sums', blob)
    const wrong = await api<{message: string}>('POST', '/apps/sums/builds', {source_blob: {url: blobUrl, checksum: `SHA256:${'0'.repeat(64)}`}})
    assert.equal(wrong.status, 422)
    assert.equal(wrong.body.message, `source_blob.checksum does not match the uploaded blob, whose checksum is ${checksum}: upload it again, or leave the checksum out.`)
    assert.deepEqual((await api<Build[]>('GET', '/apps/sums/builds')).body, [])

    const created = await api<Build>('POST', '/apps/sums/builds', {source_blob: {url: blobUrl, checksum, version: 'abc123'}})
    assert.equal(created.status, 201)
    assert.deepEqual([created.body.source_blob.checksum, created.body.source_blob.version], [checksum, 'abc123'])
    assert.equal(created.body.buildpacks, null, 'no buildpack set, none ran')
    const listed = (await api<Build[]>('GET', '/apps/sums/builds')).body[0] as Build
    assert.deepEqual([listed.source_blob.checksum, listed.source_blob.version], [checksum, 'abc123'])
  })

  it("checks the build body's buildpacks, and fails a build that asks for some without a resolver", async () => {
    await createApp('bps')
    const blobUrl = await upload('bps', tgzOf([{name: 'Procfile', body: 'web: x\n'}]))
    for (const [buildpacks, message] of [
      ['heroku/nodejs', 'buildpacks must be an array of objects with a url, as [{"url": "heroku/nodejs"}].'],
      [['heroku/nodejs'], 'buildpacks must be an array of objects with a url, as [{"url": "heroku/nodejs"}]; item 1 is not an object.'],
      [[{url: ''}], 'buildpacks must be an array of objects with a url, as [{"url": "heroku/nodejs"}]; item 1 has no url.'],
      [[{url: 'x', color: 'red'}], 'Unknown field: buildpacks[0].color.'],
    ] as const) {
      const answer = await api<{message: string}>('POST', '/apps/bps/builds', {source_blob: {url: blobUrl}, buildpacks})
      assert.equal(answer.status, 422, JSON.stringify(buildpacks))
      assert.equal(answer.body.message, message)
    }
    // Judged by form as the installations are, and as many at most.
    const badForm = await api<{message: string}>('POST', '/apps/bps/builds', {source_blob: {url: blobUrl}, buildpacks: [{url: 'heroku/nodejs'}, {url: 'ftp://example.com/bp.tgz'}]})
    assert.equal(badForm.status, 422)
    assert.match(badForm.body.message, /^buildpacks\[1\]: /)
    const many = Array.from({length: 21}, (_, i) => ({url: `https://example.com/bp-${i}.tgz`}))
    const tooMany = await api<{message: string}>('POST', '/apps/bps/builds', {source_blob: {url: blobUrl}, buildpacks: many})
    assert.equal(tooMany.status, 422)
    assert.equal(tooMany.body.message, 'A build can use at most 20 buildpacks; 21 were given.')
    const {build: asked, created, output} = await build('bps', [{name: 'Procfile', body: 'web: x\n'}], {})
    assert.equal(asked.status, 'succeeded', output)
    assert.equal(created.buildpacks, null)

    const blob = await upload('bps', tgzOf([{name: 'Procfile', body: 'web: x\n'}]))
    const withPacks = await api<Build>('POST', '/apps/bps/builds', {source_blob: {url: blob}, buildpacks: [{url: 'https://example.com/bp.tgz', name: 'mine'}]})
    assert.deepEqual(withPacks.body.buildpacks, [{url: 'https://example.com/bp.tgz', name: 'https://example.com/bp.tgz'}])
    const failed = await waitFor(async () => {
      const {body} = await api<Build>('GET', `/apps/bps/builds/${withPacks.body.id}`)
      return body.status === 'pending' ? undefined : body
    }, {what: 'the build to finish'})
    assert.equal(failed.status, 'failed')
    assert.match(await (await fetch(withPacks.body.output_stream_url as string)).text(), /^! {6}This control plane cannot fetch buildpacks: it was started without a buildpack resolver\.$/m)
  })

  it("removes an app's build cache with the app, and at start a cache whose app is gone", async () => {
    const kept = await createApp('kept')
    const gone = await createApp('gone')
    for (const id of [kept.id, gone.id, 'no-such-app']) {
      mkdirSync(join(dataDir, 'cache', id, 'node_modules'), {recursive: true})
      writeFileSync(join(dataDir, 'cache', id, 'node_modules', 'x.js'), '')
    }
    mkdirSync(join(dataDir, 'builds', 'some-build.work', 'env'), {recursive: true})
    assert.equal((await api('DELETE', '/apps/gone')).status, 200)
    assert.deepEqual(readdirSync(join(dataDir, 'cache')).sort(), [kept.id, 'no-such-app'].sort())
    const restarted = new BuildService({store, runtime, dataDir, publicUrl: () => url})
    assert.deepEqual(readdirSync(join(dataDir, 'cache')), [kept.id])
    assert.equal(existsSync(join(dataDir, 'builds', 'some-build.work')), false, "a build's scratch space goes at start")
    await restarted.close()
  })

  it('.slugignore: gitignore patterns, anchored or not, directories, and nothing without the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tug-slugignore-'))
    try {
      for (const file of ['a.log', 'sub/b.log', 'sub/keep.txt', 'docs/x.md', 'sub/docs/y.md', 'top.psd', 'sub/top.psd']) {
        mkdirSync(join(dir, file, '..'), {recursive: true})
        writeFileSync(join(dir, file), 'x')
      }
      assert.deepEqual(applySlugignore(dir), {removed: 0, skipped: []})
      writeFileSync(join(dir, '.slugignore'), '# comment\n*.log\n/docs\n/top.psd\n\n')
      assert.deepEqual(applySlugignore(dir), {removed: 4, skipped: []})
      const left = (readdirSync(dir, {recursive: true}) as string[]).filter((p) => statSync(join(dir, p)).isFile()).sort()
      assert.deepEqual(left, ['.slugignore', 'sub/docs/y.md', 'sub/keep.txt', 'sub/top.psd'])
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
    assert.deepEqual([formatSize(10), formatSize(2048), formatSize(23.4 * 1024 * 1024), formatSize(3 * 1024 ** 3)], ['10B', '2K', '23.4M', '3.00G'])
  })
})
