import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {LocalBackend, type LocalDynoRecord} from '../../../src/server/runtime/local-backend.js'
import {groupPids, killGroups} from './proc-scan.js'
import {waitFor, withDeadline} from '../../helpers/wait-for.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/control-plane.ts', import.meta.url))

describe('local backend after a kill -9 of the control plane', function () {
  this.timeout(60_000)
  let dir: string
  const groups: number[] = []
  let controlPlane: ChildProcess | undefined

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tug-crash-'))
  })

  afterEach(() => {
    controlPlane?.kill('SIGKILL')
    killGroups(groups.splice(0))
    rmSync(dir, {recursive: true, force: true})
  })

  it('finds the orphaned dyno group from its record and stops all of it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dir], {stdio: ['ignore', 'pipe', 'inherit']})
    controlPlane = child
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const line = await waitFor(() => output.split('\n').find((text) => text.startsWith('{')), {timeoutMs: 30_000, what: 'the record'})
    const record = JSON.parse(line) as LocalDynoRecord
    groups.push(record.pgid)
    await waitFor(() => groupPids(record.pgid).length === 3, {timeoutMs: 20_000, what: 'bash and two sleeps'})

    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await withDeadline(exited, 20_000, 'the control plane to die')
    // Its dyno outlived it: an orphan.
    assert.equal(groupPids(record.pgid).length, 3)

    const outcome = await new LocalBackend().adoptOrKill(record, {graceMs: 300})
    assert.deepEqual(outcome, {outcome: 'killed', detail: 'stopped 3 orphaned processes of worker.1'})
    assert.deepEqual(groupPids(record.pgid), [])
    // A second pass (another restart) finds nothing and touches nothing.
    assert.deepEqual(await new LocalBackend().adoptOrKill(record), {outcome: 'gone', detail: 'no process left'})
  })
})
