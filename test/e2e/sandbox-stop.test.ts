// A sandboxed dyno told to stop while its sandbox is still being made (issue 14). Its process
// group's leader is the outer bwrap, which the stop spares (it would die of the SIGTERM at once and
// cut the app's grace short), so a SIGTERM sent before the app's first process exists reached
// nobody: the dyno then ran until the SIGKILL at the end of the grace, and a control plane stopped
// meanwhile left it running. Scaling 1 -> 0 in a tight loop makes such stops happen.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {startControlPlane, type ControlPlane} from '../helpers/control-plane.js'
import {pidsWithEnv} from '../helpers/proc.js'
import {waitFor} from '../helpers/wait-for.js'

const ACCEPT = 'application/vnd.heroku+json; version=3'
/** Long enough that a dyno that waits for its SIGKILL shows, short enough that the test ends. */
const GRACE_MS = 20_000

/** The pids of processes that carry this control plane's tag (every dyno's processes do). */
function taggedPids(dataDir: string): number[] {
  const plane = readFileSync(join(dataDir, 'plane-id'), 'utf8').split('\n')[0]
  return pidsWithEnv(`TUG_PLANE=${plane}`)
}

describe('e2e: stopping sandboxed dynos that are still starting', function () {
  this.timeout(120_000)
  let plane: ControlPlane | undefined
  let codeDir: string | undefined

  afterEach(async () => {
    await plane?.close()
    if (codeDir) rmSync(codeDir, {recursive: true, force: true})
  })

  async function api(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${plane?.url}${path}`, {
      method,
      headers: {accept: ACCEPT, authorization: `Bearer ${plane?.token}`, 'content-type': 'application/json'},
      ...(body === undefined ? {} : {body: JSON.stringify(body)}),
    })
    const text = await response.text()
    assert.ok(response.status < 300, `${method} ${path}: ${response.status} ${text}`)
    return text === '' ? undefined : JSON.parse(text)
  }

  it('scaling 1 -> 0 in a tight loop leaves no dyno waiting for its SIGKILL, and the control plane stops at once', async () => {
    plane = await startControlPlane({env: {TUG_STOP_GRACE_MS: String(GRACE_MS)}})
    assert.match(plane.output(), /^Sandbox: +on/m)
    codeDir = mkdtempSync(join(tmpdir(), 'tug-e2e-boxstop-'))
    writeFileSync(join(codeDir, 'Procfile'), 'worker: sleep 3600\n')
    const created = await plane.run(['apps:create', 'flip', '--no-remote'])
    assert.equal(created.code, 0, created.stderr)
    const deployed = await plane.run(['deploy', codeDir, '-a', 'flip'], {timeoutMs: 60_000})
    assert.equal(deployed.code, 0, deployed.stderr)

    // 200 changes, 8 in flight: many stops land while a sandbox is being made.
    let next = 0
    await Promise.all(
      Array.from({length: 8}, async () => {
        while (next < 200) {
          const quantity = next++ % 2 === 0 ? 1 : 0
          await api('PATCH', '/apps/flip/formation', {updates: [{type: 'worker', quantity}]})
        }
      }),
    )
    await api('PATCH', '/apps/flip/formation', {updates: [{type: 'worker', quantity: 0}]})
    const dataDir = plane.dataDir
    // Well inside the grace: a dyno stopped by SIGTERM is gone in a moment.
    await waitFor(() => taggedPids(dataDir).length === 0, {timeoutMs: GRACE_MS / 2, what: () => `no dyno process left (left: ${taggedPids(dataDir).join(' ')})`})

    // And once more with dynos starting as the control plane stops.
    for (let i = 0; i < 20; i++) await api('PATCH', '/apps/flip/formation', {updates: [{type: 'worker', quantity: i % 2 === 0 ? 3 : 0}]})
    const started = Date.now()
    await plane.kill('SIGTERM')
    const took = Date.now() - started
    assert.ok(took < GRACE_MS / 2, `the control plane took ${took} ms to stop`)
    assert.deepEqual(taggedPids(dataDir), [])
    assert.equal(readFileSync('/proc/self/mounts', 'utf8').includes(dataDir), false)
  })
})
