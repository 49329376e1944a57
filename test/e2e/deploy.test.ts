import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {Build, Formation, Release} from '../../src/shared/api-types.js'
import {startControlPlane, type ControlPlane} from '../helpers/control-plane.js'

const ACCEPT = 'application/vnd.heroku+json; version=3'

describe('e2e: tug deploy against a real control plane', function () {
  this.timeout(60_000)
  let plane: ControlPlane
  let dir: string

  before(async () => {
    plane = await startControlPlane()
    dir = mkdtempSync(join(tmpdir(), 'tug-e2e-site-'))
  })

  after(async () => {
    await plane?.close()
    rmSync(dir, {recursive: true, force: true})
  })

  async function get<T>(path: string): Promise<T> {
    const response = await fetch(plane.url + path, {headers: {Accept: ACCEPT, Authorization: `Bearer ${plane.token}`}})
    assert.equal(response.status, 200)
    return (await response.json()) as T
  }

  it('packs, uploads, builds and releases a directory with a Procfile; a bad Procfile fails and changes nothing', async () => {
    assert.equal((await plane.run(['apps:create', 'site', '--no-remote'])).code, 0)
    writeFileSync(join(dir, 'Procfile'), 'web: node server.js\nworker: node worker.js --queue default\n')
    writeFileSync(join(dir, 'server.js'), 'console.log("hi")\n')
    writeFileSync(join(dir, '.gitignore'), 'node_modules/\n')
    mkdirSync(join(dir, 'node_modules', 'junk'), {recursive: true})
    writeFileSync(join(dir, 'node_modules', 'junk', 'index.js'), '')

    const deployed = await plane.run(['deploy', dir, '-a', 'site'])
    assert.equal(deployed.code, 0, deployed.stderr)
    assert.match(deployed.stdout, /^-----> Discovering process types$/m)
    assert.match(deployed.stdout, /^ {7}Process types: web \(node server\.js\), worker \(node worker\.js --queue default\)$/m)
    assert.match(deployed.stderr, /Released v2 on site/)

    const formation = await get<Formation[]>('/apps/site/formation')
    assert.deepEqual(formation.map((f) => [f.type, f.quantity]).sort(), [['web', 1], ['worker', 0]])
    const builds = await get<Build[]>('/apps/site/builds')
    assert.deepEqual(builds.map((b) => b.status), ['succeeded'])
    const app = await get<{id: string}>('/apps/site')
    const code = join(plane.dataDir, 'releases', app.id, builds[0]?.id as string)
    assert.deepEqual(readdirSync(code).sort(), ['.gitignore', 'Procfile', 'server.js'])
    assert.equal(existsSync(join(code, 'node_modules')), false)

    writeFileSync(join(dir, 'Procfile'), 'web node server.js\n')
    const failed = await plane.run(['deploy', dir, '-a', 'site'])
    assert.equal(failed.code, 1)
    assert.match(failed.stdout, /^! {6}Procfile line 1: /m)
    assert.match(failed.stderr, /The build of site failed/)
    const releases = await get<Release[]>('/apps/site/releases')
    assert.deepEqual(releases.map((r) => [r.version, r.current]), [[1, false], [2, true]])
  })

  it('waits for the release phase: the release is current when deploy returns, and a failed one exits 1', async () => {
    assert.equal((await plane.run(['apps:create', 'migrating', '--no-remote'])).code, 0)
    const code = mkdtempSync(join(tmpdir(), 'tug-e2e-release-'))
    try {
      writeFileSync(join(code, 'Procfile'), 'worker: sleep 600\nrelease: sleep 1; echo migrated\n')
      const deployed = await plane.run(['deploy', code, '-a', 'migrating'])
      assert.equal(deployed.code, 0, deployed.stderr)
      assert.match(deployed.stderr, /Running release phase of v2\.\.\.\nWaiting for release v2\.\.\. done\nReleased v2 on migrating\n/)
      assert.match(deployed.stdout, /^migrated$/m, 'the release phase output is shown')
      const current = (await get<Release[]>('/apps/migrating/releases')).find((r) => r.current)
      assert.equal(current?.version, 2, 'current as soon as deploy has returned')

      writeFileSync(join(code, 'Procfile'), 'worker: sleep 600\nrelease: sleep 1; echo broken; exit 4\n')
      const failed = await plane.run(['deploy', code, '-a', 'migrating'])
      assert.equal(failed.code, 1, failed.stderr)
      assert.match(failed.stderr, /Waiting for release v3\.\.\. failed\nError: The release phase of v3 on migrating failed, so v3 did not become current\./)
      assert.match(failed.stdout, /^broken$/m)
      assert.doesNotMatch(failed.stdout, /^migrated$/m, 'only this release phase’s output')
      const releases = await get<Release[]>('/apps/migrating/releases')
      assert.deepEqual(releases.map((r) => [r.version, r.status, r.current]), [[1, 'succeeded', false], [2, 'succeeded', true], [3, 'failed', false]])
    } finally {
      rmSync(code, {recursive: true, force: true})
    }
  })
})
