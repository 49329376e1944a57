// The dyno manager end to end, beyond the formation: the release phase, one-off dynos (names,
// Procfile-type substitution, time to live, exit status), schedules and `ps --extended`, with a
// real control plane and the real `tug` binary.
import assert from 'node:assert/strict'
import {copyFileSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {Dyno, Release, Schedule} from '../../src/lib/api/types.js'
import {ROOT, startControlPlane, type ControlPlane} from '../helpers/control-plane.js'
import {waitFor} from '../server/runtime/wait-for.js'
import {dynoProcesses, killDynoProcesses} from './runtime-procs.js'

const DEMO = join(ROOT, 'examples', 'demo')
const CONVERGE_MS = 60_000
const ACCEPT = 'application/vnd.heroku+json; version=3'

type DynoOut = Dyno & {exit_status?: number | null; ended_at?: string | null; memory_bytes?: number | null}

describe('e2e: release phase, one-off dynos and schedules', function () {
  this.timeout(240_000)
  let plane: ControlPlane
  let dir: string

  async function tug(args: string[]): Promise<string> {
    const result = await plane.run(args, {timeoutMs: 120_000})
    assert.equal(result.code, 0, `tug ${args.join(' ')}\n${result.stdout}\n${result.stderr}`)
    return result.stdout
  }
  const json = async <T>(args: string[]): Promise<T> => JSON.parse(await tug([...args, '--json'])) as T
  const dynos = (): Promise<DynoOut[]> => json<DynoOut[]>(['ps', '-a', 'jobs'])
  const dyno = async (name: string): Promise<DynoOut | undefined> => (await dynos()).find((d) => d.name === name)
  const releases = (): Promise<Release[]> => json<Release[]>(['releases', '-a', 'jobs'])
  const logs = (): Promise<string> => tug(['logs', '-a', 'jobs', '-n', '1500'])

  before(async () => {
    plane = await startControlPlane({env: {TUG_STOP_GRACE_MS: '3000'}})
    dir = mkdtempSync(join(tmpdir(), 'tug-e2e-jobs-'))
    for (const file of ['web.js', 'worker.js', 'package.json']) copyFileSync(join(DEMO, file), join(dir, file))
    writeFileSync(
      join(dir, 'Procfile'),
      ['web: node web.js', 'worker: node worker.js', 'release: echo migrating; exit ${RELEASE_EXIT:-0}', ''].join('\n'),
    )
    await tug(['apps:create', 'jobs', '--no-remote'])
  })

  after(async () => {
    await plane?.close()
    if (plane) killDynoProcesses(plane.dataDir)
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  it('the release phase runs release.1 before the release becomes current', async () => {
    await tug(['deploy', dir, '-a', 'jobs'])
    await waitFor(async () => (await releases()).find((r) => r.version === 2 && r.status === 'succeeded' && r.current), {
      timeoutMs: CONVERGE_MS,
      what: 'v2 succeeded and current',
    })
    await waitFor(async () => (await dyno('web.1'))?.state === 'up', {timeoutMs: CONVERGE_MS, what: 'web.1 up'})
    const formation = await fetch(`${plane.url}/apps/jobs/formation`, {headers: {Accept: ACCEPT, Authorization: `Bearer ${plane.token}`}})
    assert.deepEqual(((await formation.json()) as Array<{type: string}>).map((f) => f.type).sort(), ['web', 'worker'])
    const phase = await dyno('release.1')
    assert.equal(phase?.type, 'release')
    assert.equal(phase?.exit_status, 0)
    assert.equal(phase?.state, 'down')
    const text = await logs()
    assert.match(text, /app\[release\.1\]: migrating/)
    assert.match(text, /tug\[release\.1\]: Release v2 succeeded and is now current/)
  })

  it('a failing release phase keeps the old release current and marks the new one failed', async () => {
    await tug(['config:set', 'RELEASE_EXIT=3', '-a', 'jobs'])
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
    assert.equal((await dyno('release.2'))?.exit_status, 3)
    assert.equal((await dyno('web.1'))?.release.version, 2)
    assert.match(await tug(['releases', '-a', 'jobs']), /^v3 +Set RELEASE_EXIT config vars \(failed\)/m)
    assert.match(await logs(), /tug\[release\.2\]: Release v3 failed: the release command exited with status 3; v2 stays current/)
  })

  it('one-offs are run.N, the lowest free number; a Procfile type as first word is substituted; exit status is kept', async () => {
    await tug(['run:detached', '-a', 'jobs', '--', 'echo', 'one-off says hi'])
    await tug(['run:detached', '-a', 'jobs', '--', 'worker', '--once'])
    await tug(['run:detached', '-a', 'jobs', '--', 'exit 7'])
    const ended = await waitFor(
      async () => {
        const all = await dynos()
        const runs = all.filter((d) => d.type === 'run')
        return runs.length === 3 && runs.every((d) => d.name !== 'run.2' ? d.ended_at : true) ? runs : undefined
      },
      {timeoutMs: CONVERGE_MS, what: 'three one-offs, two ended'},
    )
    const byName = new Map(ended.map((d) => [d.name, d]))
    assert.equal(byName.get('run.1')?.command, 'echo one-off says hi')
    assert.equal(byName.get('run.1')?.state, 'down')
    assert.equal(byName.get('run.1')?.exit_status, 0)
    assert.equal(byName.get('run.2')?.command, 'node worker.js --once')
    assert.equal(byName.get('run.3')?.state, 'crashed')
    assert.equal(byName.get('run.3')?.exit_status, 7)
    assert.match(await logs(), /app\[run\.1\]: one-off says hi/)
    // run.2 (the worker) runs until stopped: ps:stop ends a one-off for good.
    await tug(['ps:stop', 'run.2', '-a', 'jobs'])
    await waitFor(async () => (await dyno('run.2'))?.ended_at, {timeoutMs: CONVERGE_MS, what: 'run.2 stopped'})
    assert.equal((await dyno('run.2'))?.state, 'down')
  })

  it('time_to_live ends a one-off', async () => {
    const response = await fetch(`${plane.url}/apps/jobs/dynos`, {
      method: 'POST',
      headers: {Accept: ACCEPT, Authorization: `Bearer ${plane.token}`, 'Content-Type': 'application/json'},
      body: JSON.stringify({command: 'sleep 120', attach: false, time_to_live: 2}),
    })
    assert.equal(response.status, 201)
    const created = (await response.json()) as Dyno
    assert.equal(created.name, 'run.4')
    const ended = await waitFor(async () => {
      const d = await dyno('run.4')
      return d?.ended_at ? d : undefined
    }, {timeoutMs: CONVERGE_MS, what: 'run.4 ended by its time to live'})
    assert.equal(ended.exit_status, 143)
    assert.equal(dynoProcesses(plane.dataDir).some((p) => p.dyno === 'run.4'), false)
    assert.match(await logs(), /tug\[run\.4\]: Stopping process: its time to live of 2 seconds is over/)
  })

  it('schedules: add, list, a run as scheduler.N, remove', async () => {
    const added = JSON.parse(
      await tug(['schedules:add', '* * * * *', '--tz', 'Europe/Berlin', '-a', 'jobs', '--json', '--', 'echo', 'scheduled', 'run']),
    ) as Schedule
    assert.equal(added.schedule, '* * * * *')
    assert.equal(added.timezone, 'Europe/Berlin')
    assert.equal(added.command, 'echo scheduled run')
    const listed = await json<Schedule[]>(['schedules', '-a', 'jobs'])
    assert.deepEqual(listed.map((s) => s.id), [added.id])
    assert.match(await tug(['schedules', '-a', 'jobs']), new RegExp(`^${added.id}  \\* \\* \\* \\* \\* \\(Europe/Berlin\\)  echo scheduled run`, 'm'))
    // The next minute boundary is at most 60 s away.
    await waitFor(async () => /app\[scheduler\.1\]: scheduled run/.test(await logs()), {timeoutMs: 90_000, intervalMs: 1000, what: 'the scheduled run'})
    assert.equal((await dyno('scheduler.1'))?.type, 'scheduler')
    await tug(['schedules:remove', added.id, '-a', 'jobs'])
    assert.deepEqual(await json<Schedule[]>(['schedules', '-a', 'jobs']), [])
    const bad = await plane.run(['schedules:add', '* * *', '-a', 'jobs', '--', 'true'])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /Invalid schedule/)
  })

  it('ps --extended shows the memory of each dyno', async () => {
    await waitFor(async () => typeof (await dyno('web.1'))?.memory_bytes === 'number', {timeoutMs: CONVERGE_MS, what: 'a memory sample'})
    const text = await tug(['ps', '--extended', '-a', 'jobs'])
    assert.match(text, /^web\.1: up .* mem=\d+\.\dMB restarts=0$/m)
  })
})
