// Finding, after a crash, the dyno processes a control plane started but never recorded: by the
// tag in their environment, never a process of another data directory, an untagged one, or a pid
// that is no longer the process it was found as. Real processes, checked with ps.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {dynoEnvironment, LocalBackend} from '../../../src/server/runtime/local-backend.js'
import {DynoManager} from '../../../src/server/runtime/manager.js'
import {readProcStat} from '../../../src/server/runtime/process-tree.js'
import {DYNO_ID_ENV, ensurePlaneId, findTagged, PLANE_ENV, PLANE_ID_FILE, stopTagged} from '../../../src/server/runtime/plane-tag.js'
import {Store} from '../../../src/server/store/index.js'
import {groupPids, killGroups} from './proc-scan.js'
import {waitFor, withDeadline} from '../../helpers/wait-for.js'

const PLANE = '11111111-1111-4111-8111-111111111111'
const OTHER_PLANE = '22222222-2222-4222-8222-222222222222'
const DEADLINE_MS = 20_000

describe('recovery: dyno processes a crashed control plane never recorded', function () {
  this.timeout(60_000)
  const groups = new Set<number>()
  let dir: string

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tug-recovery-'))
  })

  afterEach(() => {
    killGroups(groups)
    groups.clear()
    rmSync(dir, {recursive: true, force: true})
  })

  /** A process group of its own that ignores SIGTERM (its sleep too), as a stubborn orphan would. */
  async function orphan(env: Record<string, string>): Promise<number> {
    const child = spawn('sh', ['-c', 'trap "" TERM; sleep 1000 & wait'], {detached: true, stdio: 'ignore', env: {PATH: process.env.PATH ?? '/usr/bin:/bin', ...env}})
    const pgid = child.pid as number
    groups.add(pgid)
    child.unref()
    await waitFor(() => groupPids(pgid).length === 2, {timeoutMs: DEADLINE_MS, what: 'sh and sleep'})
    return pgid
  }

  describe('the data directory identity', () => {
    it('is made once, kept in a 0600 file, and read back the same', () => {
      const id = ensurePlaneId(dir)
      assert.match(id, /^[0-9a-f-]{36}$/)
      assert.equal(ensurePlaneId(dir), id)
      assert.equal(readFileSync(join(dir, PLANE_ID_FILE), 'utf8'), `${id}\n${realpathSync(dir)}\n`)
      assert.equal(statSync(join(dir, PLANE_ID_FILE)).mode & 0o777, 0o600)
    })

    it('is a new one in a copy of the directory, which may run beside the original', () => {
      const id = ensurePlaneId(dir)
      const copy = join(dir, 'copy')
      mkdirSync(copy)
      copyFileSync(join(dir, PLANE_ID_FILE), join(copy, PLANE_ID_FILE))
      const copied = ensurePlaneId(copy)
      assert.notEqual(copied, id)
      assert.equal(ensurePlaneId(copy), copied)
      assert.equal(ensurePlaneId(dir), id)
    })

    it('replaces a file that holds no identity (an interrupted first write)', () => {
      writeFileSync(join(dir, PLANE_ID_FILE), '')
      const id = ensurePlaneId(dir)
      assert.match(id, /^[0-9a-f-]{36}$/)
      assert.equal(ensurePlaneId(dir), id)
    })
  })

  describe('the tag', () => {
    const spec = {appId: 'a', appName: 'shop', dynoName: 'web.1', type: 'web', command: 'x', cwd: '/', releaseVersion: 1}

    it('is set after the config vars, so an app cannot take another control plane\'s', () => {
      const env = dynoEnvironment({...spec, env: {[PLANE_ENV]: OTHER_PLANE, [DYNO_ID_ENV]: 'mine'}}, {}, 'run-1', PLANE)
      assert.equal(env[PLANE_ENV], PLANE)
      assert.equal(env[DYNO_ID_ENV], 'run-1')
    })

    it('is not there without a plane identity, even from a config var', () => {
      const env = dynoEnvironment({...spec, env: {[PLANE_ENV]: OTHER_PLANE}}, {}, 'run-1')
      assert.equal(PLANE_ENV in env, false)
    })
  })

  it('stops a tagged process no dyno explains; leaves another data directory\'s, an untagged one and its own running dynos alone', async () => {
    const stray = await orphan({[PLANE_ENV]: PLANE, [DYNO_ID_ENV]: 'run-stray', DYNO: 'web.9'})
    const foreign = await orphan({[PLANE_ENV]: OTHER_PLANE, [DYNO_ID_ENV]: 'run-foreign', DYNO: 'web.9'})
    const untagged = await orphan({[DYNO_ID_ENV]: 'run-untagged', DYNO: 'web.9'})
    const backend = new LocalBackend({plane: PLANE})
    const own = await backend.start({appId: 'a', appName: 'shop', dynoName: 'web.1', type: 'web', command: 'exec sleep 1000', cwd: dir, env: {}, releaseVersion: 1})
    const ownPid = own.describe().pid as number
    groups.add(ownPid)

    const found = await withDeadline(backend.stopUnrecorded({graceMs: 300}), DEADLINE_MS, 'stopUnrecorded')
    assert.deepEqual(found, [{dynoName: 'web.9', processes: 2}])
    assert.deepEqual(groupPids(stray), [])
    assert.equal(groupPids(foreign).length, 2, 'the other data directory\'s process runs on')
    assert.equal(groupPids(untagged).length, 2, 'the untagged process runs on')
    assert.deepEqual(groupPids(ownPid), [ownPid], 'the backend\'s own dyno runs on')

    // Without an identity, a backend tags nothing and so finds nothing.
    assert.deepEqual(await new LocalBackend().stopUnrecorded({graceMs: 300}), [])
    assert.equal(groupPids(foreign).length, 2)
    await withDeadline(own.stop({graceMs: 1000}), DEADLINE_MS, 'the own dyno to stop')
  })

  it('does not signal a pid whose start time is not the one it was found with (a reused pid)', async () => {
    const pgid = await orphan({[PLANE_ENV]: PLANE, [DYNO_ID_ENV]: 'run-1', DYNO: 'web.1'})
    const [found] = findTagged(PLANE).filter((p) => p.pid === pgid)
    assert.ok(found)
    assert.equal(found.startTime, readProcStat(pgid)?.startTime)
    const reused = {...found, startTime: found.startTime - 1}
    assert.deepEqual(await stopTagged([reused], {graceMs: 0}), [])
    assert.equal(groupPids(pgid).length, 2)
  })

  it('a dyno manager starting on the data directory stops them before it starts anything', async () => {
    const stray = await orphan({[PLANE_ENV]: PLANE, [DYNO_ID_ENV]: 'run-stray', DYNO: 'worker.3'})
    const foreign = await orphan({[PLANE_ENV]: OTHER_PLANE, [DYNO_ID_ENV]: 'run-foreign', DYNO: 'worker.3'})
    const errors: string[] = []
    const store = new Store({path: ':memory:'})
    const manager = new DynoManager({
      store,
      logs: {write: () => {}},
      backend: new LocalBackend({plane: PLANE}),
      stopGraceMs: 300,
      reconcileIntervalMs: 60_000,
      memoryIntervalMs: 60_000,
      onError: (error) => errors.push((error as Error).message),
    })
    try {
      await withDeadline(manager.ready, DEADLINE_MS, 'the manager to be ready')
      assert.deepEqual(groupPids(stray), [])
      assert.equal(groupPids(foreign).length, 2)
      assert.deepEqual(errors, ['control plane restarted: stopped the unrecorded processes a previous run left running: worker.3 (2 processes)'])
    } finally {
      await manager.close()
      store.close()
    }
  })
})
