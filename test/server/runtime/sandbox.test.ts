import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {DynoHandle, DynoSpec, OutputStream} from '../../../src/server/runtime/backend.js'
import {startServer} from '../../../src/server/index.js'
import type {Cgroups} from '../../../src/server/runtime/cgroups.js'
import {LocalBackend} from '../../../src/server/runtime/local-backend.js'
import {appUid, checkSandbox, isolationArgs, mountPoints, Sandbox, UID_BASE, UID_RANGE} from '../../../src/server/runtime/sandbox.js'
import {waitFor, withDeadline} from '../../helpers/wait-for.js'

const DEADLINE_MS = 20_000

function lines(handle: DynoHandle): Array<[OutputStream, string]> {
  const seen: Array<[OutputStream, string]> = []
  handle.onOutput((stream, line) => seen.push([stream, line]))
  return seen
}

describe('runtime/sandbox', function () {
  this.timeout(60_000)

  describe('appUid', () => {
    it('is stable per app, in the range, never 0 nor the uid to avoid', () => {
      const uid = appUid('app-1', 0)
      assert.equal(appUid('app-1', 0), uid)
      assert.ok(uid >= UID_BASE && uid < UID_BASE + UID_RANGE)
      assert.notEqual(appUid('app-2', 0), uid)
      assert.notEqual(appUid('app-1', uid), uid)
    })
  })

  describe('with bubblewrap (root)', () => {
    let dir: string
    let dataDir: string
    let codeDir: string
    let backend: LocalBackend
    let sandbox: Sandbox

    before(async function () {
      const check = await checkSandbox()
      // The sandbox needs root and bwrap; CI installs bubblewrap (.ci/run) and runs as root.
      if (!check.ok) throw new Error(`the sandbox cannot run here: ${check.reason}`)
    })

    beforeEach(() => {
      dir = realpathSync(mkdtempSync(join(tmpdir(), 'tug-sandbox-')))
      dataDir = join(dir, 'data')
      codeDir = join(dataDir, 'releases', 'v1')
      mkdirSync(codeDir, {recursive: true})
      chmodSync(dataDir, 0o700)
      writeFileSync(join(dataDir, 'admin-token'), 'secret\n', {mode: 0o600})
      writeFileSync(join(codeDir, 'code.txt'), 'release code\n', {mode: 0o644})
      sandbox = new Sandbox({dataDir})
      backend = new LocalBackend({sandbox, orphanGraceMs: 500})
    })

    afterEach(async () => {
      await backend.stopAll({graceMs: 0})
      await sandbox.cleanLeftovers()
      rmSync(dir, {recursive: true, force: true})
    })

    function spec(command: string): DynoSpec {
      return {appId: 'app-1', appName: 'one', dynoName: 'run.1', type: 'run', command, cwd: codeDir, env: {SECRET_PATH: dataDir}, releaseVersion: 1}
    }

    it('runs the command as the app uid at /app, over the release code, without the data directory', async () => {
      const handle = await backend.start(
        spec('id -u; echo "$HOME $PWD"; cat /app/code.txt; echo new > /app/new.txt && echo wrote; cat "$SECRET_PATH/admin-token" || echo no-data-dir; kill -0 1 2>/dev/null || echo no-signal'),
      )
      const seen = lines(handle)
      assert.deepEqual(await withDeadline(handle.exited, DEADLINE_MS, 'the dyno to exit'), {code: 0, signal: null})
      const out = seen.filter(([s]) => s === 'stdout').map(([, l]) => l)
      assert.deepEqual(out, [String(appUid('app-1')), '/app /app', 'release code', 'wrote', 'no-data-dir', 'no-signal'])
      // The write went to the dyno's own layer, which is gone with it: the release is untouched.
      assert.equal(existsSync(join(codeDir, 'new.txt')), false)
      assert.deepEqual(readdirSync(join(dataDir, 'sandboxes')), [])
      assert.equal([...mountPoints()].some((point) => point.startsWith(dataDir)), false)
    })

    it('gives the app its stop grace: SIGTERM reaches it, not only bwrap', async () => {
      const handle = await backend.start(spec('trap "echo term; sleep 0.3; echo bye; exit 0" TERM; echo ready; sleep 30 & wait'))
      const seen = lines(handle)
      await waitFor(() => seen.some(([, l]) => l === 'ready'), {what: 'the dyno to say ready', timeoutMs: DEADLINE_MS})
      await withDeadline(handle.stop({graceMs: 10_000}), DEADLINE_MS, 'the stop')
      assert.deepEqual(await handle.exited, {code: 0, signal: null})
      assert.deepEqual(
        seen.filter(([s]) => s === 'stdout').map(([, l]) => l),
        ['ready', 'term', 'bye'],
      )
    })

    /** An overlay mounted on the host, as a control plane before the mount namespace did it. */
    function mountOnHost(id: string, lower: string): string {
      const scratch = join(dataDir, 'sandboxes', id)
      for (const sub of ['upper', 'work', 'app']) mkdirSync(join(scratch, sub), {recursive: true})
      execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${scratch}/upper,workdir=${scratch}/work`, join(scratch, 'app')])
      return join(scratch, 'app')
    }

    it('mounts the overlay in the dyno\'s own mount namespace: never on the host, gone with the dyno, also when killed', async () => {
      const handle = await backend.start(spec('echo up; sleep 30'))
      const seen = lines(handle)
      await waitFor(() => seen.some(([, l]) => l === 'up'), {what: 'the dyno to say up', timeoutMs: DEADLINE_MS})
      assert.equal([...mountPoints()].some((point) => point.startsWith(dataDir)), false)
      // As if the control plane died: every process of the dyno is killed, nothing unmounts.
      process.kill(-(handle.describe().pid ?? 0), 'SIGKILL')
      await withDeadline(handle.exited, DEADLINE_MS, 'the dyno to exit')
      assert.equal([...mountPoints()].some((point) => point.startsWith(dataDir)), false)
    })

    it('runs its own bwrap, unshare and mount, whatever PATH the app sets', async () => {
      // An app's config var PATH pointing at its own code: a `bwrap` there would have run as root.
      const evil = join(dir, 'evil')
      mkdirSync(evil)
      for (const tool of ['bwrap', 'unshare', 'mount', 'sh']) {
        writeFileSync(join(evil, tool), `#!/bin/sh\necho pwned > ${join(dir, 'pwned')}\n`, {mode: 0o755})
      }
      const handle = await backend.start({...spec('echo "inside as $(/usr/bin/id -u)"'), env: {PATH: evil}})
      const seen = lines(handle)
      assert.deepEqual(await withDeadline(handle.exited, DEADLINE_MS, 'the dyno to exit'), {code: 0, signal: null})
      assert.equal(existsSync(join(dir, 'pwned')), false)
      assert.deepEqual(seen.map(([, l]) => l), [`inside as ${appUid('app-1')}`])
    })

    it('cleans what a dead control plane left: a mounted overlay and its scratch directory', async () => {
      const merged = mountOnHost('left-over', codeDir)
      assert.ok(mountPoints().has(merged))
      assert.deepEqual(await sandbox.cleanLeftovers(), ['left-over'])
      assert.equal(mountPoints().has(merged), false)
      assert.deepEqual(readdirSync(join(dataDir, 'sandboxes')), [])
    })

    it('a control plane closing unmounts what is left under sandboxes/, whatever left it', async () => {
      // Gone once the start's own clean-up has run, which would otherwise race the mount below.
      mkdirSync(join(dataDir, 'sandboxes', 'marker'), {recursive: true})
      const server = await startServer({dataDir, port: 0, sandbox: true})
      try {
        await waitFor(() => !existsSync(join(dataDir, 'sandboxes', 'marker')), {what: "the start's clean-up", timeoutMs: DEADLINE_MS})
        // A dyno whose own clean-up did not happen: its overlay is still mounted. Its code is outside
        // the data directory, whose start removes release code nothing refers to.
        const code = join(dir, 'code')
        mkdirSync(code)
        const stray = mountOnHost('stray', code)
        assert.ok(mountPoints().has(stray), `${stray} is not mounted`)
      } finally {
        await server.close()
      }
      assert.equal([...mountPoints()].some((point) => point.startsWith(dataDir)), false)
      assert.deepEqual(readdirSync(join(dataDir, 'sandboxes')), [])
    })

    it('a dyno that cannot start after its overlay was mounted (no cgroup) leaves nothing mounted', async () => {
      // Only create() is reached before the failure; the rest of Cgroups is not needed here.
      const cgroups = {create: () => { throw new Error('no memory controller') }} as unknown as Cgroups
      const failing = new LocalBackend({sandbox, cgroups})
      await assert.rejects(failing.start(spec('true')), /cannot make its cgroup: no memory controller/)
      assert.equal([...mountPoints()].some((point) => point.startsWith(dataDir)), false)
      assert.deepEqual(readdirSync(join(dataDir, 'sandboxes')), [])
    })

    it('refuses a code path the overlay options cannot carry, mounting nothing', async () => {
      await assert.rejects(sandbox.prepare({appId: 'app-1', dynoId: 'x', codeDir: `${codeDir},upperdir=/`, command: 'true', shell: '/bin/sh'}), /cannot sandbox/)
      assert.equal(existsSync(join(dataDir, 'sandboxes', 'x')), false)
    })
  })
})

describe('runtime/sandbox isolationArgs', () => {
  const binds = (args: string[]): string[] => args.flatMap((arg, i) => (arg === '--ro-bind' ? [args[i + 1] as string] : []))

  it("binds Node's whole installation when it lives outside the host directories (npm is in its lib/), and no more", () => {
    const prefix = mkdtempSync(join(tmpdir(), 'tug-node-prefix-'))
    try {
      mkdirSync(join(prefix, 'bin'))
      assert.deepEqual(binds(isolationArgs(join(prefix, 'bin', 'node'))).slice(-1), [join(prefix, 'bin')], 'not a Node installation: its bin/ only')
      mkdirSync(join(prefix, 'lib', 'node_modules', 'npm'), {recursive: true})
      assert.deepEqual(binds(isolationArgs(join(prefix, 'bin', 'node'))).slice(-1), [prefix])
    } finally {
      rmSync(prefix, {recursive: true, force: true})
    }
  })

  it('binds nothing more for a Node under /usr', () => {
    assert.deepEqual(
      binds(isolationArgs('/usr/local/bin/node')).filter((dir) => !['/usr', '/etc', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'].includes(dir)),
      [],
    )
  })
})
