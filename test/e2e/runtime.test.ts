// The dyno manager end to end: a real control plane (`tug server`), the real `tug` binary, the
// examples/demo app deployed with `tug deploy`, and the process table read directly from /proc.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {Dyno} from '../../src/shared/api-types.js'
import {ROOT, startControlPlane, type ControlPlane} from '../helpers/control-plane.js'
import {waitFor} from '../helpers/wait-for.js'
import {dynoLeaders, dynoProcesses, isAlive, killDynoProcesses} from './runtime-procs.js'

const DEMO = join(ROOT, 'examples', 'demo')
/** Generous: a loaded 2-core machine starts node processes slowly. */
const CONVERGE_MS = 60_000
const ENV = {TUG_STOP_GRACE_MS: '5000'}

async function ps(plane: ControlPlane, app: string): Promise<Dyno[]> {
  const result = await plane.run(['ps', '-a', app, '--json'])
  assert.equal(result.code, 0, result.stderr)
  return JSON.parse(result.stdout) as Dyno[]
}

function summary(dynos: Dyno[], types?: string[]): string[] {
  return dynos
    .filter((d) => types === undefined || types.includes(d.type))
    .map((d) => `${d.name}:${d.state}`)
    .sort()
}

async function tug(plane: ControlPlane, args: string[]): Promise<string> {
  const result = await plane.run(args, {timeoutMs: 120_000})
  assert.equal(result.code, 0, `tug ${args.join(' ')}\n${result.stdout}\n${result.stderr}`)
  return result.stdout
}

describe('e2e: the dyno manager runs the demo app', function () {
  this.timeout(240_000)
  let plane: ControlPlane
  let crashDir: string
  let crashScaledAt = 0
  /** Each test that needs the demo deploys an app of its own (demo1, demo2...), destroyed after it. */
  let apps = 0
  let app: {name: string; procs: string} | undefined

  /** The demo deployed as a new app; `procs` is where its dyno processes run (its release directories). */
  async function demoApp(): Promise<{name: string; procs: string}> {
    const name = `demo${++apps}`
    const {id} = JSON.parse(await tug(plane, ['apps:create', name, '--no-remote', '--json'])) as {id: string}
    app = {name, procs: join(plane.dataDir, 'releases', id)}
    await tug(plane, ['deploy', DEMO, '-a', name])
    return app
  }

  /** web=3 worker=2, all five up: what the first test checks, as the starting point of others. */
  async function fiveUp(name: string): Promise<void> {
    await tug(plane, ['ps:scale', 'web=3', 'worker=2', '-a', name])
    const want = ['web.1:up', 'web.2:up', 'web.3:up', 'worker.1:up', 'worker.2:up']
    await waitFor(async () => JSON.stringify(summary(await ps(plane, name))) === JSON.stringify(want), {timeoutMs: CONVERGE_MS, what: 'five dynos up'})
  }

  before(async () => {
    plane = await startControlPlane({env: ENV})
    // A type that exits at once, in its own app, started now so that its back-off runs while the
    // other tests do.
    crashDir = mkdtempSync(join(tmpdir(), 'tug-e2e-crasher-'))
    writeFileSync(join(crashDir, 'Procfile'), 'crash: echo going down; exit 1\n')
    await tug(plane, ['apps:create', 'crasher', '--no-remote'])
    await tug(plane, ['deploy', crashDir, '-a', 'crasher'])
    crashScaledAt = Date.now()
    await tug(plane, ['ps:scale', 'crash=1', '-a', 'crasher'])
  })

  afterEach(async () => {
    // Its dynos stop with it, so the next tests do not share the machine with them.
    if (app) await plane.run(['apps:destroy', app.name, '--confirm', app.name], {timeoutMs: 120_000})
    app = undefined
  })

  after(async () => {
    await plane?.close()
    if (plane) killDynoProcesses(plane.dataDir)
    if (crashDir) rmSync(crashDir, {recursive: true, force: true})
  })

  it('ps:scale web=3 worker=2: ps shows five dynos up, each its own process with its own PORT', async () => {
    const {name, procs} = await demoApp()
    const scaled = await plane.run(['ps:scale', 'web=3', 'worker=2', '-a', name])
    assert.equal(scaled.code, 0, scaled.stderr)
    assert.match(scaled.stdout + scaled.stderr, /now running web at 3:Standard-1X, worker at 2:Standard-1X/)
    const want = ['web.1:up', 'web.2:up', 'web.3:up', 'worker.1:up', 'worker.2:up']
    await waitFor(async () => JSON.stringify(summary(await ps(plane, name))) === JSON.stringify(want), {
      timeoutMs: CONVERGE_MS,
      what: 'five dynos up',
    })
    const text = await tug(plane, ['ps', '-a', name])
    assert.match(text, /^=== web \(Standard-1X\): node web\.js \(3\)$/m)
    assert.match(text, /^worker\.2: up /m)
    const leaders = dynoLeaders(procs)
    assert.deepEqual([...leaders.keys()].sort(), ['web.1', 'web.2', 'web.3', 'worker.1', 'worker.2'])
    const ports = [...leaders.values()].map((list) => list[0]?.env.get('PORT'))
    assert.equal(new Set(ports).size, 5)
    for (const [name, list] of leaders) {
      assert.equal(list.length, 1, name)
      assert.equal(list[0]?.env.get('PS'), name)
    }
    // The web dynos answer on their own port.
    const web2 = leaders.get('web.2')?.[0]?.env.get('PORT')
    const response = await fetch(`http://127.0.0.1:${web2}/`)
    assert.equal(await response.text(), 'hello from web.2\n')
  })

  it('kill -9 of a worker process: it is restarted and ps shows it up again', async () => {
    const {name, procs} = await demoApp()
    await fiveUp(name)
    const before = dynoLeaders(procs).get('worker.1')?.[0]
    assert.ok(before)
    process.kill(before.pid, 'SIGKILL')
    const after = await waitFor(
      async () => {
        const now = dynoLeaders(procs).get('worker.1')?.[0]
        if (!now || now.pid === before.pid) return undefined
        const dynos = await ps(plane, name)
        return dynos.find((d) => d.name === 'worker.1' && d.state === 'up') ? now : undefined
      },
      {timeoutMs: CONVERGE_MS, what: 'worker.1 restarted'},
    )
    assert.notEqual(after.dynoId, before.dynoId)
    const logs = await tug(plane, ['logs', '-a', name, '-n', '1000'])
    assert.match(logs, /tug\[worker\.1\]: Process exited with status 137/)
    assert.match(logs, /tug\[worker\.1\]: State changed from up to crashed/)
    assert.equal(summary(await ps(plane, name)).length, 5)
  })

  it('a config change restarts every dyno onto the new release', async () => {
    const {name, procs} = await demoApp()
    await fiveUp(name)
    const old = new Map([...dynoLeaders(procs)].map(([dyno, list]) => [dyno, list[0]?.pid]))
    await tug(plane, ['config:set', 'GREETING=hola', '-a', name])
    const releases = JSON.parse(await tug(plane, ['releases', '-a', name, '--json'])) as Array<{version: number; current: boolean}>
    const current = releases.find((r) => r.current)?.version
    assert.equal(current, 3)
    await waitFor(
      async () => {
        const dynos = (await ps(plane, name)).filter((d) => d.type === 'web' || d.type === 'worker')
        return dynos.length === 5 && dynos.every((d) => d.state === 'up' && d.release.version === 3)
      },
      {timeoutMs: CONVERGE_MS, what: 'five dynos up on v3'},
    )
    const leaders = await waitFor(
      () => {
        const now = dynoLeaders(procs)
        return [...now.values()].every((list) => list.length === 1 && list[0]?.env.get('GREETING') === 'hola') && now.size === 5 ? now : undefined
      },
      {timeoutMs: CONVERGE_MS, what: 'five processes with the new config'},
    )
    for (const [dyno, pid] of old) {
      assert.notEqual(leaders.get(dyno)?.[0]?.pid, pid, dyno)
      assert.equal(isAlive(pid as number), false, `${dyno}'s old process ${pid} is gone`)
    }
  })

  it('a type that exits at once backs off: a handful of restarts in 20 s, not hundreds', async () => {
    const windowEnd = crashScaledAt + 20_000
    await waitFor(() => Date.now() > windowEnd + 1000, {timeoutMs: 40_000, what: 'the 20 s window'})
    const logs = await tug(plane, ['logs', '-a', 'crasher', '-n', '1500'])
    const starts = logs
      .split('\n')
      .filter((line) => line.includes('tug[crash.1]: Starting process with command'))
      .map((line) => Date.parse(line.slice(0, line.indexOf(' '))))
      .filter((at) => at <= windowEnd)
    // Restarts at once, then after 1, 2, 4, 8 s...: about 6 starts in 20 s. Bounds are generous
    // for a loaded machine, and still far from a loop without back-off.
    assert.ok(starts.length >= 3 && starts.length <= 9, `${starts.length} starts in 20 s`)
    assert.match(logs, /app\[crash\.1\]: going down/)
    assert.match(logs, /tug\[crash\.1\]: Process exited with status 1/)
    const [dyno] = await ps(plane, 'crasher')
    assert.equal(dyno?.name, 'crash.1')
    await tug(plane, ['ps:scale', 'crash=0', '-a', 'crasher'])
  })

  it('ps:scale web=0 worker=0: no process of the app remains', async () => {
    const {name, procs} = await demoApp()
    await fiveUp(name)
    const groups = new Set(dynoProcesses(procs).map((p) => p.pgid))
    assert.ok(groups.size >= 5)
    await tug(plane, ['ps:scale', 'web=0', 'worker=0', '-a', name])
    await waitFor(() => dynoProcesses(procs).length === 0, {timeoutMs: CONVERGE_MS, what: 'every dyno process gone'})
    // A leader that has exited stays in its group as a zombie until the control plane reaps it
    // (dynoProcesses does not list zombies), so each group is given the same deadline to empty.
    const groupGone = (pgid: number): boolean => {
      try {
        process.kill(-pgid, 0)
        return false
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'ESRCH'
      }
    }
    await waitFor(() => [...groups].every(groupGone), {timeoutMs: CONVERGE_MS, what: `process groups ${[...groups].join(', ')} gone`})
    await waitFor(async () => (await ps(plane, name)).length === 0, {timeoutMs: CONVERGE_MS, what: 'no dyno records'})
  })
})

describe('e2e: the dyno manager across control-plane restarts', function () {
  this.timeout(240_000)
  /** Each test's control plane, started again on the same data directory. */
  const planes: ControlPlane[] = []
  let dataDir = ''
  let home = ''

  afterEach(async () => {
    for (const plane of planes.splice(0).reverse()) await plane.close()
    if (dataDir) killDynoProcesses(dataDir)
    const parent = dataDir && join(dataDir, '..')
    if (parent) rmSync(parent, {recursive: true, force: true})
    if (home) rmSync(join(home, '..'), {recursive: true, force: true})
    dataDir = ''
    home = ''
  })

  async function start(): Promise<ControlPlane> {
    const plane = await startControlPlane({env: ENV, ...(dataDir ? {dataDir, home} : {})})
    planes.push(plane)
    dataDir = plane.dataDir
    home = plane.home
    return plane
  }

  async function webUp(plane: ControlPlane, count: number): Promise<void> {
    const want = Array.from({length: count}, (_, i) => `web.${i + 1}:up`)
    await waitFor(async () => JSON.stringify(summary(await ps(plane, 'demo'))) === JSON.stringify(want), {
      timeoutMs: CONVERGE_MS,
      what: `${count} web dynos up`,
    })
  }

  /** A first control plane running the demo with two web dynos up. */
  async function demoOnTwoWeb(): Promise<ControlPlane> {
    const first = await start()
    await tug(first, ['apps:create', 'demo', '--no-remote'])
    await tug(first, ['deploy', DEMO, '-a', 'demo'])
    await tug(first, ['ps:scale', 'web=2', '-a', 'demo'])
    await webUp(first, 2)
    return first
  }

  it('a clean stop stops every dyno; the next start brings the formation back', async () => {
    const first = await demoOnTwoWeb()
    assert.equal(dynoLeaders(dataDir).size, 2)
    await first.kill('SIGTERM')
    assert.deepEqual(dynoProcesses(dataDir), [])

    const second = await start()
    await webUp(second, 2)
    assert.deepEqual([...dynoLeaders(dataDir).keys()].sort(), ['web.1', 'web.2'])
  })

  it('after kill -9 of the control plane, the next start stops the orphans and converges: never two web.1', async () => {
    const crashed = await demoOnTwoWeb()
    const orphans = dynoProcesses(dataDir)
    assert.equal(new Set(orphans.map((p) => p.dyno)).size, 2)
    await crashed.kill('SIGKILL')
    // The dynos outlive a control plane killed outright (they are in their own process groups).
    assert.ok(orphans.some((p) => isAlive(p.pid)), 'orphaned dynos still running')

    const next = await start()
    await webUp(next, 2)
    await waitFor(() => orphans.every((p) => !isAlive(p.pid)), {timeoutMs: CONVERGE_MS, what: 'the orphans to be gone'})
    const leaders = dynoLeaders(dataDir)
    assert.deepEqual([...leaders.keys()].sort(), ['web.1', 'web.2'])
    for (const [name, list] of leaders) assert.equal(list.length, 1, `one ${name}`)
    const logs = await tug(next, ['logs', '-a', 'demo', '-n', '1000'])
    assert.match(logs, /tug\[web\.1\]: Control plane restarted: stopped \d+ orphaned process(es)? of web\.1/)

    await tug(next, ['ps:scale', 'web=0', '-a', 'demo'])
    await waitFor(() => dynoProcesses(dataDir).length === 0, {timeoutMs: CONVERGE_MS, what: 'every dyno process gone'})
  })
})
