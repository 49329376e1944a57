// The buildpack runner (builds/buildpack-runner.ts) over the real local backend's build steps
// (runtime/build-step.ts), without and with the sandbox, with the fixture buildpacks of
// test/fixtures/buildpacks (shell scripts written to Heroku's API).
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

import type {ResolvedBuildpack} from '../../src/server/builds/buildpack-contract.js'
import {BuildpackError, formatDuration, runBuildpacks, type BuildpackRunOptions} from '../../src/server/builds/buildpack-runner.js'
import {parseReleaseYaml} from '../../src/server/builds/release-yaml.js'
import {LocalBackend} from '../../src/server/runtime/local-backend.js'
import {DYNO_ID_ENV} from '../../src/server/runtime/plane-tag.js'
import {liveProcesses, readEnviron} from '../../src/server/runtime/process-tree.js'
import {appUid, checkSandbox, Sandbox} from '../../src/server/runtime/sandbox.js'
import {withDeadline} from '../helpers/wait-for.js'

const FIXTURES = resolve('test/fixtures/buildpacks')
const DEADLINE_MS = 30_000

function fixture(name: string): ResolvedBuildpack {
  return {url: `https://buildpacks.example/${name}.tgz`, name: `fixture/${name}`, dir: join(FIXTURES, name)}
}

/** Live processes that carry a build's tag: what a build left running. */
function taggedWith(buildId: string): number[] {
  return (liveProcesses() ?? []).filter((p) => readEnviron(p.pid)?.get(DYNO_ID_ENV) === `build-${buildId}`).map((p) => p.pid)
}

for (const sandboxed of [false, true]) {
  describe(`builds/buildpack-runner ${sandboxed ? 'in the sandbox' : 'without the sandbox'}`, function () {
    this.timeout(60_000)
    let dir: string
    let dataDir: string
    let backend: LocalBackend
    let builds = 0
    let lines: string[]

    before(async function () {
      if (!sandboxed) return
      const check = await checkSandbox()
      // The sandbox needs root and bwrap; CI installs bubblewrap and runs as root.
      if (!check.ok) throw new Error(`the sandbox cannot run here: ${check.reason}`)
    })

    beforeEach(() => {
      dir = realpathSync(mkdtempSync(join(tmpdir(), 'tug-runner-')))
      dataDir = join(dir, 'data')
      mkdirSync(dataDir, {mode: 0o700})
      backend = new LocalBackend(sandboxed ? {sandbox: new Sandbox({dataDir})} : {})
      lines = []
    })

    afterEach(() => {
      rmSync(dir, {recursive: true, force: true})
    })

    /** A build directory with `files`, and the options of a run over it. */
    function build(files: Record<string, string>, overrides: Partial<BuildpackRunOptions> = {}): BuildpackRunOptions & {buildDir: string} {
      builds++
      const buildId = `b${builds}-${Date.now()}`
      const buildDir = join(dataDir, 'releases', 'app-1', buildId)
      mkdirSync(buildDir, {recursive: true})
      for (const [name, body] of Object.entries(files)) writeFileSync(join(buildDir, name), body)
      return {
        openBuild: (spec) => backend.openBuild(spec),
        appId: 'app-1',
        buildId,
        buildDir,
        cacheDir: join(dataDir, 'cache', 'app-1'),
        workDir: join(dataDir, 'builds', `${buildId}.work`),
        config: {},
        env: {STACK: 'heroku-24'},
        buildpacks: [],
        mode: 'first',
        timeoutMs: DEADLINE_MS,
        say: (line) => lines.push(line),
        ...overrides,
      }
    }

    it('runs the first built-in that detects, with the API\'s arguments, and reads its release YAML', async () => {
      const options = build({'hello.txt': 'hi\n'}, {buildpacks: [fixture('never'), fixture('hello'), fixture('fails')], config: {GREETING: 'hello world', EMPTY: ''}})
      const result = await withDeadline(runBuildpacks(options), DEADLINE_MS, 'the build')
      assert.deepEqual(result.used.map((b) => b.name), ['fixture/hello'])
      assert.deepEqual(result.defaultProcessTypes, {web: 'cat greeting; sleep 1000', worker: 'sleep 1000'})
      assert.equal(lines[0], '-----> Hello app detected', 'the name is the first line detect printed')
      assert.ok(!lines.some((l) => /Failing|About to fail|never applies/.test(l)), 'nothing after the first that applies runs, detect output is not shown')
      assert.ok(lines.includes('       env GREETING=hello world'), lines.join('\n'))
      assert.ok(lines.includes('       env EMPTY='), 'ENV_DIR has one file per config var, empty ones too')
      assert.ok(lines.includes('release talks on stderr'))
      assert.ok(lines.includes('       bin/release also asks for FROM_RELEASE: tug ignores these (use tug config:set and add-ons).'))

      const recorded = readFileSync(join(options.buildDir, 'compile-args'), 'utf8')
      const expected = sandboxed
        ? ['args: /app /cache /env', 'home: /app', `uid: ${appUid('app-1')}`, 'stack: heroku-24']
        : [`args: ${options.buildDir} ${options.cacheDir} ${join(options.workDir, 'env')}`, `home: ${options.buildDir}`, `uid: ${process.getuid?.()}`, 'stack: heroku-24']
      assert.deepEqual(recorded.trimEnd().split('\n'), expected)
      assert.equal(readFileSync(join(options.buildDir, 'greeting'), 'utf8'), 'hi\n', 'compile wrote into the build directory')
      assert.equal(existsSync(options.workDir), false, 'ENV_DIR and the buildpack copies are gone')
    })

    it('streams compile output as it comes, stdout and stderr', async () => {
      const options = build({'hello.txt': 'hi\n', 'wait-for-go': ''}, {buildpacks: [fixture('hello')]})
      // compile waits for the file go after its first line: only a streamed line lets it go on.
      options.say = (line) => {
        lines.push(line)
        if (line === '-----> Saying hello') writeFileSync(join(options.buildDir, 'go'), '')
      }
      await withDeadline(runBuildpacks(options), DEADLINE_MS, 'the build')
      const first = lines.indexOf('-----> Saying hello')
      assert.ok(first >= 0 && first < lines.indexOf('to stderr') && lines.indexOf('to stderr') < lines.indexOf('       build number 1'), lines.join('\n'))
      assert.ok(existsSync(join(options.buildDir, 'go')))
      // The compile did not wait for its 10 s limit: the go file came while it ran.
      assert.ok(!lines.includes('timed out'))
    })

    it('keeps CACHE_DIR across builds of the app', async () => {
      await runBuildpacks(build({'hello.txt': 'a'}, {buildpacks: [fixture('hello')]}))
      await runBuildpacks(build({'hello.txt': 'b'}, {buildpacks: [fixture('hello')]}))
      assert.deepEqual(lines.filter((l) => /build number/.test(l)), ['       build number 1', '       build number 2'])
      if (sandboxed) assert.equal(readdirSync(join(dataDir, 'cache', 'app-1')).length, 1)
    })

    it('runs every buildpack of a set list, sources the export files, and takes the last one\'s process types', async () => {
      const options = build({}, {buildpacks: [fixture('exporter'), fixture('reader')], mode: 'all'})
      const result = await runBuildpacks(options)
      assert.deepEqual(result.used.map((b) => b.name), ['fixture/exporter', 'fixture/reader'])
      assert.deepEqual(lines, ['-----> Exporter app detected', '-----> Exported FROM_FIRST', '-----> Reader app detected', '       FROM_FIRST=exported'])
      assert.deepEqual(result.defaultProcessTypes, {web: 'from-reader', worker: 'work'}, 'the last buildpack decides, the first one\'s clock is dropped')
      assert.equal(existsSync(join(FIXTURES, 'exporter', 'export')), false, 'the buildpack itself is never written: each build runs a copy')
    })

    it('fails a set list whose buildpack does not apply, naming it, before any compile', async () => {
      const options = build({'hello.txt': 'x'}, {buildpacks: [fixture('hello'), fixture('never')], mode: 'all'})
      await assert.rejects(runBuildpacks(options), (error: Error) => {
        assert.ok(error instanceof BuildpackError)
        assert.equal(error.message, 'App not compatible with buildpack: https://buildpacks.example/never.tgz (its bin/detect exited with status 1).')
        return true
      })
      assert.deepEqual(lines, [])
      assert.equal(existsSync(join(options.buildDir, 'greeting')), false)
    })

    it('fails on a compile that exits non-zero, after its output', async () => {
      const options = build({}, {buildpacks: [fixture('fails')]})
      await assert.rejects(runBuildpacks(options), {message: 'Failed to compile Failing app: bin/compile of https://buildpacks.example/fails.tgz exited with status 3.'})
      assert.deepEqual(lines.slice(0, 1), ['-----> Failing app detected'])
      assert.ok(lines.includes('-----> About to fail') && lines.includes('npm ERR! something broke'))
    })

    it('kills everything at the time limit, a process that left the group too, and says so', async () => {
      const options = build({}, {buildpacks: [fixture('slow')], timeoutMs: 1500})
      options.say = (line) => lines.push(line)
      const started = Date.now()
      await assert.rejects(withDeadline(runBuildpacks(options), DEADLINE_MS, 'the timed out build'), {message: 'Build timed out after 1.5 seconds.'})
      assert.ok(Date.now() - started < 10_000)
      assert.ok(lines.includes('-----> Compiling for ever'))
      assert.deepEqual(taggedWith(options.buildId), [], 'nothing of the build runs on')
      assert.equal(existsSync(options.workDir), false)
    })

    it('kills the build when the control plane stops', async () => {
      const stop = new AbortController()
      const options = build({}, {buildpacks: [fixture('slow')], signal: stop.signal})
      options.say = (line) => {
        lines.push(line)
        if (line === '-----> Compiling for ever') stop.abort()
      }
      await assert.rejects(withDeadline(runBuildpacks(options), DEADLINE_MS, 'the stopped build'), {message: 'The control plane stopped during the build.'})
      assert.deepEqual(taggedWith(options.buildId), [])
    })
  })
}

describe('builds/buildpack-runner: release YAML and wording', () => {
  it('reads default_process_types in block and flow style, with quotes and comments', () => {
    assert.deepEqual(
      parseReleaseYaml('---\naddons:\n  - heroku-postgresql:mini\nconfig_vars:\n  LANG: en_US.UTF-8\ndefault_process_types:\n  web: bundle exec puma -p $PORT # the server\n  "worker": \'rake jobs:work\'\n  quoted: "say \\"hi\\" # not a comment"\n'),
      {
        defaultProcessTypes: {web: 'bundle exec puma -p $PORT', worker: 'rake jobs:work', quoted: 'say "hi" # not a comment'},
        configVars: ['LANG'],
        addons: ['heroku-postgresql:mini'],
      },
    )
    assert.deepEqual(parseReleaseYaml('--- {}').defaultProcessTypes, {})
    assert.deepEqual(parseReleaseYaml('').defaultProcessTypes, {})
    assert.deepEqual(parseReleaseYaml('default_process_types: {web: "node a.js, b", it: \'x\'}\naddons: []\n'), {defaultProcessTypes: {web: 'node a.js, b', it: 'x'}, configVars: [], addons: []})
    assert.deepEqual(parseReleaseYaml('default_process_types:\n').defaultProcessTypes, {})
  })

  it('says which line it cannot read', () => {
    assert.throws(() => parseReleaseYaml('default_process_types:\n  web: |\n    node a.js\n'), /line 2: block scalars are not supported/)
    assert.throws(() => parseReleaseYaml('default_process_types:\n  web\n'), /line 2: expected "key: value"/)
    assert.throws(() => parseReleaseYaml('default_process_types: web\n'), /line 1: default_process_types should be a mapping or a list/)
  })

  it('words the time limit', () => {
    assert.equal(formatDuration(15 * 60_000), '15 minutes')
    assert.equal(formatDuration(60_000), '1 minute')
    assert.equal(formatDuration(1500), '1.5 seconds')
  })
})
