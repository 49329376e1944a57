// kill -9 of the control plane while it scales web from 1 to 50, at five different moments (one
// right after the PATCH returned, before any new process can be relied on to exist; the others
// once N web processes exist). Only the server's pid is killed, as a real crash would: dynos live
// in process groups of their own. After each restart on the same data directory and convergence,
// exactly 50 web processes of the app run, counted from /proc, and none after a scale to 0.
import assert from 'node:assert/strict'
import {join} from 'node:path'

import type {Dyno} from '../../src/shared/api-types.js'
import {apiCall, ROOT, startControlPlane, type ControlPlane} from '../helpers/control-plane.js'
import {waitFor, withDeadline} from '../helpers/wait-for.js'
import {dynoProcesses, killDynoProcesses} from './runtime-procs.js'

const DEMO = join(ROOT, 'examples', 'demo')
const WEB = 50
/** Web processes found in /proc before the kill; 0 = at once after the PATCH returned. */
const MOMENTS = [0, 2, 10, 25, 45]
/** Generous: fifty node processes start slowly on a loaded 2-core machine. */
const CONVERGE_MS = 120_000
const ENV = {TUG_STOP_GRACE_MS: '5000'}

function webProcesses(dataDir: string): string[] {
  return dynoProcesses(dataDir)
    .filter((p) => p.dyno.startsWith('web.'))
    .map((p) => p.dyno)
    .sort((a, b) => a.localeCompare(b, 'en', {numeric: true}))
}


const scale = (plane: ControlPlane, quantity: number): Promise<unknown> =>
  apiCall(plane, 'PATCH', '/apps/crashy/formation', {updates: [{type: 'web', quantity}]})

/** Waits until the API shows `count` web dynos up and /proc shows exactly one process for each. */
async function converged(plane: ControlPlane, count: number): Promise<void> {
  const want = Array.from({length: count}, (_, i) => `web.${i + 1}`)
  let seen = ''
  try {
    await waitFor(
      async () => {
        const dynos = (await apiCall<Dyno[]>(plane, 'GET', '/apps/crashy/dynos')).filter((d) => d.type === 'web')
        const up = dynos.filter((d) => d.state === 'up').length
        const processes = webProcesses(plane.dataDir)
        seen = `${dynos.length} web dynos, ${up} up; ${processes.length} web processes in /proc`
        return dynos.length === count && up === count && JSON.stringify(processes) === JSON.stringify(want)
      },
      {timeoutMs: CONVERGE_MS, intervalMs: 200, what: `${count} web dynos up, one process each`},
    )
  } catch (error) {
    const extra = webProcesses(plane.dataDir).filter((name, i, all) => all.indexOf(name) !== i)
    throw new Error(`${(error as Error).message} (last seen: ${seen}; duplicated: ${extra.join(' ') || 'none'})`)
  }
}

describe('e2e: kill -9 of the control plane during ps:scale web=50', function () {
  this.timeout(MOMENTS.length * 2 * CONVERGE_MS)
  const planes: ControlPlane[] = []

  after(async () => {
    const dataDir = planes[0]?.dataDir
    // The restarted planes first: the first one's close removes the directories it made.
    for (const plane of [...planes].reverse()) await plane.close()
    if (dataDir) killDynoProcesses(dataDir)
  })

  it('after each restart exactly 50 web processes run, and none after a scale to 0', async () => {
    let plane = await startControlPlane({env: ENV})
    planes.push(plane)
    const {dataDir, home} = plane
    const created = await plane.run(['apps:create', 'crashy', '--no-remote'])
    assert.equal(created.code, 0, created.stderr)
    const deployed = await plane.run(['deploy', DEMO, '-a', 'crashy'], {timeoutMs: 120_000})
    assert.equal(deployed.code, 0, deployed.stderr)

    for (const moment of MOMENTS) {
      await scale(plane, 1)
      await converged(plane, 1)
      await scale(plane, WEB)
      if (moment > 0) {
        await waitFor(() => webProcesses(dataDir).length >= moment, {timeoutMs: CONVERGE_MS, intervalMs: 5, what: `${moment} web processes`})
      }
      // The server alone, as a crash takes it; not its process group.
      process.kill(plane.pid, 'SIGKILL')
      await withDeadline(plane.exited, 20_000, 'the killed control plane to exit')

      plane = await startControlPlane({env: ENV, dataDir, home})
      planes.push(plane)
      await converged(plane, WEB)
    }

    await scale(plane, 0)
    await waitFor(() => webProcesses(dataDir).length === 0, {timeoutMs: CONVERGE_MS, what: 'no web process left'})
  })
})
