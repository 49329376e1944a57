// Issue 19: bin/run.js runs a command of tug's own through its hot path (src/lib/cli/hot-path.ts)
// instead of oclif's Config.load. Against a real control plane, each invocation here gives the same
// stdout, stderr and exit code through the hot path as through oclif's path (TUG_NO_HOT_PATH=1):
// output, --json, usage errors, API errors, and what falls back to oclif (help, a typo, an alias).
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {ROOT, startControlPlane, type ControlPlane} from '../helpers/control-plane.js'

const INVOCATIONS = [
  ['ps', '-a', 'hot'],
  ['ps', '-a', 'hot', '--json'],
  ['config:get', 'FOO', '-a', 'hot'],
  ['config', '-a', 'hot', '--json'],
  ['releases', '-a', 'hot', '--json'],
  ['ps:scale', 'web=0', '-a', 'hot'],
  ['apps:info', '-a', 'nope'],
  ['apps:info', '-a', 'nope', '--json'],
  ['ps'],
  ['config:get'],
  ['ps', '--bogus', '-a', 'hot'],
  ['ps:scale', 'web=x', '-a', 'hot'],
  ['ps', '--help'],
  ['pss', '-a', 'hot'],
  ['rollback', '--help'],
  ['--version'],
]

describe('e2e: the CLI hot path answers as oclif does (issue 19)', function () {
  this.timeout(120_000)
  let plane: ControlPlane
  let cwd: string

  before(async () => {
    plane = await startControlPlane()
    // Outside a git checkout, so that no command finds an app from a git remote.
    cwd = mkdtempSync(join(tmpdir(), 'tug-hot-path-'))
    for (const args of [
      ['apps:create', 'hot', '--no-remote'],
      ['config:set', 'FOO=bar', '-a', 'hot'],
    ]) {
      const result = await plane.run(args, {cwd})
      assert.equal(result.code, 0, `tug ${args.join(' ')}: ${result.stderr}`)
    }
  })
  after(async () => {
    await plane?.close()
    if (cwd) rmSync(cwd, {recursive: true, force: true})
  })

  for (const args of INVOCATIONS) {
    it(`tug ${args.join(' ')}`, async () => {
      const hot = await plane.run(args, {cwd})
      const oclif = await plane.run(args, {cwd, env: {TUG_NO_HOT_PATH: '1'}})
      assert.deepEqual({code: hot.code, stdout: hot.stdout, stderr: hot.stderr}, {code: oclif.code, stdout: oclif.stdout, stderr: oclif.stderr})
    })
  }

  it('ships the code-cached bundles as ASCII (their loader reads them as latin1) and a hot-cli.js that imports nothing', () => {
    const chunks = join(ROOT, 'dist', 'lib', 'chunks')
    for (const name of ['hot-cli.cjs', 'oclif-core.cjs']) {
      assert.equal(readFileSync(join(chunks, name)).findIndex((byte) => byte > 0x7f), -1, `${name} has a byte that is not ASCII`)
    }
    assert.doesNotMatch(readFileSync(join(chunks, 'hot-cli.js'), 'utf8'), /^import\b|\bfrom\s*["']|\bimport\s*["']/m)
  })

  it('runs a command without reading the manifest, and oclif reads it (the hot path is taken)', async () => {
    const reads = join(cwd, 'reads.txt')
    const preload = {NODE_OPTIONS: `--import=${pathToFileURL(join(ROOT, 'test', 'fixtures', 'cli', 'record-reads.mjs')).href}`, TUG_TEST_READS: reads}
    const manifestRead = async (env: Record<string, string>): Promise<boolean> => {
      const result = await plane.run(['ps', '-a', 'hot'], {cwd, env: {...preload, ...env}})
      assert.equal(result.code, 0, result.stderr)
      return readFileSync(reads, 'utf8').split('\n').some((path) => path.endsWith('oclif.manifest.json'))
    }
    assert.equal(await manifestRead({}), false)
    assert.equal(await manifestRead({TUG_NO_HOT_PATH: '1'}), true)
  })

  // oclif's parser reads stdin for a missing optional argument when stdin is not a terminal; the
  // hot path skips that read when stdin is /dev/null, where it can only give nothing.
  it('takes a missing argument from piped stdin (`echo web | tug ps`), both ways', async () => {
    for (const env of [{}, {TUG_NO_HOT_PATH: '1'}]) {
      const result = await plane.run(['ps', '-a', 'hot'], {cwd, env, input: 'web\n'})
      assert.deepEqual({code: result.code, stdout: result.stdout, stderr: result.stderr}, {code: 0, stdout: '', stderr: 'No web dynos on hot.\n'}, JSON.stringify(env))
    }
  })

  it('answers as oclif does with stdin /dev/null, without loading node:readline to read it', async () => {
    const builtins = join(cwd, 'builtins.txt')
    const preload = {NODE_OPTIONS: `--import=${pathToFileURL(join(ROOT, 'test', 'fixtures', 'cli', 'record-builtins.mjs')).href}`, TUG_TEST_BUILTINS: builtins}
    const run = async (env: Record<string, string>) => {
      const result = await plane.run(['ps', '-a', 'hot'], {cwd, env: {...preload, ...env}, input: null})
      return {result: {code: result.code, stdout: result.stdout, stderr: result.stderr}, readline: readFileSync(builtins, 'utf8').split('\n').includes('readline')}
    }
    const hot = await run({})
    const oclif = await run({TUG_NO_HOT_PATH: '1'})
    assert.deepEqual(hot.result, {code: 0, stdout: '', stderr: 'No dynos on hot.\n'})
    assert.deepEqual(hot.result, oclif.result)
    assert.equal(hot.readline, false, 'the hot path loaded node:readline')
    assert.equal(oclif.readline, true, "oclif's path did not read stdin: the check above proves nothing")
  })
})
