// The scheduler's decisions with a fake runtime: a run is started as a one-off, a run still going
// is not started twice, and runs missed while no control plane ran are logged, not replayed.
import assert from 'node:assert/strict'

import {Scheduler, type SchedulerRuntime} from '../../../src/server/scheduler/scheduler.js'
import type {ScheduleRecord} from '../../../src/server/store/index.js'
import {Store} from '../../../src/server/store/index.js'

function setup(now: number): {store: Store; runtime: SchedulerRuntime & {runs: string[]; running: Set<string>; events: string[]}; appId: string; scheduler: Scheduler} {
  const store = new Store({path: ':memory:', clock: () => new Date(now)})
  const account = store.accounts.create({email: 'a@example.com', name: null})
  const app = store.apps.create({name: 'shop', owner_id: account.id, region: 'us', stack: 'heroku-24'})
  const runs: string[] = []
  const running = new Set<string>()
  const events: string[] = []
  const runtime = {
    runs,
    running,
    events,
    async runScheduled(_appId: string, schedule: ScheduleRecord): Promise<string> {
      const id = `dyno-${runs.length + 1}`
      runs.push(schedule.command)
      running.add(id)
      return id
    },
    isRunning: (id: string) => running.has(id),
    event: (_appId: string, dyno: string, message: string) => events.push(`${dyno}: ${message}`),
  }
  return {store, runtime, appId: app.id, scheduler: new Scheduler(store, runtime, () => now)}
}

describe('scheduler', () => {
  it('starts a due run, and skips the next while the previous run is still going', async () => {
    const {store, runtime, appId, scheduler} = setup(Date.parse('2026-11-27T12:00:30Z'))
    const schedule = store.schedules.insert(appId, {expression: '* * * * *', timezone: 'UTC', command: 'rake cleanup', size: 'Standard-1X'})
    await scheduler.fire(appId, schedule.id, new Date('2026-11-27T12:01:00Z'))
    assert.deepEqual(runtime.runs, ['rake cleanup'])
    assert.equal(store.schedules.get(appId, schedule.id)?.last_run_at, '2026-11-27T12:01:00Z')
    await scheduler.fire(appId, schedule.id, new Date('2026-11-27T12:02:00Z'))
    assert.deepEqual(runtime.runs, ['rake cleanup'])
    assert.deepEqual(runtime.events, ['scheduler: Skipping the run of "rake cleanup" due at 2026-11-27T12:02:00.000Z: the previous run is still going'])
    runtime.running.clear()
    await scheduler.fire(appId, schedule.id, new Date('2026-11-27T12:03:00Z'))
    assert.deepEqual(runtime.runs, ['rake cleanup', 'rake cleanup'])
    scheduler.close()
    store.close()
  })

  it('logs a run missed while the control plane was down, and does not replay it', () => {
    const {store, runtime, appId, scheduler} = setup(Date.parse('2026-11-27T12:00:30Z'))
    const schedule = store.schedules.insert(appId, {expression: '0 * * * *', timezone: 'Europe/Berlin', command: 'rake hourly', size: 'Standard-1X'})
    store.schedules.markRun(appId, schedule.id, new Date('2026-11-27T09:00:00Z'))
    scheduler.start()
    assert.deepEqual(runtime.runs, [])
    assert.deepEqual(runtime.events, [
      'scheduler: Missed the run of "rake hourly" (0 * * * *) due at 2026-11-27T10:00:00.000Z while the control plane was down; not replayed',
    ])
    scheduler.close()
    store.close()
  })

  it('a removed schedule does not run', async () => {
    const {store, runtime, appId, scheduler} = setup(Date.parse('2026-11-27T12:00:30Z'))
    const schedule = store.schedules.insert(appId, {expression: '* * * * *', timezone: 'UTC', command: 'x', size: 'Standard-1X'})
    scheduler.changed(appId)
    store.schedules.delete(appId, schedule.id)
    scheduler.changed(appId)
    await scheduler.fire(appId, schedule.id, new Date('2026-11-27T12:01:00Z'))
    assert.deepEqual(runtime.runs, [])
    scheduler.close()
    store.close()
  })
})
