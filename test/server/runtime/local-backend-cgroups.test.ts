// The local backend with dyno cgroups (cgroups.ts), over a temp directory laid out like cgroups v1
// so that it runs without root: each dyno gets a cgroup with its size's limits before its process
// starts, the process enters it before it runs the command, the memory figure and the kernel's OOM
// kills are the cgroup's, and the cgroup goes once the dyno has exited. The real kernel's side is
// in test/e2e/limits.test.ts.
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {DynoSpec, OutputStream} from '../../../src/server/runtime/backend.js'
import {openCgroups, type Cgroups} from '../../../src/server/runtime/cgroups.js'
import {LocalBackend} from '../../../src/server/runtime/local-backend.js'
import {killGroups} from './proc-scan.js'
import {waitFor, withDeadline} from '../../helpers/wait-for.js'

const PLANE = '11111111-1111-4111-8111-111111111111'
const DEADLINE_MS = 20_000

describe('local backend: dynos in cgroups', function () {
  this.timeout(60_000)
  let dir: string
  let root: string
  let cgroups: Cgroups
  const groups = new Set<number>()

  function spec(command: string, extra: Partial<DynoSpec> = {}): DynoSpec {
    return {appId: 'app-id-1', appName: 'shop', dynoName: 'worker.1', type: 'worker', command, cwd: dir, env: {}, releaseVersion: 3, ...extra}
  }

  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'tug-dyno-')))
    root = mkdtempSync(join(tmpdir(), 'tug-cgroupfs-'))
    for (const controller of ['memory', 'cpu', 'pids']) {
      mkdirSync(join(root, controller))
      writeFileSync(join(root, controller, 'cgroup.procs'), '')
    }
    // A plain directory keeps the files a real cgroup drops at rmdir.
    const probe = openCgroups({plane: PLANE, root, selfCgroup: '4:memory:/\n', removeDir: (d) => rmSync(d, {recursive: true})})
    assert.ok(probe.ok)
    cgroups = probe.cgroups
  })

  afterEach(() => {
    killGroups(groups)
    groups.clear()
    rmSync(dir, {recursive: true, force: true})
    rmSync(root, {recursive: true, force: true})
  })

  it('starts the dyno inside a cgroup with its size limits, reads memory and OOM kills there, removes it after the exit', async () => {
    const backend = new LocalBackend({cgroups, orphanGraceMs: 500})
    const lines: Array<[OutputStream, string]> = []
    // It waits for a file, so that the test sees it running, and reports its own pid first.
    const handle = await backend.start(spec(`echo "pid $$"; while [ ! -e go ]; do sleep 0.05; done`, {size: 'Standard-2X'}))
    handle.onOutput((stream, line) => lines.push([stream, line]))
    const pid = handle.describe().pid ?? 0
    groups.add(pid)
    const planeDir = join(root, 'memory', 'tug', PLANE)
    const memory = join(planeDir, handle.id)
    assert.equal(readFileSync(join(memory, 'memory.limit_in_bytes'), 'utf8'), String(2 * 1024 ** 3))
    assert.equal(readFileSync(join(root, 'cpu', 'tug', PLANE, handle.id, 'cpu.shares'), 'utf8'), '2048')
    assert.equal(readFileSync(join(root, 'pids', 'tug', PLANE, handle.id, 'pids.max'), 'utf8'), '512')

    // The shell it runs in is the process the backend spawned (exec kept the pid), and it wrote that
    // pid into each of its cgroups before the command ran.
    await waitFor(() => lines.length > 0, {what: 'the dyno output', timeoutMs: DEADLINE_MS})
    assert.deepEqual(lines[0], ['stdout', `pid ${pid}`])
    for (const controller of ['memory', 'cpu', 'pids']) {
      assert.equal(readFileSync(join(root, controller, 'tug', PLANE, handle.id, 'cgroup.procs'), 'utf8').trim(), String(pid))
    }

    writeFileSync(join(memory, 'memory.stat'), 'total_cache 5000000\ntotal_rss 700000000\ntotal_mapped_file 1000\n')
    assert.equal(await handle.memoryBytes(), 700_001_000)
    assert.equal(handle.memoryNow?.(), 700_001_000)

    assert.equal(handle.oomKills?.(), 0)
    writeFileSync(join(memory, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n')
    assert.equal(handle.oomKills?.(), 1, 'a kill while its main process runs on')
    writeFileSync(join(dir, 'go'), '')
    const exit = await withDeadline(handle.exited, DEADLINE_MS, 'the exit')
    assert.deepEqual(exit, {code: 0, signal: null, outOfMemory: true})
    assert.equal(handle.oomKills?.(), undefined, 'once the main process has exited, its exit says it')
    await waitFor(() => !existsSync(planeDir), {what: 'the cgroup removed, and the plane with the last dyno', timeoutMs: DEADLINE_MS})
  })

  it('an exit with no OOM kill in its cgroup is no R15', async () => {
    const backend = new LocalBackend({cgroups, orphanGraceMs: 500})
    const handle = await backend.start(spec('exit 3'))
    groups.add(handle.describe().pid ?? 0)
    assert.equal(readFileSync(join(root, 'memory', 'tug', PLANE, handle.id, 'memory.limit_in_bytes'), 'utf8'), String(1024 ** 3), 'the default size, Standard-1X')
    assert.deepEqual(await withDeadline(handle.exited, DEADLINE_MS, 'the exit'), {code: 3, signal: null})
  })

  it('a dyno whose cgroup cannot be made does not start, and says why', async () => {
    // A file where the plane's pids directory must be: the dyno's mkdir there fails.
    rmSync(join(root, 'pids', 'tug', PLANE), {recursive: true})
    writeFileSync(join(root, 'pids', 'tug', PLANE), '')
    const backend = new LocalBackend({cgroups, orphanGraceMs: 500})
    await assert.rejects(backend.start(spec('touch started')), /could not start worker\.1: cannot make its cgroup: ENOTDIR/)
    assert.equal(existsSync(join(dir, 'started')), false)
    assert.equal(existsSync(join(root, 'memory', 'tug', PLANE)), true)
    assert.deepEqual(readdirSync(join(root, 'memory', 'tug', PLANE)).filter((name) => !name.includes('.')), [], 'no cgroup half made')
  })

  it("a cgroup made ahead of a start (aboutToStart) is the next start's of its size; a stop removes one left unused", async () => {
    const backend = new LocalBackend({cgroups, orphanGraceMs: 500})
    const planeDir = join(root, 'memory', 'tug', PLANE)
    // The plane's directory goes with its last cgroup.
    const cgroupsNow = (): string[] => (existsSync(planeDir) ? readdirSync(planeDir).filter((name) => !name.includes('.')) : [])
    backend.aboutToStart()
    const [spare] = cgroupsNow()
    assert.ok(spare, 'the spare cgroup is made at once')
    assert.equal(readFileSync(join(planeDir, spare, 'memory.limit_in_bytes'), 'utf8'), String(1024 ** 3), 'at the default size')
    // Announced twice (a second request before the first start): still one spare.
    backend.aboutToStart()
    assert.deepEqual(cgroupsNow(), [spare])

    // A dyno of another size gets its own cgroup and leaves the spare.
    const big = await backend.start(spec('exit 0', {size: 'Standard-2X'}))
    groups.add(big.describe().pid ?? 0)
    assert.notEqual(big.id, spare)
    await withDeadline(big.exited, DEADLINE_MS, 'the Standard-2X dyno to exit')
    await waitFor(() => cgroupsNow().length === 1, {what: 'the Standard-2X cgroup to go', timeoutMs: DEADLINE_MS})

    // The next default-size dyno runs in the spare, named by its id, which goes after the exit.
    const handle = await backend.start(spec('while [ ! -e go ]; do sleep 0.05; done'))
    const pid = handle.describe().pid ?? 0
    groups.add(pid)
    assert.equal(handle.id, spare)
    const procs = join(root, 'pids', 'tug', PLANE, spare, 'cgroup.procs')
    await waitFor(() => existsSync(procs) && readFileSync(procs, 'utf8').trim() === String(pid), {what: 'the dyno in the spare cgroup', timeoutMs: DEADLINE_MS})
    writeFileSync(join(dir, 'go'), '')
    await withDeadline(handle.exited, DEADLINE_MS, 'the dyno to exit')
    await waitFor(() => cgroupsNow().length === 0, {what: 'the spare cgroup to go with its dyno', timeoutMs: DEADLINE_MS})

    // One made and never used goes with a stop of the backend.
    backend.aboutToStart()
    assert.equal(cgroupsNow().length, 1)
    await backend.stopAll({graceMs: 100})
    assert.deepEqual(cgroupsNow(), [])
  })
})
