// The git endpoint (issue 15, item 5) on a real port, driven by the real `git`: authentication
// (401 with a Basic challenge, the API token as the password), an unknown app, the body cap, and
// the push rules of the pre-receive hook (a push to main builds and is accepted, a failed build or
// another branch is rejected and changes no ref and no release).
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {AddressInfo} from 'node:net'
import type {FastifyInstance} from 'fastify'

import type {App, Build, Release} from '../../src/shared/api-types.js'
import {buildApp} from '../../src/server/http/app.js'
import {LogRouter} from '../../src/server/logs/index.js'
import {ensureAdmin} from '../../src/server/index.js'
import {Store} from '../../src/server/store/index.js'
import {StoreOnlyRuntime} from '../helpers/store-only-runtime.js'
import {callApi} from './builds-api.js'

interface GitResult {
  code: number
  stdout: string
  stderr: string
}

const MAX_SOURCE_BYTES = 256 * 1024

describe('server/git: the smart HTTP endpoint and its pushes', function () {
  this.timeout(60_000)
  let dataDir: string
  let work: string
  let store: Store
  let runtime: StoreOnlyRuntime
  let server: FastifyInstance
  let url: string
  let token: string
  let appRecord: App

  /** git with no user configuration and no prompt (a missing credential fails instead of asking). */
  const git = (args: string[], cwd = work): Promise<GitResult> =>
    new Promise((resolve) => {
      const home = join(dataDir, 'git-home')
      mkdirSync(home, {recursive: true})
      execFile(
        'git',
        args,
        {cwd, env: {PATH: process.env.PATH, HOME: home, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', LANG: 'C', LC_ALL: 'C'}, timeout: 50_000},
        (error, stdout, stderr) => resolve({code: error ? Number((error as {code?: number}).code ?? 1) : 0, stdout, stderr}),
      )
    })

  const remoteUrl = (app: string, password = token): string => {
    const base = new URL(url)
    base.username = 'anyone'
    base.password = password
    base.pathname = `/${app}.git`
    return base.toString()
  }

  const api = <T>(method: string, path: string, body?: unknown): Promise<{status: number; body: T}> => callApi<T>(url, token, method, path, body)

  async function commit(files: Record<string, string>, message: string): Promise<string> {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(work, name), text)
    await git(['add', '-A'])
    const made = await git(['-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', message])
    assert.equal(made.code, 0, made.stderr)
    return (await git(['rev-parse', 'HEAD'])).stdout.trim()
  }

  /** The releases since the app's own v1 (Initial release). */
  const releases = async (): Promise<Release[]> => (await api<Release[]>('GET', `/apps/${appRecord.name}/releases`)).body.slice(1)
  const remoteHeads = async (): Promise<string> => (await git(['ls-remote', '--heads', remoteUrl(appRecord.name)])).stdout

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tug-git-'))
    work = join(dataDir, 'work')
    mkdirSync(work)
    store = new Store({path: join(dataDir, 'tug.db')})
    token = readFileSync(ensureAdmin(store, dataDir).tokenPath, 'utf8').trim()
    runtime = new StoreOnlyRuntime(store)
    server = await buildApp({store, runtime, logs: new LogRouter(), dataDir, publicUrl: () => url, builds: {maxSourceBytes: MAX_SOURCE_BYTES}})
    await server.listen({host: '127.0.0.1', port: 0})
    url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`
    appRecord = (await api<App>('POST', '/apps', {name: 'shop'})).body
    assert.equal((await git(['init', '-q', '-b', 'main'])).code, 0)
  })

  afterEach(async () => {
    await server?.close()
    await runtime?.close()
    store?.close()
    rmSync(dataDir, {recursive: true, force: true})
  })

  it('the apps git_url is the endpoint', () => {
    assert.equal(appRecord.git_url, `${url}/shop.git`)
  })

  it('asks for credentials with a Basic challenge, and refuses a wrong token with 401', async () => {
    const bare = await fetch(`${url}/shop.git/info/refs?service=git-receive-pack`)
    assert.equal(bare.status, 401)
    assert.equal(bare.headers.get('www-authenticate'), 'Basic realm="tug"')
    assert.match(await bare.text(), /API token as the password/)
    const wrong = await fetch(`${url}/shop.git/info/refs?service=git-receive-pack`, {headers: {Authorization: `Basic ${Buffer.from('me:nope').toString('base64')}`}})
    assert.equal(wrong.status, 401)
    assert.equal(wrong.headers.get('www-authenticate'), 'Basic realm="tug"')

    await commit({Procfile: 'web: node server.js\n'}, 'first')
    const noCredentials = await git(['push', `${url}/shop.git`, 'main'])
    assert.notEqual(noCredentials.code, 0)
    assert.match(noCredentials.stderr, /could not read Username|Authentication failed/)
    const wrongToken = await git(['push', remoteUrl('shop', 'not-a-token'), 'main'])
    assert.notEqual(wrongToken.code, 0)
    assert.match(wrongToken.stderr, /Authentication failed/)
    assert.deepEqual(await releases(), [])
    assert.equal(await remoteHeads(), '')
  })

  it('answers an unknown app with a message git shows', async () => {
    await commit({Procfile: 'web: node server.js\n'}, 'first')
    const pushed = await git(['push', remoteUrl('nope'), 'main'])
    assert.notEqual(pushed.code, 0)
    assert.match(pushed.stderr, /remote: No such app as nope/)
  })

  it('serves only the smart protocol', async () => {
    const dumb = await fetch(`${url}/shop.git/info/refs`, {headers: {Authorization: `Bearer ${token}`}})
    assert.equal(dumb.status, 403)
    assert.match(await dumb.text(), /smart HTTP/)
  })

  it('a push to main builds the commit and releases it; the output reaches git as remote: lines', async () => {
    const sha = await commit({Procfile: 'web: node server.js\n', 'server.js': '// app\n'}, 'first')
    const pushed = await git(['push', remoteUrl('shop'), 'main'])
    assert.equal(pushed.code, 0, pushed.stderr)
    assert.match(pushed.stderr, new RegExp(`remote: -----> Building main \\(${sha.slice(0, 8)}\\) on shop`))
    assert.match(pushed.stderr, /remote: .*Released v2/)
    assert.match(pushed.stderr, new RegExp(`remote: -----> Deployed ${sha.slice(0, 8)} to shop as v2`))
    const [release] = await releases()
    assert.equal(release?.description, `Deploy ${sha.slice(0, 8)}`)
    const builds = (await api<Build[]>('GET', '/apps/shop/builds')).body
    assert.equal(builds.length, 1)
    assert.equal(builds[0]?.status, 'succeeded')
    assert.match(await remoteHeads(), new RegExp(`^${sha}\\trefs/heads/main$`, 'm'))
    // What was deployed can be cloned back (upload-pack), as with heroku git:clone.
    const clone = join(dataDir, 'clone')
    const cloned = await git(['clone', '-q', remoteUrl('shop'), clone])
    assert.equal(cloned.code, 0, cloned.stderr)
    assert.equal(readFileSync(join(clone, 'server.js'), 'utf8'), '// app\n')

    // A force push is allowed, as on Heroku: it deploys the commit pushed.
    assert.equal((await git(['-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '--amend', '-m', 'amended'])).code, 0)
    const amended = (await git(['rev-parse', 'HEAD'])).stdout.trim()
    const forced = await git(['push', '--force', remoteUrl('shop'), 'main'])
    assert.equal(forced.code, 0, forced.stderr)
    assert.match(forced.stderr, /\+ \S+\.\.\.\S+ main -> main \(forced update\)/)
    assert.match(await remoteHeads(), new RegExp(`^${amended}\\trefs/heads/main$`, 'm'))
    assert.equal((await releases()).length, 2)
  })

  it('a failed build rejects the push: the ref stays and so does the release', async () => {
    const good = await commit({Procfile: 'web: node server.js\n'}, 'good')
    assert.equal((await git(['push', remoteUrl('shop'), 'main'])).code, 0)
    await commit({Procfile: 'this is not a procfile\n'}, 'broken')
    const pushed = await git(['push', remoteUrl('shop'), 'main'])
    assert.notEqual(pushed.code, 0)
    assert.match(pushed.stderr, /remote: !.*Procfile/)
    assert.match(pushed.stderr, /remote: ! {6}Push rejected to shop: the build failed/)
    assert.match(pushed.stderr, /pre-receive hook declined/)
    assert.match(await remoteHeads(), new RegExp(`^${good}\\trefs/heads/main$`, 'm'))
    const after = await releases()
    assert.equal(after.length, 1)
    assert.equal(store.apps.get(appRecord.id)?.current_release_id, after[0]?.id)
  })

  it('refuses a push to another branch, and the deletion of main, saying what to do', async () => {
    await commit({Procfile: 'web: node server.js\n'}, 'first')
    await git(['branch', 'feature'])
    const other = await git(['push', remoteUrl('shop'), 'feature'])
    assert.notEqual(other.code, 0)
    assert.match(other.stderr, /remote: ! {6}Pushed to feature: tug builds and deploys only the main or master branch/)
    assert.match(other.stderr, /remote: ! {6}Push your branch to main instead: git push tug feature:main/)
    assert.equal(await remoteHeads(), '')
    assert.deepEqual(await releases(), [])

    assert.equal((await git(['push', remoteUrl('shop'), 'feature:main'])).code, 0)
    const deleted = await git(['push', remoteUrl('shop'), ':main'])
    assert.notEqual(deleted.code, 0)
    assert.match(deleted.stderr, /remote: ! {6}Deleting main is not allowed/)
    assert.match(await remoteHeads(), /refs\/heads\/main/)
  })

  it('caps the request body at the source upload limit', async () => {
    const headers = {Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-git-receive-pack-request'}
    const declared = await fetch(`${url}/shop.git/git-receive-pack`, {method: 'POST', headers, body: Buffer.alloc(MAX_SOURCE_BYTES + 1)})
    assert.equal(declared.status, 413)
    assert.match(await declared.text(), new RegExp(`the limit is ${MAX_SOURCE_BYTES} bytes`))
    // A real push larger than the cap: git sends it chunked, without a length, so it is counted as it streams.
    await commit({Procfile: 'web: node server.js\n', 'big.bin': randomBytes(8 * MAX_SOURCE_BYTES).toString('base64')}, 'big')
    const pushed = await git(['push', remoteUrl('shop'), 'main'])
    assert.notEqual(pushed.code, 0)
    assert.match(pushed.stderr, /413/)
    assert.equal(await remoteHeads(), '')
    assert.deepEqual(await releases(), [])
  })

  it("refuses a hook call whose secret names no push", async () => {
    const response = await fetch(`${url}/git-hooks/pre-receive`, {
      method: 'POST',
      headers: {Authorization: 'Bearer made-up', 'Content-Type': 'application/json'},
      body: JSON.stringify({refs: `${'0'.repeat(40)} ${'1'.repeat(40)} refs/heads/main\n`}),
    })
    assert.equal(response.status, 404)
    assert.deepEqual(await releases(), [])
  })

  it("removes the app's repository with the app", async () => {
    await commit({Procfile: 'web: node server.js\n'}, 'first')
    assert.equal((await git(['push', remoteUrl('shop'), 'main'])).code, 0)
    const repo = join(dataDir, 'repos', `${appRecord.id}.git`)
    assert.ok(existsSync(join(repo, 'HEAD')))
    assert.equal((await api('DELETE', '/apps/shop')).status, 200)
    assert.ok(!existsSync(repo))
  })
})
