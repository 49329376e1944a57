// LocalDynoHandle.pauseOutput/resumeOutput (what `tug local` holds its processes with when the
// terminal falls behind) and LocalBackend's `profile: false`: a paused dyno blocks on its pipe
// instead of losing lines, and its output is not cut off at the drain timeout while paused.
// (Node resumes a child's pipes itself when the child exits: what is left of an exited process's
// output flows, a bounded amount, whatever the pause.)
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {DynoSpec} from '../../../src/server/runtime/backend.js'
import {LocalBackend} from '../../../src/server/runtime/local-backend.js'
import {waitFor, withDeadline} from '../../helpers/wait-for.js'

describe('local backend: output pause', function () {
  this.timeout(60_000)
  let dir: string

  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'tug-pause-')))
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  function spec(command: string): DynoSpec {
    return {appId: 'a', appName: 'local', dynoName: 'flood.1', type: 'flood', command, cwd: dir, env: {}, releaseVersion: 0}
  }

  it('holds a dyno on its full pipe while paused, and delivers every line once resumed', async () => {
    const backend = new LocalBackend({drainTimeoutMs: 200, profile: false})
    const handle = await backend.start(spec('seq 1 200000; echo done > finished'))
    const lines: string[] = []
    handle.onOutput((_stream, line) => lines.push(line))
    handle.pauseOutput()
    // The pipe fills and seq blocks: it cannot finish while nothing reads.
    await new Promise((resolve) => setTimeout(resolve, 500))
    assert.ok(lines.length < 200_000, `${lines.length} lines read while paused`)
    assert.equal(existsSync(join(dir, 'finished')), false)
    handle.resumeOutput()
    await withDeadline(handle.exited, 30_000, 'the dyno to exit')
    assert.equal(lines.length, 200_000)
    lines.forEach((line, i) => assert.equal(line, String(i + 1)))
  })

  it('does not cut off the output at the drain timeout while it is paused (a process that left the group writes on after the exit)', async () => {
    const backend = new LocalBackend({drainTimeoutMs: 100, profile: false})
    // The main process exits at once; a process in a session of its own holds the pipe and writes 0.5 s later.
    // (It exits only once the other has left its group, or its SIGTERM at the exit would reach that one too.)
    const handle = await backend.start(spec(`setsid sh -c 'touch left; sleep 0.5; seq 1 5000; touch wrote' & while [ ! -f left ]; do sleep 0.01; done; echo started`))
    const lines: string[] = []
    handle.onOutput((_stream, line) => lines.push(line))
    await waitFor(() => lines.includes('started'), {what: 'the first line'})
    handle.pauseOutput()
    await waitFor(() => existsSync(join(dir, 'wrote')), {what: 'the late writer to finish'})
    // Past five drain timeouts: without the pause, the pipe would have been cut off after the first,
    // before the late lines were written. (Whether they have been read by now depends on whether Node
    // resumed the pipe at the exit, before or after the pause.)
    await new Promise((resolve) => setTimeout(resolve, 500))
    handle.resumeOutput()
    await withDeadline(handle.exited, 30_000, 'the dyno to exit')
    assert.equal(lines.length, 5001)
    assert.equal(lines.at(-1), '5000')
  })

  it('runs the command without .profile when profile is false, and with it by default', async () => {
    writeFileSync(join(dir, '.profile'), 'export FROM_PROFILE=yes\n')
    for (const [options, expected] of [[{profile: false}, 'from profile: '], [{}, 'from profile: yes']] as const) {
      const handle = await new LocalBackend(options).start(spec('echo "from profile: $FROM_PROFILE"'))
      const lines: string[] = []
      handle.onOutput((_stream, line) => lines.push(line))
      await withDeadline(handle.exited, 30_000, 'the dyno to exit')
      assert.deepEqual(lines, [expected])
    }
  })
})
