import assert from 'node:assert/strict'
import {spawn, type ChildProcess, type SpawnOptions} from 'node:child_process'
import {mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {DynoHandle, DynoSpec, OutputStream} from '../../../src/server/runtime/backend.js'
import {BackendError} from '../../../src/server/runtime/errors.js'
import {
  DYNO_ID_ENV,
  dynoEnvironment,
  findShell,
  LocalBackend,
  type LocalBackendOptions,
  type LocalDynoRecord,
  withProfile,
} from '../../../src/server/runtime/local-backend.js'
import {processStartTime} from '../../../src/server/runtime/process-tree.js'
import {groupPids, killGroups} from './proc-scan.js'
import {waitFor, withDeadline} from '../../helpers/wait-for.js'

// Generous: these run real processes on a loaded 2-core machine.
const DEADLINE_MS = 20_000

interface Captured {
  lines: Array<[OutputStream, string]>
  text(stream: OutputStream): string[]
}

function capture(handle: DynoHandle): Captured {
  const lines: Array<[OutputStream, string]> = []
  handle.onOutput((stream, line) => lines.push([stream, line]))
  return {lines, text: (stream) => lines.filter(([s]) => s === stream).map(([, line]) => line)}
}

describe('local backend', function () {
  this.timeout(60_000)
  let dir: string
  const groups = new Set<number>()

  function spec(command: string, extra: Partial<DynoSpec> = {}): DynoSpec {
    return {appId: 'app-id-1', appName: 'shop', dynoName: 'web.1', type: 'web', command, cwd: dir, env: {}, releaseVersion: 3, ...extra}
  }

  async function start(command: string, extra: Partial<DynoSpec> = {}, options: LocalBackendOptions = {}): Promise<DynoHandle> {
    const handle = await new LocalBackend({orphanGraceMs: 500, ...options}).start(spec(command, extra))
    const pid = handle.describe().pid
    assert.equal(typeof pid, 'number')
    groups.add(pid ?? 0)
    return handle
  }

  function pgidOf(handle: DynoHandle): number {
    return handle.describe().pid ?? 0
  }

  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'tug-dyno-')))
  })

  afterEach(async () => {
    // Nothing may outlive a test: check, then clean up whatever a failure left.
    const left = [...groups].flatMap((pgid) => groupPids(pgid))
    killGroups(groups)
    groups.clear()
    rmSync(dir, {recursive: true, force: true})
    assert.deepEqual(left, [], 'processes left running by the test')
  })

  it('runs the command through the shell with cwd, config vars, PORT, DYNO and PS', async () => {
    const handle = await start('echo "$PWD|$PORT|$DYNO|$PS|$GREETING|${HOME:+home}"; echo oops >&2; exit 3', {
      env: {GREETING: 'hello world'},
      port: 5123,
    })
    const out = capture(handle)
    const exit = await withDeadline(handle.exited, DEADLINE_MS, 'the dyno to exit')
    assert.deepEqual(exit, {code: 3, signal: null})
    assert.deepEqual(out.text('stdout'), [`${dir}|5123|web.1|web.1|hello world|home`])
    assert.deepEqual(out.text('stderr'), ['oops'])
  })

  it('lets config vars override the base environment but not DYNO and PORT', () => {
    const env = dynoEnvironment(spec('x', {env: {PATH: '/opt/bin', DYNO: 'evil', PORT: '1'}, port: 5000}), {PATH: '/usr/bin', HOME: '/h'}, 'id-1')
    assert.deepEqual(env, {PATH: '/opt/bin', HOME: '/h', DYNO: 'web.1', PS: 'web.1', PORT: '5000', [DYNO_ID_ENV]: 'id-1'})
  })

  it('delivers a last line without newline, and lines written before anyone listened', async () => {
    const handle = await start('printf "first\\nsecond\\nno newline"')
    await withDeadline(handle.exited, DEADLINE_MS, 'the dyno to exit')
    const out = capture(handle)
    assert.deepEqual(out.text('stdout'), ['first', 'second', 'no newline'])
  })

  it('cuts long lines and decodes invalid UTF-8 from a real process', async () => {
    const handle = await start(`head -c 250 /dev/zero | tr '\\0' a; echo; printf 'bad \\377 byte\\n'`, {}, {maxLineLength: 100})
    const out = capture(handle)
    await withDeadline(handle.exited, DEADLINE_MS, 'the dyno to exit')
    assert.deepEqual(out.text('stdout'), ['a'.repeat(100), 'a'.repeat(100), 'a'.repeat(50), 'bad \uFFFD byte'])
  })

  it('keeps delivering to other listeners when one throws, and stops delivering to a removed one', async () => {
    const handle = await start(`echo one; sleep 0.2; echo two`)
    const seen: string[] = []
    const removedSeen: string[] = []
    handle.onOutput(() => {
      throw new Error('listener bug')
    })
    const remove = handle.onOutput((_, line) => {
      removedSeen.push(line)
      remove()
    })
    handle.onOutput((_, line) => seen.push(line))
    await withDeadline(handle.exited, DEADLINE_MS, 'the dyno to exit')
    assert.deepEqual(seen, ['one', 'two'])
    assert.deepEqual(removedSeen, ['one'])
  })

  it('gives a line listener every line of a batch, each on its own, and none after its removal', async () => {
    // One write after the listeners are on, so one read of the pipe and one batch of lines.
    const handle = await start(`sleep 0.3; ${JSON.stringify(process.execPath)} -e "process.stdout.write('one\\\\ntwo\\\\nthree\\\\n')"`)
    const seen: string[] = []
    const removedSeen: string[] = []
    const failing: string[] = []
    handle.onOutput((_, line) => {
      failing.push(line)
      throw new Error('listener bug')
    })
    const remove = handle.onOutput((_, line) => {
      removedSeen.push(line)
      remove()
    })
    handle.onOutput((_, line) => seen.push(line))
    await withDeadline(handle.exited, DEADLINE_MS, 'the dyno to exit')
    assert.deepEqual(seen, ['one', 'two', 'three'])
    assert.deepEqual(failing, ['one', 'two', 'three'])
    assert.deepEqual(removedSeen, ['one'])
  })

  it('reads a flood of output to the end without blocking the dyno', async () => {
    // 20 000 lines (about 1.2 MB) is far more than a pipe buffer holds.
    const handle = await start(`i=0; while [ $i -lt 20000 ]; do echo "line $i ................................................"; i=$((i+1)); done; echo done >&2`)
    const out = capture(handle)
    const exit = await withDeadline(handle.exited, DEADLINE_MS, 'the dyno to exit')
    assert.deepEqual(exit, {code: 0, signal: null})
    const lines = out.text('stdout')
    assert.equal(lines.length, 20_000)
    assert.equal(lines[19_999], 'line 19999 ................................................')
    assert.deepEqual(out.text('stderr'), ['done'])
  })

  it('reports the exit of a dyno killed from outside', async () => {
    const handle = await start('exec sleep 1000')
    process.kill(pgidOf(handle), 'SIGKILL')
    assert.deepEqual(await withDeadline(handle.exited, DEADLINE_MS, 'the dyno to exit'), {code: null, signal: 'SIGKILL'})
  })

  it('stops with SIGTERM, which a well-behaved dyno handles within the grace period', async () => {
    const handle = await start(`trap 'echo "got TERM"; exit 0' TERM; echo ready; while true; do sleep 0.1; done`)
    const out = capture(handle)
    await waitFor(() => out.text('stdout').includes('ready'), {timeoutMs: DEADLINE_MS, what: 'ready'})
    await withDeadline(handle.stop({graceMs: 30_000}), DEADLINE_MS, 'the stop')
    assert.deepEqual(await handle.exited, {code: 0, signal: null})
    assert.deepEqual(out.text('stdout'), ['ready', 'got TERM'])
    assert.deepEqual(groupPids(pgidOf(handle)), [])
  })

  it('sends SIGKILL to the whole group after the grace period, grandchildren that ignore SIGTERM included', async () => {
    const handle = await start(`trap "" TERM; sleep 1000 & sleep 1000 & echo ready; wait`)
    const out = capture(handle)
    const pgid = pgidOf(handle)
    await waitFor(() => out.text('stdout').includes('ready') && groupPids(pgid).length === 3, {timeoutMs: DEADLINE_MS, what: 'bash and two sleeps'})
    const before = Date.now()
    await withDeadline(handle.stop({graceMs: 700}), DEADLINE_MS, 'the stop')
    assert.ok(Date.now() - before >= 650, 'SIGKILL came only after the grace period')
    assert.deepEqual(await handle.exited, {code: null, signal: 'SIGKILL'})
    assert.deepEqual(groupPids(pgid), [], 'no process of the group is left')
  })

  it('resolves stop when the main process is gone and a TERM-ignoring grandchild is killed', async () => {
    // bash exits on SIGTERM at once; its child ignores it and must still be killed.
    const handle = await start(`(trap "" TERM; exec sleep 1000) & echo ready; wait`)
    const out = capture(handle)
    const pgid = pgidOf(handle)
    await waitFor(() => out.text('stdout').includes('ready') && groupPids(pgid).length === 2, {timeoutMs: DEADLINE_MS, what: 'bash and sleep'})
    await withDeadline(handle.stop({graceMs: 500}), DEADLINE_MS, 'the stop')
    assert.deepEqual(await handle.exited, {code: null, signal: 'SIGTERM'})
    assert.deepEqual(groupPids(pgid), [])
  })

  it('ends what a dyno left running when its main process exits by itself', async () => {
    const handle = await start(`trap "" TERM; sleep 1000 & echo started`)
    const pgid = pgidOf(handle)
    const exit = await withDeadline(handle.exited, DEADLINE_MS, 'the dyno to be over')
    assert.deepEqual(exit, {code: 0, signal: null})
    assert.deepEqual(groupPids(pgid), [])
  })

  it('is idempotent: stop after exit, and two stops at once', async () => {
    const handle = await start('exec sleep 1000')
    await Promise.all([handle.stop({graceMs: 5000}), handle.stop({graceMs: 5000})])
    await handle.stop({graceMs: 5000})
    assert.deepEqual(await handle.exited, {code: null, signal: 'SIGTERM'})
  })

  it('measures the memory of the group while it runs', async () => {
    const handle = await start('sleep 1000 & sleep 1000 & wait')
    const pgid = pgidOf(handle)
    await waitFor(() => groupPids(pgid).length === 3, {timeoutMs: DEADLINE_MS, what: 'three processes'})
    const bytes = await handle.memoryBytes()
    assert.ok(bytes !== undefined && bytes > 100_000, `memory ${bytes}`)
    await handle.stop({graceMs: 5000})
    assert.equal(await handle.memoryBytes(), undefined)
  })

  it('describes a dyno with a record naming its process exactly', async () => {
    const handle = await start('exec sleep 1000', {dynoName: 'worker.2'})
    const {pid, startedAt, record} = handle.describe()
    const local = record as LocalDynoRecord
    assert.equal(local.backend, 'local')
    assert.equal(local.id, handle.id)
    assert.equal(local.pid, pid)
    assert.equal(local.pgid, pid)
    assert.equal(local.startTime, processStartTime(pid ?? 0))
    assert.equal(local.dynoName, 'worker.2')
    assert.equal(local.appId, 'app-id-1')
    assert.equal(local.startedAt, startedAt.toISOString())
    // It survives the store: JSON in, JSON out.
    assert.deepEqual(JSON.parse(JSON.stringify(record)), record)
    await handle.stop({graceMs: 5000})
  })

  it('fails to start with a BackendError naming the dyno when the directory is missing', async () => {
    const backend = new LocalBackend()
    await assert.rejects(backend.start(spec('true', {cwd: join(dir, 'missing'), dynoName: 'web.7'})), (error: unknown) => {
      assert.ok(error instanceof BackendError)
      assert.match(error.message, /^could not start web\.7: .*ENOENT/)
      return true
    })
  })

  it('spawns bash -c COMMAND detached, or the shell it is given', async () => {
    const calls: Array<{command: string; args: readonly string[]; options: SpawnOptions}> = []
    const recordingSpawn = (command: string, args: readonly string[], options: SpawnOptions): ChildProcess => {
      calls.push({command, args, options})
      return spawn(command, args, options)
    }
    assert.match(findShell(), /\/bash$/)
    assert.equal(findShell('/nonexistent', []), '/bin/sh')
    const handle = await start('echo "$0"', {}, {spawn: recordingSpawn, shell: '/bin/sh', baseEnv: {PATH: '/usr/bin:/bin'}})
    const out = capture(handle)
    await withDeadline(handle.exited, DEADLINE_MS, 'the dyno to exit')
    assert.deepEqual(out.text('stdout'), ['/bin/sh'])
    assert.equal(calls.length, 1)
    assert.equal(calls[0]?.command, '/bin/sh')
    assert.deepEqual(calls[0]?.args, ['-c', withProfile('echo "$0"')])
    assert.equal(calls[0]?.options.detached, true)
    assert.equal(calls[0]?.options.cwd, dir)
    assert.deepEqual(calls[0]?.options.stdio, ['ignore', 'pipe', 'pipe'])
    assert.deepEqual(calls[0]?.options.env, {PATH: '/usr/bin:/bin', DYNO: 'web.1', PS: 'web.1', [DYNO_ID_ENV]: handle.id})
  })

  it("sources the code's .profile.d/*.sh and .profile before the command, as Heroku's dynos do", async () => {
    mkdirSync(join(dir, '.profile.d'))
    writeFileSync(join(dir, '.profile.d', 'python.sh'), 'export PATH="$PWD/.venv/bin:$PATH"\n')
    writeFileSync(join(dir, '.profile.d', 'notes.txt'), 'export NOT_SOURCED=1\n')
    writeFileSync(join(dir, '.profile'), 'export FROM_PROFILE="after $(basename "$(echo "$PATH" | cut -d: -f1)")"\n')
    const handle = await start('echo "${PATH%%:*}|$FROM_PROFILE|${NOT_SOURCED:-unset}|${f:-no f}"; exec sleep 0', {}, {baseEnv: {PATH: '/usr/bin:/bin'}})
    const out = capture(handle)
    assert.deepEqual(await withDeadline(handle.exited, DEADLINE_MS, 'the dyno to exit'), {code: 0, signal: null})
    assert.deepEqual(out.text('stdout'), [`${dir}/.venv/bin|after bin|unset|no f`])
  })

  it('lists its running dynos and stops them all', async () => {
    const backend = new LocalBackend()
    const handles = await Promise.all(['web.1', 'web.2', 'worker.1'].map((dynoName) => backend.start(spec('sleep 1000 & wait', {dynoName}))))
    for (const handle of handles) groups.add(pgidOf(handle))
    assert.equal(backend.running().length, 3)
    await withDeadline(backend.stopAll({graceMs: 5000}), DEADLINE_MS, 'all stops')
    await waitFor(() => backend.running().length === 0, {what: 'the list to empty'})
    for (const handle of handles) assert.deepEqual(groupPids(pgidOf(handle)), [])
  })

  describe('adoptOrKill (records left by a control plane that crashed)', () => {
    it('stops the recorded group when pid and start time match', async () => {
      const handle = await start('trap "" TERM; sleep 1000 & wait')
      const pgid = pgidOf(handle)
      await waitFor(() => groupPids(pgid).length === 2, {timeoutMs: DEADLINE_MS, what: 'bash and sleep'})
      // A second backend, as after a restart: it knows only the record.
      const outcome = await new LocalBackend().adoptOrKill(handle.describe().record, {graceMs: 300})
      assert.deepEqual(outcome, {outcome: 'killed', detail: 'stopped 2 orphaned processes of web.1'})
      assert.deepEqual(groupPids(pgid), [])
      assert.equal((await withDeadline(handle.exited, DEADLINE_MS, 'the exit')).signal, 'SIGKILL')
    })

    it('leaves a process alone whose pid matches but whose start time does not', async () => {
      const handle = await start('exec sleep 1000')
      const record = handle.describe().record as LocalDynoRecord
      const reused: LocalDynoRecord = {...record, startTime: (record.startTime ?? 0) - 1}
      const outcome = await new LocalBackend().adoptOrKill(reused)
      assert.deepEqual(outcome, {outcome: 'gone', detail: `pid ${record.pid} now belongs to another process; left alone`})
      assert.deepEqual(groupPids(pgidOf(handle)), [pgidOf(handle)])
      await handle.stop({graceMs: 5000})
    })

    it('finds members left after the group leader died by the dyno id in their environment', async () => {
      // The orphan clean-up of the first backend waits long, as if that control plane were gone.
      const handle = await start('trap "" TERM; sleep 1000 & echo started', {}, {orphanGraceMs: 60_000})
      const record = handle.describe().record as LocalDynoRecord
      await waitFor(() => groupPids(record.pgid).length === 1, {timeoutMs: DEADLINE_MS, what: 'only the sleep left'})
      const other = await new LocalBackend().adoptOrKill({...record, id: 'someone-else'})
      assert.deepEqual(other, {outcome: 'gone', detail: `group ${record.pgid} belongs to other processes; left alone`})
      const outcome = await new LocalBackend().adoptOrKill(record, {graceMs: 300})
      assert.deepEqual(outcome, {outcome: 'killed', detail: 'stopped 1 orphaned process of web.1'})
      assert.deepEqual(groupPids(record.pgid), [])
      await withDeadline(handle.exited, DEADLINE_MS, 'the exit')
    })

    it('reports gone for a dyno that is over, a record from before a reboot, and a foreign record', async () => {
      const handle = await start('true')
      await withDeadline(handle.exited, DEADLINE_MS, 'the exit')
      const record = handle.describe().record as LocalDynoRecord
      const backend = new LocalBackend()
      assert.deepEqual(await backend.adoptOrKill(record), {outcome: 'gone', detail: 'no process left'})
      const beforeReboot: LocalDynoRecord = {...record, bootId: 'another-boot'}
      assert.deepEqual(await backend.adoptOrKill(beforeReboot), {outcome: 'gone', detail: 'recorded before a reboot'})
      assert.deepEqual(await backend.adoptOrKill({backend: 'kubernetes', id: 'x', startedAt: record.startedAt}), {
        outcome: 'gone',
        detail: 'not a local dyno record; left alone',
      })
      const init: LocalDynoRecord = {...record, pid: 1, pgid: 1}
      assert.deepEqual(await backend.adoptOrKill(init), {outcome: 'gone', detail: 'not a local dyno record; left alone'})
    })
  })
})
