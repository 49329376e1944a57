import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'

import {GroupWatcher} from '../../../src/server/runtime/process-groups.js'
import {groupAlive} from '../../../src/server/runtime/process-tree.js'
import {waitFor, withDeadline} from '../../helpers/wait-for.js'

/** A process group of its own (`detached`), running `script`. */
function group(script: string): ChildProcess {
  const child = spawn('/bin/sh', ['-c', script], {detached: true, stdio: 'ignore'})
  assert.ok(child.pid)
  return child
}

const exited = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())))

describe('GroupWatcher', () => {
  const children: ChildProcess[] = []
  afterEach(async () => {
    for (const child of children.splice(0)) {
      try {
        process.kill(-(child.pid as number), 'SIGKILL')
      } catch {
        // already gone
      }
      await exited(child)
    }
  })

  it('resolves once the group has no live member, leader and children alike', async () => {
    // The leader exits at once; its child lives on in the group a little longer.
    // Taken before the spawn: the child's 2 s sleep cannot end earlier than that, however late
    // the leader's exit is seen (2 s: a loaded machine may take hundreds of ms to report the exit).
    const started = Date.now()
    const child = group('sleep 2 & exit 0')
    children.push(child)
    await exited(child)
    const pgid = child.pid as number
    assert.equal(groupAlive(pgid), true)
    await new GroupWatcher('/proc', 20).untilGone(pgid)
    // Alive after the leader's exit, gone when the wait ends: it waited for the child.
    assert.equal(groupAlive(pgid), false)
    assert.ok(Date.now() - started >= 1950, 'not before the sleep ended')
  })

  it('checks a new wait at once even while a long interval is pending for another', async () => {
    // A minute between checks: the old code made a second waiter wait for the first one's timer.
    const watcher = new GroupWatcher('/proc', 60_000)
    const longLived = group('exec sleep 30')
    children.push(longLived)
    const forLong = watcher.untilGone(longLived.pid as number)
    // The first checks pass: only the minute-long timer is left (read off the watcher's next check).
    await waitFor(() => (watcher as unknown as {dueAt: number}).dueAt - Date.now() > 30_000, {what: 'only the minute-long timer to be left'})
    const short = group('exit 0')
    await exited(short)
    await withDeadline(watcher.untilGone(short.pid as number), 5000, 'the new wait to be checked before the pending minute')
    // A new wait on the long-lived group is checked at once too: its end is seen without the minute.
    process.kill(-(longLived.pid as number), 'SIGKILL')
    await exited(longLived)
    await withDeadline(Promise.all([forLong, watcher.untilGone(longLived.pid as number)]), 5000, 'the killed group to be seen gone')
  })
})
