// The dyno cgroups over temp directories laid out like cgroups v1 and v2: which one is mounted,
// where a plane's cgroups go, the limits written for a size, placing a process, the memory figure
// and the kernel's OOM kills as the kernel's files give them, removal (retried while a task is
// left, which is killed), and a crashed run's leftovers. A plain directory keeps the files a real
// cgroup would drop at rmdir, so the tests remove with a function that acts as the kernel does:
// EBUSY while cgroup.procs names a task.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {dynoSizeSpec, MEMORY_KILL_FACTOR} from '../../../src/server/domain/catalog.js'
import {primeMigration} from '../../../src/server/runtime/cgroup-prime.js'
import {CGROUP_PARENT, cpuWeight, detectVersion, openCgroups, ownCgroups, type Cgroups} from '../../../src/server/runtime/cgroups.js'

const PLANE = '11111111-1111-4111-8111-111111111111'
const OTHER_PLANE = '22222222-2222-4222-8222-222222222222'
const SELF_V1 = '9:name=systemd:/\n8:pids:/\n4:memory:/box/one\n2:cpuacct,cpu:/\n0::/\n'

function busyAware(killed: number[]): {removeDir: (dir: string) => void; kill: (pid: number) => void} {
  return {
    removeDir: (dir) => {
      if (!existsSync(dir)) throw Object.assign(new Error('ENOENT'), {code: 'ENOENT'})
      const procs = join(dir, 'cgroup.procs')
      if (existsSync(procs) && readFileSync(procs, 'utf8').trim() !== '') throw Object.assign(new Error('EBUSY'), {code: 'EBUSY'})
      rmSync(dir, {recursive: true})
    },
    kill: (pid) => {
      killed.push(pid)
      // The kernel takes a killed task out of its cgroups.
      for (const file of procFiles) if (existsSync(file)) writeFileSync(file, '')
    },
  }
}
let procFiles: string[] = []

describe('dyno cgroups', () => {
  let root: string

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tug-cgroups-'))
    procFiles = []
  })

  afterEach(() => {
    rmSync(root, {recursive: true, force: true})
  })

  function layoutV1(): void {
    for (const controller of ['memory', 'cpu', 'pids']) {
      mkdirSync(join(root, controller), {recursive: true})
      writeFileSync(join(root, controller, 'cgroup.procs'), '')
    }
  }

  function layoutV2(controllers = 'cpuset cpu io memory hugetlb pids'): void {
    writeFileSync(join(root, 'cgroup.controllers'), controllers)
    writeFileSync(join(root, 'cgroup.subtree_control'), 'memory')
  }

  function open(killed: number[] = [], plane = PLANE): Cgroups {
    const probe = openCgroups({plane, root, selfCgroup: SELF_V1, ...busyAware(killed)})
    assert.ok(probe.ok, probe.ok ? '' : probe.reason)
    return probe.cgroups
  }

  it('finds which cgroup filesystem is mounted, or none', () => {
    assert.equal(detectVersion(root), undefined)
    const probe = openCgroups({plane: PLANE, root})
    assert.deepEqual(probe, {ok: false, reason: `no cgroup filesystem at ${root}`})
    layoutV1()
    assert.equal(detectVersion(root), 1)
    writeFileSync(join(root, 'cgroup.controllers'), 'memory')
    assert.equal(detectVersion(root), 2)
  })

  it('reads the control plane own cgroup of each v1 controller', () => {
    const own = ownCgroups(SELF_V1)
    assert.equal(own.get('memory'), '/box/one')
    assert.equal(own.get('cpu'), '/')
    assert.equal(own.get('cpuacct'), '/')
    assert.equal(own.get('pids'), '/')
  })

  it('v1: a dyno cgroup per controller, under the control plane own cgroup, with its size limits', () => {
    layoutV1()
    const cgroups = open()
    const standard = dynoSizeSpec('Standard-1X').limits
    const cgroup = cgroups.create('run-1', standard)
    const memory = join(root, 'memory', 'box', 'one', CGROUP_PARENT, PLANE, 'run-1')
    const cpu = join(root, 'cpu', CGROUP_PARENT, PLANE, 'run-1')
    const pids = join(root, 'pids', CGROUP_PARENT, PLANE, 'run-1')
    assert.deepEqual(cgroup.dirs, [memory, cpu, pids])
    assert.equal(readFileSync(join(memory, 'memory.limit_in_bytes'), 'utf8'), String(512 * 1024 ** 2 * MEMORY_KILL_FACTOR))
    assert.equal(readFileSync(join(cpu, 'cpu.shares'), 'utf8'), '1024')
    assert.equal(readFileSync(join(pids, 'pids.max'), 'utf8'), '256')

    const bigger = cgroups.create('run-2', dynoSizeSpec('Performance-M').limits)
    assert.equal(readFileSync(join(bigger.dirs[0] ?? '', 'memory.limit_in_bytes'), 'utf8'), String(2.5 * 1024 ** 3 * 2))
    assert.equal(readFileSync(join(bigger.dirs[1] ?? '', 'cpu.shares'), 'utf8'), '2048')
    assert.equal(readFileSync(join(bigger.dirs[2] ?? '', 'pids.max'), 'utf8'), '16384')

    cgroup.place(4242)
    for (const dir of cgroup.dirs) assert.equal(readFileSync(join(dir, 'cgroup.procs'), 'utf8'), '4242')
  })

  it('starts a command inside the cgroup: the shell writes its pid, then execs the command as that pid', () => {
    layoutV1()
    const cgroup = open().create('run-1', dynoSizeSpec('Standard-1X').limits)
    const wrapped = cgroup.wrap({file: '/bin/sh', args: ['-c', 'echo "pid $$ args $0 $1"', 'zero', 'one two']})
    const result = spawnSync(wrapped.file, wrapped.args, {encoding: 'utf8'})
    assert.equal(result.status, 0, result.stderr)
    const [, pid] = /^pid (\d+) args zero one two\n$/.exec(result.stdout) ?? []
    assert.ok(pid, result.stdout)
    for (const dir of cgroup.dirs) assert.equal(readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim(), pid)

    // A cgroup it cannot enter: the command never runs.
    rmSync(cgroup.dirs[1] ?? '', {recursive: true})
    const refused = spawnSync(wrapped.file, wrapped.args, {encoding: 'utf8'})
    assert.equal(refused.status, 126)
    assert.equal(refused.stdout, '')
  })

  it('v1: memory is the resident figure of memory.stat, and the OOM kills come from memory.oom_control', () => {
    layoutV1()
    const cgroup = open().create('run-1', dynoSizeSpec('Standard-1X').limits)
    assert.equal(cgroup.memoryBytes(), undefined)
    assert.equal(cgroup.oomKills(), 0)
    writeFileSync(join(cgroup.memoryDir, 'memory.stat'), 'cache 900000000\nrss 5\nmapped_file 6\ntotal_cache 900000000\ntotal_rss 600000000\ntotal_mapped_file 4096\ntotal_swap 0\n')
    assert.equal(cgroup.memoryBytes(), 600_004_096)
    writeFileSync(join(cgroup.memoryDir, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n')
    assert.equal(cgroup.oomKills(), 1)
  })

  it('v2: one cgroup under the root with memory.max, cpu.weight and pids.max, controllers passed down', () => {
    layoutV2()
    const cgroups = open()
    const planeDir = join(root, CGROUP_PARENT, PLANE)
    for (const dir of [root, join(root, CGROUP_PARENT), planeDir]) {
      const text = readFileSync(join(dir, 'cgroup.subtree_control'), 'utf8')
      assert.ok(text.includes('+cpu') && text.includes('+pids'), `${dir}: ${text}`)
      // The root had memory already: only what was missing is asked for there.
      if (dir !== root) assert.ok(text.includes('+memory'), `${dir}: ${text}`)
    }
    const dir = join(planeDir, 'run-1')
    const cgroup = cgroups.create('run-1', dynoSizeSpec('Standard-2X').limits)
    assert.deepEqual(cgroup.dirs, [dir])
    assert.equal(readFileSync(join(dir, 'memory.max'), 'utf8'), String(1024 ** 3 * 2))
    assert.equal(readFileSync(join(dir, 'cpu.weight'), 'utf8'), '200')
    assert.equal(readFileSync(join(dir, 'pids.max'), 'utf8'), '512')
    writeFileSync(join(dir, 'memory.stat'), 'anon 700000000\nfile 900000000\nfile_mapped 8192\n')
    assert.equal(cgroup.memoryBytes(), 700_008_192)
    writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n')
    assert.equal(cgroup.oomKills(), 1)
  })

  it('v2 with only the memory controller: memory.max and nothing for the others', () => {
    layoutV2('memory io')
    const cgroup = open().create('run-1', dynoSizeSpec('Standard-1X').limits)
    assert.equal(readFileSync(join(cgroup.memoryDir, 'memory.max'), 'utf8'), String(512 * 1024 ** 2 * 2))
    assert.equal(existsSync(join(cgroup.memoryDir, 'cpu.weight')), false)
    assert.equal(existsSync(join(cgroup.memoryDir, 'pids.max')), false)
  })

  it('v2 without the memory controller: no cgroups, and why', () => {
    layoutV2('cpu pids')
    const probe = openCgroups({plane: PLANE, root})
    assert.deepEqual(probe, {ok: false, reason: `the memory controller is not enabled at ${root}`})
  })

  it('cannot write the cgroup filesystem: no cgroups, and why', () => {
    layoutV1()
    // Not root: a directory without write permission refuses the mkdir. Root writes anywhere, but
    // a file where a directory must go fails the mkdir for it too.
    if (process.getuid?.() === 0) writeFileSync(join(root, 'memory', 'box'), 'not a directory')
    else for (const controller of ['memory', 'cpu', 'pids']) chmodSync(join(root, controller), 0o555)
    const probe = openCgroups({plane: PLANE, root, selfCgroup: SELF_V1})
    assert.equal(probe.ok, false)
    assert.match(probe.ok ? '' : probe.reason, /^cannot create .*tug/)
  })

  it('primes the migration lock by writing its own pid into its own v1 cgroup, and nothing on v2', async () => {
    layoutV1()
    const cgroups = open()
    // SELF_V1 puts the control plane at / of the pids hierarchy: its cgroup.procs is the root's.
    const procs = join(root, 'pids', 'cgroup.procs')
    await primeMigration(cgroups)
    assert.equal(readFileSync(procs, 'utf8'), String(process.pid))
    // Nothing else moved: the memory and cpu cgroups, and the plane's, are untouched.
    assert.equal(readFileSync(join(root, 'memory', 'cgroup.procs'), 'utf8'), '')
    assert.equal(readFileSync(join(root, 'cpu', 'cgroup.procs'), 'utf8'), '')

    const v2root = mkdtempSync(join(tmpdir(), 'tug-cgroups-v2-'))
    try {
      writeFileSync(join(v2root, 'cgroup.controllers'), 'cpu memory pids')
      writeFileSync(join(v2root, 'cgroup.subtree_control'), 'memory')
      const probe = openCgroups({plane: PLANE, root: v2root})
      assert.ok(probe.ok)
      await primeMigration(probe.cgroups)
      assert.equal(existsSync(join(v2root, 'cgroup.procs')), false)
    } finally {
      rmSync(v2root, {recursive: true, force: true})
    }
  })

  it('cpu.weight follows cpu.shares, within the kernel range', () => {
    assert.equal(cpuWeight(1024), 100)
    assert.equal(cpuWeight(2048), 200)
    assert.equal(cpuWeight(1), 1)
    assert.equal(cpuWeight(1024 * 200), 10_000)
  })

  it('the plane, and the directory of every plane, weigh on the CPU what their dynos add up to', async () => {
    layoutV1()
    const cgroups = open()
    const parent = join(root, 'cpu', CGROUP_PARENT)
    const plane = join(parent, PLANE)
    const shares = (dir: string): string => readFileSync(join(dir, 'cpu.shares'), 'utf8')
    const first = cgroups.create('run-1', dynoSizeSpec('Standard-1X').limits)
    assert.equal(shares(plane), '1024')
    const second = cgroups.create('run-2', dynoSizeSpec('Performance-M').limits)
    assert.equal(shares(plane), String(1024 + 2048))
    assert.equal(shares(parent), String(1024 + 2048))
    // Another control plane's dynos under the same parent count there too.
    mkdirSync(join(parent, OTHER_PLANE))
    writeFileSync(join(parent, OTHER_PLANE, 'cpu.shares'), '4096')
    cgroups.create('run-3', dynoSizeSpec('Standard-1X').limits)
    assert.equal(shares(plane), String(1024 + 2048 + 1024))
    assert.equal(shares(parent), String(1024 + 2048 + 1024 + 4096))
    await cgroups.remove(second)
    assert.equal(shares(plane), String(1024 + 1024))
    assert.equal(shares(parent), String(1024 + 1024 + 4096))
    await cgroups.remove(first)
    assert.equal(shares(plane), '1024', 'never below the default weight')
  })

  it('removes a dyno cgroup once empty, killing what is left in it, and the plane with the last one', async () => {
    layoutV1()
    const killed: number[] = []
    const cgroups = open(killed)
    const first = cgroups.create('run-1', dynoSizeSpec('Standard-1X').limits)
    const second = cgroups.create('run-2', dynoSizeSpec('Standard-1X').limits)
    first.place(1111)
    procFiles = first.dirs.map((dir) => join(dir, 'cgroup.procs'))
    await cgroups.remove(first)
    assert.deepEqual(killed, [1111], 'the process left in the cgroup is killed')
    for (const dir of first.dirs) assert.equal(existsSync(dir), false)
    for (const dir of cgroups.planeDirs) assert.equal(existsSync(dir), true, 'run-2 still runs')
    await cgroups.remove(second)
    for (const dir of cgroups.planeDirs) assert.equal(existsSync(dir), false, 'the plane goes with its last dyno')
    assert.equal(existsSync(join(root, 'cpu', CGROUP_PARENT)), true, 'the parent of every plane stays')
    // A dyno after that makes the plane again.
    const third = cgroups.create('run-3', dynoSizeSpec('Standard-1X').limits)
    assert.equal(existsSync(third.memoryDir), true)
  })

  it('gives up on a cgroup a task never leaves, saying so', async () => {
    layoutV1()
    const cgroups = openCgroups({plane: PLANE, root, selfCgroup: SELF_V1, removeDir: () => {
      throw Object.assign(new Error('EBUSY'), {code: 'EBUSY'})
    }, kill: () => {}})
    assert.ok(cgroups.ok)
    const cgroup = cgroups.cgroups.create('run-1', dynoSizeSpec('Standard-1X').limits)
    await assert.rejects(cgroups.cgroups.remove(cgroup, 100), /could not remove the cgroup .*run-1: a task is still in it/)
  })

  it('after a crash, removes what this plane left and nothing of another plane', async () => {
    layoutV1()
    const killed: number[] = []
    const crashed = open(killed)
    const left = crashed.create('old-run', dynoSizeSpec('Standard-1X').limits)
    left.place(2222)
    procFiles = left.dirs.map((dir) => join(dir, 'cgroup.procs'))
    const other = open([], OTHER_PLANE).create('theirs', dynoSizeSpec('Standard-1X').limits)

    const restarted = open(killed)
    const running = restarted.create('new-run', dynoSizeSpec('Standard-1X').limits)
    assert.equal(await restarted.removeStale(), 1)
    assert.deepEqual(killed, [2222])
    for (const dir of left.dirs) assert.equal(existsSync(dir), false)
    for (const dir of running.dirs) assert.equal(existsSync(dir), true, 'a dyno of this run is no leftover')
    for (const dir of other.dirs) assert.equal(existsSync(dir), true, 'another plane is left alone')
  })
})
