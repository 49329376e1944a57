// Builds with buildpacks end to end (issue 15): a real control plane with the sandbox on, the real
// `tug`, and the fixture buildpack test/fixtures/buildpacks/probe (shell scripts to Heroku's API),
// set on the app with `tug buildpacks:set` or given in the build body through the API.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

import type {App, Build, Release} from '../../src/shared/api-types.js'
import {appUid} from '../../src/server/runtime/sandbox.js'
import {startControlPlane, type ControlPlane} from '../helpers/control-plane.js'
import {pidsWithEnv} from '../helpers/proc.js'
import {waitFor} from '../helpers/wait-for.js'

const PROBE = resolve('test/fixtures/buildpacks/probe')
const ACCEPT = 'application/vnd.heroku+json; version=3'

describe('e2e: builds with buildpacks', function () {
  this.timeout(300_000)
  let plane: ControlPlane
  let source: string

  async function tug(args: string[]): Promise<{stdout: string; stderr: string}> {
    const result = await plane.run(args, {timeoutMs: 120_000})
    assert.equal(result.code, 0, `tug ${args.join(' ')}\n${result.stdout}\n${result.stderr}`)
    return result
  }

  async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(plane.url + path, {
      method,
      headers: {Accept: ACCEPT, Authorization: `Bearer ${plane.token}`, ...(body === undefined ? {} : {'Content-Type': 'application/json'})},
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`)
    return JSON.parse(text) as T
  }

  const currentRelease = async (app: string): Promise<Release> => {
    const releases = await api<Release[]>('GET', `/apps/${app}/releases`)
    return releases.find((r) => r.current) as Release
  }

  before(async () => {
    plane = await startControlPlane({env: {TUG_STOP_GRACE_MS: '3000'}, args: ['--router-port', '0', '--rendezvous-port', '0']})
    assert.match(plane.output(), /^Sandbox: +on/m)
    // A checkout with a commit (its id is the build's version), no web type, and notes .slugignore drops.
    source = mkdtempSync(join(tmpdir(), 'tug-e2e-bp-'))
    writeFileSync(join(source, 'Procfile'), 'worker: sleep 1000\n')
    writeFileSync(join(source, '.slugignore'), '# not for the slug\nsecret-notes/\n*.psd\n')
    mkdirSync(join(source, 'secret-notes'))
    writeFileSync(join(source, 'secret-notes', 'plan.txt'), 'do not ship\n')
    writeFileSync(join(source, 'big.psd'), 'x'.repeat(1000))
    const git = (...args: string[]): string => execFileSync('git', args, {cwd: source, encoding: 'utf8', env: {...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t'}})
    git('init', '-q')
    git('add', '-A')
    git('commit', '-q', '-m', 'app')
  })

  after(async () => {
    await plane?.close()
    if (source) rmSync(source, {recursive: true, force: true})
  })

  it("runs the app's buildpack as the app's uid without the data directory, streams it to tug deploy, fills web from its default types, and keeps its cache", async () => {
    await tug(['apps:create', 'probe', '--no-remote'])
    await tug(['config:set', `DATA=${plane.dataDir}`, '-a', 'probe'])
    await tug(['buildpacks:set', PROBE, '-a', 'probe'])
    const app = await api<App>('GET', '/apps/probe')

    const first = await tug(['deploy', source, '-a', 'probe'])
    const out = first.stdout
    assert.match(out, /^-----> Removed 2 paths that \.slugignore lists$/m)
    assert.match(out, /^-----> Probe app detected$/m)
    assert.match(out, new RegExp(`^ {7}uid=${appUid(app.id)} home=/app build=/app$`, 'm'), 'the build runs in the sandbox as the app')
    assert.match(out, /^ {7}data-dir:closed$/m)
    assert.match(out, /^ {7}slugignored:gone$/m, '.slugignore applies before the buildpacks')
    assert.match(out, /^ {7}cache run 1$/m)
    assert.match(out, /^ {7}Procfile declares types -> worker$/m)
    assert.match(out, /^ {7}Default types for buildpack -> web$/m)
    assert.match(out, /^ {7}Process types: worker \(sleep 1000\), web \(node web\.js\)$/m)
    assert.match(out, /^-----> Slug size: \d+(B|K)$/m)
    assert.match(first.stderr, /Released v\d+ on probe/)
    // The host agrees that the data directory is there: "closed" is the sandbox.
    assert.ok(statSync(plane.dataDir).isDirectory())

    const builds = await api<Build[]>('GET', '/apps/probe/builds')
    const build = builds.at(-1) as Build
    assert.equal(build.status, 'succeeded')
    assert.deepEqual(build.buildpacks, [{url: PROBE, name: PROBE}])
    assert.match(build.source_blob.checksum ?? '', /^SHA256:[0-9a-f]{64}$/)
    assert.equal(build.source_blob.version, execFileSync('git', ['rev-parse', 'HEAD'], {cwd: source, encoding: 'utf8'}).trim())

    // The web type comes from the buildpack, and its dyno serves what the buildpack wrote.
    const formation = await api<Array<{type: string; command: string; quantity: number}>>('GET', '/apps/probe/formation')
    assert.deepEqual(formation.map((f) => [f.type, f.command]).sort(), [['web', 'node web.js'], ['worker', 'sleep 1000']])
    const shown = await tug(['run', '-a', 'probe', '--no-tty', '--', 'cat built.txt; ls; stat -c %u built.txt'])
    const [builtLine, ...rest] = shown.stdout.trim().split('\n')
    assert.equal(builtLine, 'built by buildpack')
    assert.ok(!rest.includes('secret-notes') && !rest.includes('big.psd'), shown.stdout)
    assert.equal(rest.at(-1), String(appUid(app.id)), "the slug's files stay the app's")

    const second = await tug(['deploy', source, '-a', 'probe'])
    assert.match(second.stdout, /^ {7}cache run 2$/m, 'the cache is kept across builds')
  })

  it("a dyno's writes to its slug stay its own: not on disk, not seen by another dyno", async () => {
    const release = await currentRelease('probe')
    const changed = await tug(['run', '-a', 'probe', '--no-tty', '--', 'echo changed > built.txt && cat built.txt'])
    assert.equal(changed.stdout.trim(), 'changed')
    const again = await tug(['run', '-a', 'probe', '--no-tty', '--', 'cat built.txt'])
    assert.equal(again.stdout.trim(), 'built by buildpack')
    const builds = await api<Build[]>('GET', '/apps/probe/builds')
    const slugDir = join(plane.dataDir, 'releases', (await api<App>('GET', '/apps/probe')).id, (builds.at(-1) as Build).id)
    assert.equal(readFileSync(join(slugDir, 'built.txt'), 'utf8'), 'built by buildpack\n')
    assert.equal((await currentRelease('probe')).id, release.id)
  })

  it('a failing compile fails tug deploy with the reason and keeps the current release', async () => {
    await tug(['config:set', 'FAIL_BUILD=1', '-a', 'probe'])
    const before = await currentRelease('probe')
    const failed = await plane.run(['deploy', source, '-a', 'probe'], {timeoutMs: 120_000})
    assert.equal(failed.code, 1, failed.stdout + failed.stderr)
    assert.match(failed.stdout, /^ {7}failing as FAIL_BUILD asks$/m)
    assert.match(failed.stdout, /^! {6}Failed to compile Probe app: bin\/compile of .*probe exited with status 7\.$/m)
    assert.match(failed.stderr, /The build of probe failed: Failed to compile Probe app: bin\/compile of .*probe exited with status 7 \(build /)
    assert.equal((await currentRelease('probe')).id, before.id)
    await tug(['config:unset', 'FAIL_BUILD', '-a', 'probe'])
  })

  it("honours the build body's buildpacks, and refuses one that does not exist with the reason", async () => {
    await tug(['apps:create', 'bodybp', '--no-remote'])
    const tgz = join(mkdtempSync(join(tmpdir(), 'tug-e2e-bp-tgz-')), 'app.tgz')
    execFileSync('tar', ['czf', tgz, '-C', source, 'Procfile'])
    const blob = readFileSync(tgz)
    const build = async (buildpacks: Array<{url: string}>): Promise<{build: Build; output: string}> => {
      const made = await api<{source_blob: {get_url: string; put_url: string}}>('POST', '/apps/bodybp/sources')
      assert.equal((await fetch(made.source_blob.put_url, {method: 'PUT', body: blob})).status, 200)
      const created = await api<Build>('POST', '/apps/bodybp/builds', {source_blob: {url: made.source_blob.get_url}, buildpacks})
      assert.equal(created.source_blob.checksum, `SHA256:${createHash('sha256').update(blob).digest('hex')}`)
      assert.deepEqual(created.buildpacks, buildpacks.map(({url}) => ({url, name: url})))
      const output = await (await fetch(created.output_stream_url as string)).text()
      const done = await waitFor(async () => {
        const now = await api<Build>('GET', `/apps/bodybp/builds/${created.id}`)
        return now.status === 'pending' ? undefined : now
      }, {what: 'the build to finish', timeoutMs: 120_000})
      return {build: done, output}
    }
    const ok = await build([{url: PROBE}])
    assert.equal(ok.build.status, 'succeeded', ok.output)
    assert.match(ok.output, /^-----> Probe app detected$/m)
    assert.deepEqual(ok.build.buildpacks, [{url: PROBE, name: PROBE}])

    const missing = await build([{url: '/nonexistent/buildpack'}])
    assert.equal(missing.build.status, 'failed')
    assert.match(missing.output, /^! {6}.*\/nonexistent\/buildpack/m)
    rmSync(join(tgz, '..'), {recursive: true, force: true})
  })
})

describe('e2e: the build time limit (tug server --build-timeout)', function () {
  this.timeout(300_000)
  let plane: ControlPlane
  let source: string

  before(async () => {
    plane = await startControlPlane({args: ['--router-port', '0', '--rendezvous-port', '0', '--build-timeout', '3']})
    source = mkdtempSync(join(tmpdir(), 'tug-e2e-slow-'))
    writeFileSync(join(source, 'Procfile'), 'worker: sleep 1000\n')
  })

  after(async () => {
    await plane?.close()
    if (source) rmSync(source, {recursive: true, force: true})
  })

  it('kills a build at the limit, everything it started with it, and keeps the release', async () => {
    assert.equal((await plane.run(['apps:create', 'slow', '--no-remote'])).code, 0)
    assert.equal((await plane.run(['buildpacks:set', resolve('test/fixtures/buildpacks/slow'), '-a', 'slow'])).code, 0)
    const failed = await plane.run(['deploy', source, '-a', 'slow'], {timeoutMs: 120_000})
    assert.equal(failed.code, 1, failed.stdout + failed.stderr)
    assert.match(failed.stdout, /^-----> Compiling for ever$/m)
    assert.match(failed.stdout, /^! {6}Build timed out after 3 seconds\.$/m)
    assert.match(failed.stderr, /The build of slow failed: Build timed out after 3 seconds \(build /)
    // Nothing of the build runs on: no process carries its tag (the setsid'd sleeper neither).
    const builds = (await (await fetch(`${plane.url}/apps/slow/builds`, {headers: {Accept: ACCEPT, Authorization: `Bearer ${plane.token}`}})).json()) as Build[]
    const tag = `TUG_DYNO_ID=build-${(builds.at(-1) as Build).id}`
    assert.deepEqual(pidsWithEnv(tag), [])
    const releases = (await (await fetch(`${plane.url}/apps/slow/releases`, {headers: {Accept: ACCEPT, Authorization: `Bearer ${plane.token}`}})).json()) as Release[]
    assert.deepEqual(releases.map((r) => r.version), [1])
  })
})
