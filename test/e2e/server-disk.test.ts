// `tug server` and its data directory (issue 14, item 4): it refuses another user's directory,
// and --keep-releases bounds the release code it keeps.
import assert from 'node:assert/strict'
import {chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {runTug, startControlPlane, type ControlPlane} from '../helpers/control-plane.js'

const ACCEPT = 'application/vnd.heroku+json; version=3'

describe('e2e: tug server, its data directory and its disk', function () {
  this.timeout(60_000)
  const dirs: string[] = []
  let plane: ControlPlane | undefined

  afterEach(async () => {
    await plane?.close()
    plane = undefined
    while (dirs.length > 0) rmSync(dirs.pop() as string, {recursive: true, force: true})
  })

  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'tug-e2e-disk-'))
    dirs.push(dir)
    return dir
  }

  it("refuses a data directory that belongs to another user, exits 1 and leaves it as it was", async () => {
    const uid = process.getuid?.()
    // Giving a directory away needs root, which CI and this project's machines run tests as.
    assert.equal(uid, 0, 'this test runs as root')
    const dataDir = join(tempDir(), 'srv-tug')
    mkdirSync(dataDir)
    chmodSync(dataDir, 0o755)
    chownSync(dataDir, 65_534, 65_534)
    const result = await runTug(['server', '--port', '0', '--data-dir', dataDir], {env: {HOME: tempDir()}})
    assert.equal(result.code, 1, result.stderr)
    assert.match(result.stderr, new RegExp(`The data directory ${dataDir} belongs to uid 65534, not to the user running the control plane \\(uid 0\\)`))
    assert.deepEqual(readdirSync(dataDir), [])
    assert.equal(statSync(dataDir).mode & 0o7777, 0o755)
  })

  it('--keep-releases 1 (TUG_KEEP_RELEASES) keeps the code of the last release only; a rollback to older code says it was pruned', async () => {
    const refused = await runTug(['server', '--port', '0', '--keep-releases', '0', '--data-dir', join(tempDir(), 'home')], {env: {HOME: tempDir()}})
    assert.equal(refused.code, 2)
    assert.match(refused.stderr, /keep-releases/)

    plane = await startControlPlane({env: {TUG_KEEP_RELEASES: '1'}})
    const code = tempDir()
    assert.equal((await plane.run(['apps:create', 'site', '--no-remote'])).code, 0)
    for (const n of [1, 2]) {
      // A worker only: its quantity starts at 0, so nothing runs.
      writeFileSync(join(code, 'Procfile'), `worker: sleep ${n}00\n`)
      const deployed = await plane.run(['deploy', code, '-a', 'site'])
      assert.equal(deployed.code, 0, deployed.stderr)
    }
    const app = (await (await fetch(`${plane.url}/apps/site`, {headers: {Accept: ACCEPT, Authorization: `Bearer ${plane.token}`}})).json()) as {id: string}
    assert.equal(readdirSync(join(plane.dataDir, 'releases', app.id)).length, 1)

    const rollback = await plane.run(['releases:rollback', 'v2', '-a', 'site'])
    assert.equal(rollback.code, 1)
    assert.match(rollback.stderr, /the code of v2 was pruned \(tug keeps the last 1 releases' code\); deploy it again/)
    const releases = await plane.run(['releases', '-a', 'site', '--json'])
    assert.deepEqual((JSON.parse(releases.stdout) as Array<{version: number}>).map((r) => r.version).sort(), [1, 2, 3])
  })
})
