import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {cpSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {Build, Formation, Release} from '../../src/shared/api-types.js'
import {ROOT, startControlPlane, type ControlPlane} from '../helpers/control-plane.js'

const ACCEPT = 'application/vnd.heroku+json; version=3'
const FIXTURES = join(ROOT, 'test', 'fixtures', 'buildpacks-cli')
const BUILDPACK = join(FIXTURES, 'marker-buildpack')

describe('e2e: tug buildpacks against a real control plane', function () {
  this.timeout(180_000)
  let plane: ControlPlane
  let dir: string

  before(async () => {
    plane = await startControlPlane()
    dir = mkdtempSync(join(tmpdir(), 'tug-e2e-buildpacks-'))
    cpSync(join(FIXTURES, 'app'), join(dir, 'app'), {recursive: true})
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

  /**
   * The build a `tug deploy` made, by the id it printed: two builds made within a second tie on
   * created_at, so the list's last one need not be the newer.
   */
  const deployedBuild = async (app: string, deploy: {stdout: string; stderr: string}): Promise<Build> => {
    const id = /started, build ([0-9a-f-]{36})/.exec(deploy.stdout + deploy.stderr)?.[1]
    assert.ok(id, `the build id in: ${deploy.stdout}${deploy.stderr}`)
    return get<Build>(`/apps/${app}/builds/${id}`)
  }

  it('runs a buildpack added with buildpacks:add, and detects again after buildpacks:clear', async () => {
    assert.equal((await plane.run(['apps:create', 'marked', '--no-remote'])).code, 0)

    const added = await plane.run(['buildpacks:add', BUILDPACK, '-a', 'marked'])
    assert.equal(added.code, 0, added.stderr)
    assert.equal(added.stdout, `Buildpack added. Next release on marked will use ${BUILDPACK}.\nRun git push tug main to create a new release using this buildpack.\n`)
    const listed = await plane.run(['buildpacks', '-a', 'marked'])
    assert.equal(listed.stdout, `=== marked Buildpack URL\n${BUILDPACK}\n`)

    const deployed = await plane.run(['deploy', join(dir, 'app'), '-a', 'marked'], {timeoutMs: 120_000})
    assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr)
    assert.match(deployed.stdout, /^-----> Marker buildpack compiling$/m)
    assert.match(deployed.stdout, /^ {7}greeting: hello from the marker$/m)
    assert.match(deployed.stdout, /web \(\.\/serve\.sh\)/, "the buildpack's default_process_types give the missing web type")
    assert.deepEqual((await deployedBuild('marked', deployed)).buildpacks, [{url: BUILDPACK, name: BUILDPACK}])
    const formation = await get<Formation[]>('/apps/marked/formation')
    assert.deepEqual(formation.map((f) => f.type).sort(), ['web', 'worker'])

    const cleared = await plane.run(['buildpacks:clear', '-a', 'marked'])
    assert.equal(cleared.stdout, 'Buildpacks cleared. Next release on marked will detect buildpacks normally.\n')
    assert.equal((await plane.run(['buildpacks', '-a', 'marked'])).stderr, 'marked has no Buildpack URL set. Builds detect the built-in buildpacks (heroku/nodejs, heroku/python).\n')
    const again = await plane.run(['deploy', join(dir, 'app'), '-a', 'marked'], {timeoutMs: 120_000})
    assert.equal(again.code, 0, again.stdout + again.stderr)
    assert.doesNotMatch(again.stdout, /Marker/, 'the built-in buildpacks are detected; none of them is the marker')
    assert.ok(((await deployedBuild('marked', again)).buildpacks ?? []).every((b) => b.url !== BUILDPACK))
  })

  it('clones a buildpack from a git URL (#ref) and runs it', async () => {
    const bare = join(dir, 'marker.git')
    const work = join(dir, 'marker-work')
    const git = (args: string[], cwd?: string): string =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
    git(['init', '--quiet', '--bare', '-b', 'main', bare])
    cpSync(BUILDPACK, work, {recursive: true})
    git(['init', '--quiet', '-b', 'main'], work)
    git(['add', '.'], work)
    git(['commit', '--quiet', '-m', 'marker'], work)
    git(['push', '--quiet', bare, 'main:v1'], work)

    assert.equal((await plane.run(['apps:create', 'cloned', '--no-remote'])).code, 0)
    const url = `file://${bare}#v1`
    assert.equal((await plane.run(['buildpacks:set', url, '-a', 'cloned'])).code, 0)
    const deployed = await plane.run(['deploy', join(dir, 'app'), '-a', 'cloned'], {timeoutMs: 120_000})
    assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr)
    assert.match(deployed.stdout, new RegExp(`^-----> Fetching buildpack file://${bare}#v1$`, 'm'))
    assert.match(deployed.stdout, /^-----> Marker buildpack compiling$/m)
    assert.deepEqual((await deployedBuild('cloned', deployed)).buildpacks, [{url, name: url}])
  })

  it('refuses a buildpack tug does not know, and fails the build of one that is not there, keeping the release', async () => {
    assert.equal((await plane.run(['apps:create', 'unmarked', '--no-remote'])).code, 0)
    const unknown = await plane.run(['buildpacks:set', 'heroku/ruby', '-a', 'unmarked'])
    assert.equal(unknown.code, 1)
    assert.match(unknown.stderr, /tug has the built-in buildpacks heroku\/nodejs and heroku\/python; give any other as a URL/)
    assert.equal((await plane.run(['buildpacks', '-a', 'unmarked'])).stdout, '', 'nothing was set')

    const deployed = await plane.run(['deploy', join(dir, 'app'), '-a', 'unmarked'], {timeoutMs: 120_000})
    assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr)
    const missing = join(dir, 'no-such-buildpack')
    assert.equal((await plane.run(['buildpacks:set', missing, '-a', 'unmarked'])).code, 0)
    const failed = await plane.run(['deploy', join(dir, 'app'), '-a', 'unmarked'], {timeoutMs: 120_000})
    assert.equal(failed.code, 1, failed.stdout + failed.stderr)
    assert.match(failed.stdout + failed.stderr, new RegExp(`buildpack ${missing}: ${missing} does not exist on the control plane's machine`))
    const releases = await get<Release[]>('/apps/unmarked/releases')
    assert.equal(releases.find((r) => r.current)?.version, 2, 'the release of the first deploy stays current')
  })
})
