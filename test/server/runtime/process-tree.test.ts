import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {
  environHas,
  groupAlive,
  groupRssBytes,
  isSameProcess,
  listProcessGroup,
  liveProcessGroups,
  parseProcStat,
  processRssBytes,
  processStartTime,
  procAvailable,
  readProcStat,
} from '../../../src/server/runtime/process-tree.js'
import {groupPids, killGroups} from './proc-scan.js'
import {waitFor} from '../../helpers/wait-for.js'

// A /proc/<pid>/stat line with the given fields (pid, comm, state, ppid, pgrp, starttime, rss).
function statLine(pid: number, comm: string, state: string, ppid: number, pgrp: number, startTime: number, rssPages = 10): string {
  // Fields 3..52; field N sits at index N - 3.
  const fields = Array.from({length: 50}, () => '0')
  fields[0] = state
  fields[1] = String(ppid)
  fields[2] = String(pgrp)
  fields[3] = String(pgrp)
  fields[19] = String(startTime)
  fields[21] = String(rssPages)
  return `${pid} (${comm}) ${fields.join(' ')}\n`
}

describe('process tree (/proc)', () => {
  let root: string

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tug-proc-'))
    const processes: Array<[number, string, string, number, number, number, string]> = [
      [1, 'init', 'S', 0, 1, 5, 'VmRSS:\t    1000 kB\n'],
      [100, 'bash', 'S', 1, 100, 7000, 'Name:\tbash\nVmRSS:\t    2048 kB\n'],
      [101, 'node) (x', 'R', 100, 100, 7010, 'VmRSS:\t   10240 kB\n'],
      [102, 'sleep', 'Z', 100, 100, 7020, 'State:\tZ (zombie)\n'],
      [200, 'other', 'S', 1, 200, 9000, 'VmRSS:\t 4 kB\n'],
    ]
    mkdirSync(join(root, 'self'))
    writeFileSync(join(root, 'self', 'stat'), statLine(1, 'init', 'S', 0, 1, 5))
    mkdirSync(join(root, 'sys', 'kernel', 'random'), {recursive: true})
    for (const [pid, comm, state, ppid, pgrp, start, status] of processes) {
      mkdirSync(join(root, String(pid)))
      writeFileSync(join(root, String(pid), 'stat'), statLine(pid, comm, state, ppid, pgrp, start))
      writeFileSync(join(root, String(pid), 'status'), status)
      writeFileSync(join(root, String(pid), 'environ'), `PATH=/bin\0TUG_DYNO_ID=d-${pid}\0`)
    }
    writeFileSync(join(root, 'not-a-pid'), '')
  })

  afterEach(() => rmSync(root, {recursive: true, force: true}))

  it('parses a stat line whose comm holds spaces and parentheses', () => {
    const stat = parseProcStat(statLine(101, 'node) (x', 'R', 100, 100, 7010, 33))
    assert.deepEqual(stat, {pid: 101, comm: 'node) (x', state: 'R', ppid: 100, pgrp: 100, session: 100, startTime: 7010, rssPages: 33})
    assert.equal(parseProcStat('garbage'), undefined)
    assert.equal(parseProcStat('12 (x) S 1 2'), undefined)
  })

  it('names a process by pid and start time, so a reused pid is not mistaken for it', () => {
    assert.equal(processStartTime(100, root), 7000)
    assert.equal(isSameProcess(100, 7000, root), true)
    assert.equal(isSameProcess(100, 6999, root), false, 'same pid, another start time: another process')
    assert.equal(isSameProcess(102, 7020, root), false, 'a zombie is not running')
    assert.equal(isSameProcess(999, 7000, root), false)
    assert.equal(isSameProcess(100, 7000, join(root, 'missing')), undefined, 'no /proc: unknown')
  })

  it('lists the live members of a process group', () => {
    assert.deepEqual(listProcessGroup(100, root)?.map((stat) => stat.pid).sort(), [100, 101])
    assert.deepEqual(listProcessGroup(300, root), [])
    assert.equal(listProcessGroup(100, join(root, 'missing')), undefined)
    assert.deepEqual([...(liveProcessGroups(root) ?? [])].sort((a, b) => a - b), [1, 100, 200])
  })

  it('sums the VmRSS of a group', () => {
    assert.equal(processRssBytes(100, root), 2048 * 1024)
    assert.equal(processRssBytes(102, root), 0)
    assert.equal(processRssBytes(999, root), undefined)
    assert.equal(groupRssBytes(100, root), (2048 + 10240) * 1024)
    assert.equal(groupRssBytes(300, root), undefined)
    assert.equal(groupRssBytes(100, join(root, 'missing')), undefined)
  })

  it('reads a marker in the environment', () => {
    assert.equal(environHas(101, 'TUG_DYNO_ID=d-101', root), true)
    assert.equal(environHas(101, 'TUG_DYNO_ID=d-10', root), false)
    assert.equal(environHas(999, 'PATH=/bin', root), false)
  })

  describe('on this machine', function () {
    const started: number[] = []
    before(function () {
      if (!procAvailable()) this.skip()
    })
    afterEach(() => killGroups(started.splice(0)))

    it('reads its own start time', () => {
      const stat = readProcStat(process.pid)
      assert.equal(stat?.pid, process.pid)
      assert.equal(typeof stat?.startTime, 'number')
      assert.equal(isSameProcess(process.pid, stat?.startTime ?? -1), true)
    })

    it('finds every process of a real group, grandchildren included, and their memory', async () => {
      const child = spawn('bash', ['-c', 'sleep 1000 & sleep 1000 & wait'], {detached: true, stdio: 'ignore'})
      const pgid = child.pid ?? 0
      started.push(pgid)
      await waitFor(() => groupPids(pgid).length === 3, {what: 'bash and two sleeps'})
      assert.deepEqual(listProcessGroup(pgid)?.map((stat) => stat.pid).sort(), groupPids(pgid).sort())
      assert.ok((groupRssBytes(pgid) ?? 0) > 0)
      assert.equal(groupAlive(pgid), true)
      process.kill(-pgid, 'SIGKILL')
      await waitFor(() => !groupAlive(pgid), {what: 'the group to be gone'})
      assert.deepEqual(groupPids(pgid), [])
    })
  })
})
