// The dyno manager end to end, beyond the formation: the release phase, one-off dynos (names,
// Procfile-type substitution, time to live, exit status), schedules and `ps --extended`, with a
// real control plane and the real `tug` binary. A one-off that has exited leaves the dyno list, as
// on Heroku: its exit status is read from its `Process exited with status N` line in the log.
import assert from 'node:assert/strict'
import {copyFileSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {Dyno, Release, Schedule} from '../../src/shared/api-types.js'
import {ROOT, startControlPlane, type ControlPlane} from '../helpers/control-plane.js'
import {waitFor} from '../helpers/wait-for.js'
import {dynoProcesses, killDynoProcesses} from './runtime-procs.js'

const DEMO = join(ROOT, 'examples', 'demo')
const CONVERGE_MS = 60_000
const ACCEPT = 'application/vnd.heroku+json; version=3'

type DynoOut = Dyno & {exit_status?: number | null; ended_at?: string | null; memory_bytes?: number | null}

describe('e2e: release phase, one-off dynos and schedules', function () {
  this.timeout(240_000)
  let plane: ControlPlane
  let dir: string
  /** Each test has an app of its own (jobs1, jobs2...): none depends on what an earlier one left. */
  let app = ''
  let apps = 0

  async function tug(args: string[]): Promise<string> {
    const result = await plane.run(args, {timeoutMs: 120_000})
    assert.equal(result.code, 0, `tug ${args.join(' ')}\n${result.stdout}\n${result.stderr}`)
    return result.stdout
  }
  const json = async <T>(args: string[]): Promise<T> => JSON.parse(await tug([...args, '--json'])) as T
  const dynos = (): Promise<DynoOut[]> => json<DynoOut[]>(['ps', '-a', app])
  const dyno = async (name: string): Promise<DynoOut | undefined> => (await dynos()).find((d) => d.name === name)
  const releases = (): Promise<Release[]> => json<Release[]>(['releases', '-a', app])
  const logs = (): Promise<string> => tug(['logs', '-a', app, '-n', '1500'])
  const runDetached = async (...command: string[]): Promise<DynoOut> => JSON.parse(await tug(['run:detached', '-a', app, '--json', '--', ...command])) as DynoOut

  /** What the first test checks, as the others' starting point: v2 deployed, its release phase done, web.1 up. */
  async function deployed(): Promise<void> {
    await tug(['deploy', dir, '-a', app])
    await waitFor(async () => (await releases()).find((r) => r.version === 2 && r.status === 'succeeded' && r.current), {
      timeoutMs: CONVERGE_MS,
      what: 'v2 succeeded and current',
    })
    await waitFor(async () => (await dyno('web.1'))?.state === 'up', {timeoutMs: CONVERGE_MS, what: 'web.1 up'})
  }

  before(async () => {
    plane = await startControlPlane({env: {TUG_STOP_GRACE_MS: '3000'}})
    dir = mkdtempSync(join(tmpdir(), 'tug-e2e-jobs-'))
    for (const file of ['web.js', 'worker.js', 'package.json']) copyFileSync(join(DEMO, file), join(dir, file))
    writeFileSync(
      join(dir, 'Procfile'),
      ['web: node web.js', 'worker: node worker.js', 'release: echo migrating; exit ${RELEASE_EXIT:-0}', ''].join('\n'),
    )
  })

  beforeEach(async () => {
    app = `jobs${++apps}`
    await tug(['apps:create', app, '--no-remote'])
  })

  afterEach(async () => {
    // Its dynos stop with it, so the next tests do not share the machine with them.
    await plane.run(['apps:destroy', app, '--confirm', app], {timeoutMs: 120_000})
  })

  after(async () => {
    await plane?.close()
    if (plane) killDynoProcesses(plane.dataDir)
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  it('the release phase runs release.1 before the release becomes current', async () => {
    await deployed()
    const formation = await fetch(`${plane.url}/apps/${app}/formation`, {headers: {Accept: ACCEPT, Authorization: `Bearer ${plane.token}`}})
    assert.deepEqual(((await formation.json()) as Array<{type: string}>).map((f) => f.type).sort(), ['web', 'worker'])
    assert.equal(await dyno('release.1'), undefined, 'the finished release phase is no dyno any more')
    const text = await logs()
    assert.match(text, /app\[release\.1\]: migrating/)
    assert.match(text, /tug\[release\.1\]: Process exited with status 0/)
    assert.match(text, /tug\[release\.1\]: Release v2 succeeded and is now current/)
  })

  it('a failing release phase keeps the old release current and marks the new one failed', async () => {
    await deployed()
    // Whether config:set itself waits for the phase (and exits 1) is for the config tests; here the outcome counts.
    await plane.run(['config:set', 'RELEASE_EXIT=3', '-a', app], {timeoutMs: 120_000})
    await waitFor(async () => (await releases()).find((r) => r.version === 3 && r.status === 'failed'), {
      timeoutMs: CONVERGE_MS,
      what: 'v3 failed',
    })
    const list = await releases()
    assert.deepEqual(
      list.map((r) => [r.version, r.status, r.current]),
      [
        [3, 'failed', false],
        [2, 'succeeded', true],
        [1, 'succeeded', false],
      ].filter(([v]) => list.some((r) => r.version === v)),
    )
    assert.equal(await dyno('release.2'), undefined)
    assert.equal((await dyno('web.1'))?.release.version, 2)
    assert.match(await tug(['releases', '-a', app]), /^v3 +Set RELEASE_EXIT config vars \(failed\)/m)
    const text = await logs()
    assert.match(text, /tug\[release\.2\]: Process exited with status 3/)
    assert.match(text, /tug\[release\.2\]: Release v3 failed: the release command exited with status 3; v2 stays current/)
  })

  it('one-offs are run.N, a number not reused while its lines are recent; a Procfile type as first word is substituted; the exit status is logged', async () => {
    await deployed()
    const started = [
      await runDetached('echo', 'one-off says hi'),
      await runDetached('worker', '--once'),
      await runDetached('exit 7'),
    ]
    assert.deepEqual(
      started.map((d) => [d.name, d.command]),
      [
        ['run.1', 'echo one-off says hi'],
        ['run.2', 'node worker.js --once'],
        ['run.3', 'exit 7'],
      ],
    )
    // run.1 and run.3 exit and leave the list; run.2 (the worker) runs until stopped.
    await waitFor(async () => JSON.stringify((await dynos()).filter((d) => d.type === 'run').map((d) => d.name)) === '["run.2"]', {
      timeoutMs: CONVERGE_MS,
      what: 'run.1 and run.3 gone, run.2 running',
    })
    const text = await logs()
    assert.match(text, /app\[run\.1\]: one-off says hi/)
    assert.match(text, /tug\[run\.1\]: Process exited with status 0/)
    assert.match(text, /tug\[run\.3\]: Process exited with status 7/)
    // ps:stop ends a one-off for good.
    await tug(['ps:stop', 'run.2', '-a', app])
    await waitFor(async () => (await dyno('run.2')) === undefined, {timeoutMs: CONVERGE_MS, what: 'run.2 stopped'})
    assert.match(await logs(), /tug\[run\.2\]: Process exited with status 0/)
  })

  it('time_to_live ends a one-off', async () => {
    await deployed()
    const response = await fetch(`${plane.url}/apps/${app}/dynos`, {
      method: 'POST',
      headers: {Accept: ACCEPT, Authorization: `Bearer ${plane.token}`, 'Content-Type': 'application/json'},
      body: JSON.stringify({command: 'sleep 120', attach: false, time_to_live: 2}),
    })
    assert.equal(response.status, 201)
    const created = (await response.json()) as Dyno
    assert.equal(created.name, 'run.1')
    await waitFor(async () => (await dyno('run.1')) === undefined, {timeoutMs: CONVERGE_MS, what: 'run.1 ended by its time to live'})
    assert.equal(dynoProcesses(plane.dataDir).some((p) => p.dyno === 'run.1'), false)
    const text = await logs()
    assert.match(text, /tug\[run\.1\]: Stopping process: its time to live of 2 seconds is over/)
    assert.match(text, /tug\[run\.1\]: Process exited with status 143/)
  })

  it('finished one-offs leave tug ps and tug apps:info, and their exit status stays in tug logs', async () => {
    await deployed()
    // A failed release phase (release.2) is a finished one-off too.
    await plane.run(['config:set', 'RELEASE_EXIT=3', '-a', app], {timeoutMs: 120_000})
    await waitFor(async () => (await releases()).find((r) => r.version === 3 && r.status === 'failed'), {timeoutMs: CONVERGE_MS, what: 'v3 failed'})
    const failing = await runDetached('exit 3')
    assert.equal(failing.type, 'run')
    const exited = new RegExp(`tug\\[${failing.name.replace('.', '\\.')}\\]: Process exited with status 3`)
    await waitFor(async () => exited.test(await logs()), {timeoutMs: CONVERGE_MS, what: `${failing.name} exited`})
    await waitFor(async () => (await dyno(failing.name)) === undefined, {timeoutMs: CONVERGE_MS, what: `${failing.name} gone`})
    // Every one-off of this app (release.1, release.2, run.1) has ended.
    const ps = await tug(['ps', '-a', app])
    assert.doesNotMatch(ps, /one-off|run\.\d|release\.\d|crashed/, ps)
    assert.match(ps, /^web\.1: up /m)
    const info = await tug(['apps:info', '-a', app])
    const dynosLine = info.split('\n').find((line) => line.startsWith('Dynos:'))
    assert.match(dynosLine ?? '', /web: 1/, info)
    assert.doesNotMatch(dynosLine ?? '', /run|release/, info)
    assert.doesNotMatch(await tug(['ps', '--extended', '-a', app]), /exit=/)
    const text = await logs()
    assert.match(text, exited)
    assert.match(text, /tug\[release\.2\]: Process exited with status 3/)
  })

  it('schedules: add, list, a run as scheduler.N, remove', async () => {
    await deployed()
    const added = JSON.parse(
      await tug(['schedules:add', '* * * * *', '--tz', 'Europe/Berlin', '-a', app, '--json', '--', 'echo', 'scheduled', 'run']),
    ) as Schedule
    assert.equal(added.schedule, '* * * * *')
    assert.equal(added.timezone, 'Europe/Berlin')
    assert.equal(added.command, 'echo scheduled run')
    const listed = await json<Schedule[]>(['schedules', '-a', app])
    assert.deepEqual(listed.map((s) => s.id), [added.id])
    assert.match(await tug(['schedules', '-a', app]), new RegExp(`^${added.id}  \\* \\* \\* \\* \\* \\(Europe/Berlin\\)  echo scheduled run`, 'm'))
    // The next minute boundary is at most 60 s away.
    await waitFor(async () => /app\[scheduler\.1\]: scheduled run/.test(await logs()), {timeoutMs: 90_000, intervalMs: 1000, what: 'the scheduled run'})
    await waitFor(async () => /tug\[scheduler\.1\]: Process exited with status 0/.test(await logs()), {timeoutMs: CONVERGE_MS, what: 'the scheduled run exited'})
    await tug(['schedules:remove', added.id, '-a', app])
    assert.deepEqual(await json<Schedule[]>(['schedules', '-a', app]), [])
    const bad = await plane.run(['schedules:add', '* * *', '-a', app, '--', 'true'])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /Invalid schedule/)
  })

  it('ps --extended shows the memory of each dyno', async () => {
    await deployed()
    await waitFor(async () => typeof (await dyno('web.1'))?.memory_bytes === 'number', {timeoutMs: CONVERGE_MS, what: 'a memory sample'})
    const text = await tug(['ps', '--extended', '-a', app])
    assert.match(text, /^web\.1: up .* mem=\d+\.\dMB restarts=0$/m)
  })
})
