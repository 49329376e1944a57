import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import nock from 'nock'

import Deploy from '../../../src/commands/deploy.js'
import type {Build} from '../../../src/shared/api-types.js'
import {API, runCommand, useNock} from '../../helpers/capture.js'
import {dyno, release} from '../../helpers/fixtures.js'

const BUILD_ID = '00000000-0000-0000-0000-00000000b001'
const RELEASE_ID = release(9).id

function build(status: Build['status'], fields: Partial<Build> = {}): Build {
  return {
    app: {id: '00000000-0000-0000-0000-000000000001'},
    buildpacks: null,
    created_at: '2026-11-27T11:15:29Z',
    id: BUILD_ID,
    output_stream_url: `${API}/streams/builds/${BUILD_ID}`,
    release: status === 'succeeded' ? {id: RELEASE_ID} : null,
    slug: null,
    source_blob: {checksum: null, url: 'http://blob.test/get/1', version: null, version_description: null},
    stack: 'heroku-24',
    status,
    updated_at: '2026-11-27T11:15:29Z',
    user: {id: '00000000-0000-0000-0000-0000000000ee', email: 'you@example.com'},
    ...fields,
  }
}

describe('deploy', () => {
  let dir: string

  useNock()
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tug-deploy-'))
    writeFileSync(join(dir, 'Procfile'), 'web: node server.js\n')
    writeFileSync(join(dir, 'server.js'), 'console.log("hi")\n')
    writeFileSync(join(dir, 'secret.log'), 'ignored\n')
    writeFileSync(join(dir, '.gitignore'), '*.log\n')
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  function source(): void {
    nock(API).post('/apps/shop/sources').reply(201, {source_blob: {get_url: 'http://blob.test/get/1', put_url: 'http://blob.test/put/1'}})
  }

  it('packs, uploads, builds, streams the output and prints the release', async () => {
    source()
    let uploaded: Buffer | undefined
    nock('http://blob.test', {badheaders: ['authorization']})
      .put('/put/1', (body: unknown) => {
        uploaded = Buffer.from(body as string, 'hex')
        return true
      })
      .reply(200)
    nock(API).post('/apps/shop/builds', {source_blob: {url: 'http://blob.test/get/1'}}).reply(201, build('pending'))
    nock(API).get(`/streams/builds/${BUILD_ID}`).reply(200, 'data: -----> Building on the Heroku-24 stack\n\ndata: -----> Launching...\n\n', {'Content-Type': 'text/event-stream'})
    nock(API).get(`/apps/shop/builds/${BUILD_ID}`).reply(200, build('pending'))
    nock(API).get(`/apps/shop/builds/${BUILD_ID}`).reply(200, build('succeeded'))
    nock(API).get(`/apps/shop/releases/${RELEASE_ID}`).reply(200, release(9))
    const result = await runCommand(Deploy, [dir, '-a', 'shop'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout, '-----> Building on the Heroku-24 stack\n-----> Launching...\n')
    const lines = result.stderr.split('\n')
    assert.match(lines[0] ?? '', new RegExp(`^Packing ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.\\.\\. done, 3 files \\(\\d+ B\\)$`))
    assert.deepEqual(lines.slice(1), ['Uploading source... done', `Building shop... started, build ${BUILD_ID}`, 'Released v9 on shop', ''])
    assert.equal(result.slept, 1000)
    assert.ok(uploaded, 'the tarball was uploaded')
    const tar = gunzipSync(uploaded).toString('latin1')
    assert.ok(tar.includes('Procfile') && tar.includes('server.js'))
    assert.ok(!tar.includes('secret.log'), '.gitignore is honoured')
  })

  it('sends the checked-out commit as the source version in a git work tree, marked -dirty with uncommitted changes', async () => {
    execFileSync('git', ['init', '-q', dir])
    execFileSync('git', ['add', '.'], {cwd: dir})
    execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '-m', 'x'], {cwd: dir})
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], {cwd: dir, encoding: 'utf8'}).trim()
    for (const version of [sha, `${sha}-dirty`]) {
      if (version !== sha) writeFileSync(join(dir, 'server.js'), 'console.log("changed")\n')
      source()
      nock('http://blob.test').put('/put/1').reply(200)
      nock(API).post('/apps/shop/builds', {source_blob: {url: 'http://blob.test/get/1', version}}).reply(201, build('succeeded', {output_stream_url: null}))
      nock(API).get(`/apps/shop/releases/${RELEASE_ID}`).reply(200, release(9))
      const result = await runCommand(Deploy, [dir, '-a', 'shop'])
      assert.equal(result.code, 0, result.stderr)
      assert.equal(result.stdout, '')
      assert.equal(result.slept, 0)
    }
  })

  it('exits 1 when the build fails, after showing its output', async () => {
    source()
    nock('http://blob.test').put('/put/1').reply(200)
    nock(API).post('/apps/shop/builds').reply(201, build('pending'))
    nock(API).get(`/streams/builds/${BUILD_ID}`).reply(200, 'Procfile line 3: unmatched line\n', {'Content-Type': 'text/plain'})
    nock(API).get(`/apps/shop/builds/${BUILD_ID}`).reply(200, build('failed'))
    const result = await runCommand(Deploy, [dir, '-a', 'shop'])
    assert.equal(result.code, 1)
    assert.equal(result.stdout, 'Procfile line 3: unmatched line\n')
    assert.ok(result.stderr.endsWith(`Error: The build of shop failed (build ${BUILD_ID}).\nThe build output above says why.\n`), result.stderr)
  })

  it('says why the build failed, from the first line its output marks with !', async () => {
    source()
    nock('http://blob.test').put('/put/1').reply(200)
    nock(API).post('/apps/shop/builds').reply(201, build('pending'))
    const output = '-----> Probe app detected\n!      Failed to compile Probe app: bin/compile of /bp exited with status 7.\n!      Build failed: the current release is unchanged.\n'
    nock(API).get(`/streams/builds/${BUILD_ID}`).reply(200, output, {'Content-Type': 'text/plain'})
    nock(API).get(`/apps/shop/builds/${BUILD_ID}`).reply(200, build('failed'))
    const result = await runCommand(Deploy, [dir, '-a', 'shop'])
    assert.equal(result.code, 1)
    assert.equal(result.stdout, output)
    assert.ok(result.stderr.endsWith(`Error: The build of shop failed: Failed to compile Probe app: bin/compile of /bp exited with status 7 (build ${BUILD_ID}).\nThe build output above says why.\n`), result.stderr)
  })

  /**
   * The release phase's log: an earlier phase's lines first, then release.2's (v9's). With
   * `listed`, the dyno list names release.2 as v9's phase and the session asks for it alone.
   */
  function releaseLog(last: string, listed: boolean): void {
    nock(API).get('/apps/shop/dynos').reply(200, listed ? [dyno('release.2', {type: 'release', release: {id: RELEASE_ID, version: 9}})] : [])
    nock(API).post('/apps/shop/log-sessions', {dyno: listed ? 'release.2' : 'release', lines: 1500, tail: true}).reply(201, {logplex_url: `${API}/streams/logs/r1`})
    const lines = [
      '2026-11-27T11:10:00.000001+00:00 tug[release.1]: Starting process with command `./migrate`',
      '2026-11-27T11:10:00.100000+00:00 app[release.1]: an earlier release phase',
      '2026-11-27T11:10:01.000000+00:00 tug[release.1]: Release v8 succeeded and is now current',
      '2026-11-27T11:15:30.000001+00:00 tug[release.2]: Starting process with command `./migrate`',
      '2026-11-27T11:15:30.100000+00:00 app[release.2]: migrating',
      '2026-11-27T11:15:30.200000+00:00 app[release.2]: migrated',
      '2026-11-27T11:15:30.300000+00:00 tug[release.2]: Process exited with status 0',
      `2026-11-27T11:15:30.300001+00:00 tug[release.2]: ${last}`,
      '2026-11-27T11:15:31.000000+00:00 app[release.2]: never printed: after the phase ended',
    ]
    nock(API).get('/streams/logs/r1').reply(200, lines.map((l, i) => `id: ${i + 1}\ndata: ${l}\n\n`).join(''), {'Content-Type': 'text/event-stream'})
  }

  it('shows the release phase output and waits for it, so the release is current when it returns', async () => {
    source()
    nock('http://blob.test').put('/put/1').reply(200)
    nock(API).post('/apps/shop/builds').reply(201, build('succeeded', {output_stream_url: null}))
    nock(API).get(`/apps/shop/releases/${RELEASE_ID}`).times(2).reply(200, release(9, {status: 'pending'}))
    nock(API).get(`/apps/shop/releases/${RELEASE_ID}`).reply(200, release(9, {current: true}))
    releaseLog('Release v9 succeeded and is now current', false)
    const result = await runCommand(Deploy, [dir, '-a', 'shop'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout, 'migrating\nmigrated\n')
    assert.deepEqual(result.stderr.split('\n').slice(-4), ['Running release phase of v9...', 'Waiting for release v9... done', 'Released v9 on shop', ''])
    assert.equal(result.slept, 2000, 'polled once a second')
  })

  it('warns when the release passed its release phase but a rollback made another current meanwhile', async () => {
    source()
    nock('http://blob.test').put('/put/1').reply(200)
    nock(API).post('/apps/shop/builds').reply(201, build('succeeded', {output_stream_url: null}))
    nock(API).get(`/apps/shop/releases/${RELEASE_ID}`).reply(200, release(9, {status: 'pending'}))
    nock(API).get(`/apps/shop/releases/${RELEASE_ID}`).reply(200, release(9, {current: false}))
    releaseLog('Release v9 succeeded, but v10 became current meanwhile and stays current', true)
    const result = await runCommand(Deploy, [dir, '-a', 'shop'])
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(result.stderr.split('\n').slice(-4), [
      'Waiting for release v9... done',
      'Warning: v9 passed its release phase, but another release became current meanwhile (a rollback); `tug releases -a shop` shows which.',
      'Released v9 on shop',
      '',
    ])
  })

  it('exits 1 when the release phase fails, after its output, naming where to read it again', async () => {
    source()
    nock('http://blob.test').put('/put/1').reply(200)
    nock(API).post('/apps/shop/builds').reply(201, build('succeeded', {output_stream_url: null}))
    nock(API).get(`/apps/shop/releases/${RELEASE_ID}`).reply(200, release(9, {status: 'pending'}))
    nock(API).get(`/apps/shop/releases/${RELEASE_ID}`).reply(200, release(9, {status: 'failed'}))
    releaseLog('Release v9 failed: the release command exited with status 4; v8 stays current', true)
    const result = await runCommand(Deploy, [dir, '-a', 'shop'])
    assert.equal(result.code, 1)
    assert.equal(result.stdout, 'migrating\nmigrated\n')
    assert.ok(
      result.stderr.endsWith(
        'Running release phase of v9...\nWaiting for release v9... failed\nError: The release phase of v9 on shop failed, so v9 did not become current.\nIts output is in `tug logs -a shop --dyno release`.\n',
      ),
      result.stderr,
    )
  })

  it('fails with the status when the upload is refused', async () => {
    source()
    nock('http://blob.test').put('/put/1').reply(413, {id: 'request_entity_too_large', message: 'The source is too large.'})
    const result = await runCommand(Deploy, [dir, '-a', 'shop'])
    assert.equal(result.code, 1)
    assert.ok(result.stderr.endsWith('Uploading source... !\nError: HTTP 413 from PUT /put/1\n'), result.stderr)
  })

  it('is a usage error when DIR is not a directory, before any request', async () => {
    const result = await runCommand(Deploy, [join(dir, 'missing'), '-a', 'shop'])
    assert.equal(result.code, 2)
    assert.equal(result.stderr, `Error: ${join(dir, 'missing')} is not a directory.\n`)
  })

  it('needs an app', async () => {
    const result = await runCommand(Deploy, [dir])
    assert.equal(result.code, 2)
    assert.equal(result.stderr, 'Error: No app specified. Use -a APP or set TUG_APP.\n')
  })
})
