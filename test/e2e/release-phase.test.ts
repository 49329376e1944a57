// Config changes and Ctrl-C against a real control plane whose app has a release phase: a config
// change is in effect when config:set returns (or it exits 1 and the old values stay), `tug config`
// says when a release is still pending, and Ctrl-C during a release phase says what goes on.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {Release} from '../../src/shared/api-types.js'
import {startControlPlane, type ControlPlane} from '../helpers/control-plane.js'
import {spawnTug} from '../helpers/tug-process.js'

const ACCEPT = 'application/vnd.heroku+json; version=3'

describe('e2e: the release phase of config changes, and Ctrl-C, against a real control plane', function () {
  this.timeout(120_000)
  let plane: ControlPlane
  let code: string

  before(async () => {
    plane = await startControlPlane()
    code = mkdtempSync(join(tmpdir(), 'tug-e2e-phase-'))
    // SLOW keeps the phase running long enough to look at it; FAIL makes it fail.
    writeFileSync(join(code, 'Procfile'), 'worker: sleep 600\nrelease: sleep "${SLOW:-0}"; echo "phase ran"; test -z "$FAIL" || exit 1\n')
  })

  after(async () => {
    await plane?.close()
    rmSync(code, {recursive: true, force: true})
  })

  async function releases(app: string): Promise<Release[]> {
    const response = await fetch(`${plane.url}/apps/${app}/releases`, {headers: {Accept: ACCEPT, Authorization: `Bearer ${plane.token}`}})
    assert.equal(response.status, 200)
    return (await response.json()) as Release[]
  }

  const env = (): Record<string, string> => ({HOME: plane.home, TUG_API_URL: plane.url, TUG_API_KEY: plane.token})

  it('config:set follows the release phase: a failed one exits 1 and the old values stay; a good one says done when current', async () => {
    assert.equal((await plane.run(['apps:create', 'cfg', '--no-remote'])).code, 0)
    assert.equal((await plane.run(['deploy', code, '-a', 'cfg'])).code, 0)
    assert.equal((await plane.run(['config:set', 'GREETING=hello', '-a', 'cfg'])).code, 0)

    const failed = await plane.run(['config:set', 'FAIL=1', 'GREETING=x', '-a', 'cfg'])
    assert.equal(failed.code, 1, failed.stderr)
    assert.match(failed.stdout, /^phase ran$/m, 'the phase output is shown')
    assert.match(failed.stderr, /^Setting FAIL, GREETING and restarting cfg\.\.\. (pending|failed), v4$/m)
    assert.match(failed.stderr, /^Error: The release phase of v4 on cfg failed, so v4 did not become current: the config change did not take effect\.\nIts output is in `tug logs -a cfg --dyno release`\./m)
    assert.doesNotMatch(failed.stderr, /deploy again/)

    const shown = await plane.run(['config', '-a', 'cfg', '--shell'])
    assert.equal(shown.code, 0, shown.stderr)
    assert.equal(shown.stdout, 'GREETING=hello\n', 'the values in effect are the old ones')
    assert.equal(shown.stderr, 'Release v4 failed its release phase, so its config vars are not in effect; these are the values of v3, the current release.\n')

    const waited = await plane.run(['ps:wait', '-a', 'cfg'])
    assert.equal(waited.code, 1)
    assert.match(waited.stderr, /The config change did not take effect/)

    const ok = await plane.run(['config:set', 'OK=1', '-a', 'cfg'])
    assert.equal(ok.code, 0, ok.stderr)
    assert.match(ok.stderr, /^Setting OK and restarting cfg\.\.\. pending, v5\nRunning release phase of v5\.\.\.\nWaiting for release v5\.\.\. done\n$/)
    assert.equal(ok.stdout, 'phase ran\nOK: 1\n')
    assert.equal((await releases('cfg')).find((r) => r.current)?.version, 5, 'current as soon as config:set has returned')
    assert.equal((await plane.run(['config', '-a', 'cfg', '--shell'])).stdout, 'GREETING=hello\nOK=1\n')
  })

  it('tug config says when a release is pending and shows the current values', async () => {
    assert.equal((await plane.run(['apps:create', 'pend', '--no-remote'])).code, 0)
    assert.equal((await plane.run(['deploy', code, '-a', 'pend'])).code, 0)
    const slow = spawnTug(['config:set', 'SLOW=20', '-a', 'pend'], env())
    try {
      await slow.waitFor(() => slow.stderr().includes('Running release phase of v3...'), 'the release phase of v3 to run', 60_000)
      const shown = await plane.run(['config', '-a', 'pend'])
      assert.equal(shown.code, 0, shown.stderr)
      assert.equal(shown.stderr, 'Release v3 is pending (release phase running); these are the values of v2, the current release.\npend has no config vars.\n')
      assert.equal(shown.stdout, '')
    } finally {
      await slow.stop()
    }
  })

  it('Ctrl-C during the release phase of tug deploy exits 130 with one line saying what goes on and how to follow it', async () => {
    assert.equal((await plane.run(['apps:create', 'intr', '--no-remote'])).code, 0)
    assert.equal((await plane.run(['config:set', 'SLOW=20', '-a', 'intr'])).code, 0)
    const deploy = spawnTug(['deploy', code, '-a', 'intr'], env())
    try {
      await deploy.waitFor(() => deploy.stderr().includes('Running release phase of v3...'), 'the release phase of v3 to run', 60_000)
      deploy.kill('SIGINT')
      const {code: exit} = await deploy.exited
      assert.equal(exit, 130)
      const stderr = deploy.stderr().split('\n')
      assert.equal(stderr.filter((line) => line.startsWith('Interrupted')).length, 1, deploy.stderr())
      assert.deepEqual(stderr.slice(-3), [
        'Running release phase of v3...',
        'Interrupted: the release phase of v3 goes on on the server; follow it with `tug releases:info v3 -a intr` or `tug logs -a intr --dyno release --tail`.',
        '',
      ])
      assert.equal((await releases('intr')).at(-1)?.status, 'pending', 'the phase went on')
    } finally {
      await deploy.stop()
    }
  })
})
