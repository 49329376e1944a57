// Limits the kernel enforces, per dyno size (issue 14, item 2), with a real control plane on this
// machine's cgroups and the real `tug` binary: a Standard-1X dyno (512 MB quota) runs in a cgroup
// of its own with its size's limits (memory hard limit 2 x the quota, cpu.shares, pids.max); above
// the quota it gets R14 from the cgroup's figure, which ps shows; far above, the kernel kills it,
// the log says R15 and it is restarted; and no cgroup of the plane is left when its dynos are gone
// nor after the server closed. Needs a writable cgroup v1 or v2 filesystem (root).
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {Dyno} from '../../src/shared/api-types.js'
import {CGROUP_PARENT, DEFAULT_CGROUP_ROOT, detectVersion, ownCgroups} from '../../src/server/runtime/cgroups.js'
import {startControlPlane, type ControlPlane} from '../helpers/control-plane.js'
import {waitFor} from '../helpers/wait-for.js'
import {killDynoProcesses} from './runtime-procs.js'

const CONVERGE_MS = 60_000
const MB = 1024 ** 2
const APP = 'hog'

// Fills its buffers (Buffer.alloc with a fill byte), so that every page is really resident. Holds
// 640 MB (above the 512 MB quota, below the 1 GB hard limit); with GROW set, after 3 s it goes on
// towards 4 GB, which the kernel does not let it reach.
const HOG = `
const step = 32 * 1024 * 1024
const held = []
const grow = (target) => { while (held.length * step < target) held.push(Buffer.alloc(step, 1)) }
grow(640 * 1024 * 1024)
console.log('holding ' + held.length * 32 + ' MB')
if (process.env.GROW) setTimeout(() => { console.log('growing'); grow(4 * 1024 ** 3); console.log('still here') }, 3000)
setInterval(() => {}, 1000)
`

describe('e2e: memory, CPU and process limits through cgroups', function () {
  this.timeout(240_000)
  let plane: ControlPlane
  let dir: string

  async function tug(args: string[]): Promise<string> {
    const result = await plane.run(args, {timeoutMs: 120_000})
    assert.equal(result.code, 0, `tug ${args.join(' ')}\n${result.stdout}\n${result.stderr}`)
    return result.stdout
  }
  const logs = (): Promise<string> => tug(['logs', '-a', APP, '-n', '1500'])
  const hog = async (): Promise<(Dyno & {memory_bytes?: number | null}) | undefined> =>
    (JSON.parse(await tug(['ps', '-a', APP, '--json'])) as Array<Dyno & {memory_bytes?: number | null}>).find((d) => d.name === 'hog.1')

  /** This plane's cgroup directories, one per controller (v1) or one (v2), as cgroups.ts places them. */
  function planeDirs(): string[] {
    const id = readFileSync(join(plane.dataDir, 'plane-id'), 'utf8').split('\n')[0] ?? ''
    if (detectVersion() === 2) return [join(DEFAULT_CGROUP_ROOT, CGROUP_PARENT, id)]
    const own = ownCgroups(readFileSync(`/proc/${plane.pid}/cgroup`, 'utf8'))
    return ['memory', 'cpu', 'pids'].map((controller) => join(DEFAULT_CGROUP_ROOT, controller, own.get(controller) ?? '/', CGROUP_PARENT, id))
  }
  const dynoDirs = (): string[] => planeDirs().flatMap((planeDir) => (existsSync(planeDir) ? readdirSync(planeDir, {withFileTypes: true}).filter((e) => e.isDirectory()).map((e) => join(planeDir, e.name)) : []))

  before(async function () {
    if (detectVersion() === undefined || process.getuid?.() !== 0) {
      // Without a cgroup filesystem root can write, there is nothing to enforce limits with.
      this.skip()
    }
    plane = await startControlPlane({env: {TUG_STOP_GRACE_MS: '3000', TUG_MEMORY_INTERVAL_MS: '500'}})
    dir = mkdtempSync(join(tmpdir(), 'tug-e2e-limits-'))
    writeFileSync(join(dir, 'hog.js'), HOG)
    writeFileSync(join(dir, 'package.json'), JSON.stringify({name: 'hog', version: '1.0.0'}))
    // keeper's shell runs on after the kernel killed its node: the dyno is still up.
    writeFileSync(join(dir, 'Procfile'), 'hog: node hog.js\nkeeper: GROW=1 node hog.js; echo runs on; sleep 1000\n')
    await tug(['apps:create', APP, '--no-remote'])
    await tug(['deploy', dir, '-a', APP])
  })

  after(async () => {
    if (!plane) return
    const dirs = planeDirs()
    await plane.close()
    killDynoProcesses(plane.dataDir)
    if (dir) rmSync(dir, {recursive: true, force: true})
    for (const planeDir of dirs) assert.equal(existsSync(planeDir), false, `${planeDir} is left after the server closed`)
  })

  it('R14 above the quota from the cgroup, R15 when the kernel kills it far above, then a restart; nothing left', async () => {
    await tug(['ps:scale', 'hog=1', '-a', APP])
    await waitFor(async () => /app\[hog\.1\]: holding 640 MB/.test(await logs()), {timeoutMs: CONVERGE_MS, what: 'hog.1 holding 640 MB'})

    // Its cgroup, with the limits of a Standard-1X, holds its process.
    const dirs = await waitFor(() => (dynoDirs().length === planeDirs().length ? dynoDirs() : undefined), {what: 'one cgroup per controller for hog.1'})
    if (detectVersion() === 1) {
      const [memory, cpu, pids] = dirs
      assert.equal(readFileSync(join(memory ?? '', 'memory.limit_in_bytes'), 'utf8').trim(), String(1024 * MB))
      assert.equal(readFileSync(join(cpu ?? '', 'cpu.shares'), 'utf8').trim(), '1024')
      assert.equal(readFileSync(join(pids ?? '', 'pids.max'), 'utf8').trim(), '256')
    } else {
      assert.equal(readFileSync(join(dirs[0] ?? '', 'memory.max'), 'utf8').trim(), String(1024 * MB))
    }
    for (const cgroupDir of dirs) assert.notEqual(readFileSync(join(cgroupDir, 'cgroup.procs'), 'utf8').trim(), '', `${cgroupDir} holds the dyno`)

    await waitFor(async () => /tug\[hog\.1\]: Error R14 \(Memory quota exceeded\)/.test(await logs()), {timeoutMs: CONVERGE_MS, what: 'R14 for hog.1'})
    const before = await logs()
    assert.match(before, /tug\[hog\.1\]: Process running mem=6\d\dM\(1[23]\d\.0%\)/)
    assert.doesNotMatch(before, /R15/)
    const shown = await hog()
    assert.ok((shown?.memory_bytes ?? 0) > 512 * MB, `ps shows the cgroup's figure: ${shown?.memory_bytes}`)
    assert.match(await tug(['ps', '-a', APP, '--extended']), /mem=6\d\d\.\dMB/)

    // Far above: the kernel's kill, at the hard limit, is R15, the exit a crash, and the dyno restarts.
    await tug(['config:set', 'GROW=1', '-a', APP])
    const killed = await waitFor(
      async () => {
        const text = await logs()
        const at = text.indexOf('Error R15 (Memory quota vastly exceeded)')
        return at >= 0 && /State changed from crashed to starting/.test(text.slice(at)) ? text.slice(at) : undefined
      },
      {timeoutMs: CONVERGE_MS, what: 'R15, then the crashed hog.1 starting again'},
    )
    assert.match(killed, /^Error R15 \(Memory quota vastly exceeded\)\n.*tug\[hog\.1\]: Process exited with status 137\n.*tug\[hog\.1\]: State changed from up to crashed\n/)
    const full = await logs()
    assert.match(full, /app\[hog\.1\]: growing/)
    assert.doesNotMatch(full, /app\[hog\.1\]: still here/)

    // Its dynos gone, the plane has no cgroup left.
    await tug(['ps:scale', 'hog=0', '-a', APP])
    await waitFor(() => planeDirs().every((planeDir) => !existsSync(planeDir)), {timeoutMs: CONVERGE_MS, what: "no cgroup of the plane once hog.1 is gone"})
  })

  it('a dyno that runs on after the kernel killed one of its processes gets R15 and is restarted', async () => {
    await tug(['ps:scale', 'keeper=1', '-a', APP])
    const after = await waitFor(
      async () => {
        const text = await logs()
        const at = text.indexOf('app[keeper.1]: runs on')
        return at >= 0 && /tug\[keeper\.1\]: Restarting/.test(text.slice(at)) ? text.slice(at) : undefined
      },
      {timeoutMs: CONVERGE_MS, what: 'keeper.1 running on after the kill, then restarted'},
    )
    assert.match(after, /tug\[keeper\.1\]: Error R15 \(Memory quota vastly exceeded\)\n.*tug\[keeper\.1\]: Restarting\n/)
    assert.doesNotMatch(after.slice(0, after.indexOf('Restarting')), /Process exited/, 'it was still running when R15 came')
    await waitFor(async () => ((await logs()).match(/app\[keeper\.1\]: holding 640 MB/g) ?? []).length >= 2, {timeoutMs: CONVERGE_MS, what: 'keeper.1 started again'})

    await tug(['ps:scale', 'keeper=0', '-a', APP])
    await waitFor(() => planeDirs().every((planeDir) => !existsSync(planeDir)), {timeoutMs: CONVERGE_MS, what: 'no cgroup of the plane once keeper.1 is gone'})
  })
})
