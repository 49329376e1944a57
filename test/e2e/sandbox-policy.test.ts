// The sandbox policy (issue 14, item 3), with the real binary: `tug server` refuses to run apps
// without the sandbox unless told --no-sandbox, says which it does at start and in server:status,
// and the embedded control plane goes without it when bubblewrap is missing, saying so once.
// "Missing" is a PATH without bwrap: the server is node started by its absolute path.
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {killServerOf, runTug, startControlPlane} from '../helpers/control-plane.js'

describe('e2e: the sandbox policy of tug server', function () {
  this.timeout(120_000)
  let dir: string
  /** A PATH with no bwrap (nor anything else). */
  let noBwrap: string

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tug-e2e-policy-'))
    noBwrap = join(dir, 'empty-bin')
    mkdirSync(noBwrap)
  })

  afterEach(() => {
    killServerOf(join(dir, 'tug-home'))
    rmSync(dir, {recursive: true, force: true})
  })

  it('refuses to start without bubblewrap, saying how to install it or to pass --no-sandbox, and writes nothing', async () => {
    const dataDir = join(dir, 'data')
    const result = await runTug(['server', '--port', '0', '--data-dir', dataDir], {env: {PATH: noBwrap, HOME: dir}})
    assert.equal(result.code, 1, result.stdout + result.stderr)
    assert.match(result.stderr, /Cannot run apps in the sandbox: bubblewrap \(bwrap\) is not installed\./)
    assert.match(result.stderr, /apt-get install bubblewrap/)
    assert.match(result.stderr, /--no-sandbox/)
    assert.doesNotMatch(result.stdout, /listening/)
    assert.equal(existsSync(join(dataDir, 'server.json')), false)
    assert.equal(existsSync(join(dataDir, 'tug.db')), false)
  })

  it('with --no-sandbox it runs, says so at start and in server:status, and apps run unsandboxed', async () => {
    const plane = await startControlPlane({args: ['--no-sandbox']})
    try {
      assert.match(plane.output(), /^Sandbox: +off: apps run as this user and can read the data directory \(--no-sandbox\)$/m)
      const status = await plane.run(['server:status', '--data-dir', plane.dataDir])
      assert.equal(status.code, 0, status.stderr)
      assert.match(status.stdout, /^Sandbox: +off/m)
      const json = await plane.run(['server:status', '--data-dir', plane.dataDir, '--json'])
      assert.equal((JSON.parse(json.stdout) as {sandbox?: boolean}).sandbox, false)
      // What the sandbox would refuse, to show it really is off.
      assert.equal((await plane.run(['apps:create', 'open', '--no-remote'])).code, 0)
      const code = mkdtempSync(join(dir, 'code-'))
      writeFileSync(join(code, 'Procfile'), 'worker: sleep 1000\n')
      assert.equal((await plane.run(['deploy', code, '-a', 'open'], {timeoutMs: 90_000})).code, 0)
      const seen = await plane.run(['run', '-a', 'open', '--no-tty', '--', `test -r ${join(plane.dataDir, 'admin-token')} && echo readable`], {timeoutMs: 60_000})
      assert.equal(seen.stdout.trim(), 'readable', seen.stderr)
    } finally {
      await plane.close()
    }
  })

  it('the embedded control plane runs without bubblewrap and says once, on stderr, how to install it', async () => {
    const env = {HOME: dir, TUG_HOME: join(dir, 'tug-home'), PATH: noBwrap}
    const first = await runTug(['apps'], {env, timeoutMs: 60_000})
    assert.equal(first.code, 0, first.stderr)
    const notes = first.stderr.match(/^Apps run without the sandbox: .*$/gm) ?? []
    assert.deepEqual(notes, [
      'Apps run without the sandbox: bubblewrap (bwrap) is not installed. Install bubblewrap (apt-get install bubblewrap) and run tug server as root, or pass --no-sandbox to run apps you trust without it.',
    ])
    const second = await runTug(['apps'], {env, timeoutMs: 60_000})
    assert.equal(second.code, 0, second.stderr)
    assert.doesNotMatch(second.stderr, /without the sandbox/)
    const status = await runTug(['server:status', '--json'], {env})
    assert.equal((JSON.parse(status.stdout) as {sandbox?: boolean}).sandbox, false)
  })
})
