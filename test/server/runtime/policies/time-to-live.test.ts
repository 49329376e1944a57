// A one-off's time to live on its own: armed once its process runs, a stop when it is over.
import assert from 'node:assert/strict'

import {TimeToLive} from '../../../../src/server/runtime/policies/time-to-live.js'
import {FakeDyno} from './fake-dyno.js'

function policy(ttl: number | null) {
  const lines: string[] = []
  const asked: string[] = []
  const timeToLive = new TimeToLive({
    timeToLive: (_app, dynoId) => {
      asked.push(dynoId)
      return ttl
    },
    event: (_app, dyno, message) => lines.push(`tug[${dyno}]: ${message}`),
  })
  return {timeToLive, lines, asked}
}

describe('policies: time to live', () => {
  it('arms the one-off\'s timer; once it fires, says so and stops the dyno for ttl', () => {
    const {timeToLive, lines} = policy(90)
    const dyno = new FakeDyno('run.1', 'run', true)
    timeToLive.spawned(dyno)
    assert.deepEqual(dyno.calls, ['arm ttl 90000'])
    dyno.timers.get('ttl')?.()
    assert.deepEqual(lines, ['tug[run.1]: Stopping process: its time to live of 90 seconds is over'])
    assert.deepEqual(dyno.calls, ['arm ttl 90000', 'stop ttl'])
  })

  it('arms nothing for a formation dyno, the release phase, or a one-off without a time to live', () => {
    const {timeToLive, asked} = policy(90)
    const web = new FakeDyno('web.1', 'web')
    const release = new FakeDyno('release.1', 'release', true)
    timeToLive.spawned(web)
    timeToLive.spawned(release)
    assert.deepEqual([web.calls, release.calls, asked], [[], [], []])
    const none = policy(null)
    const run = new FakeDyno('run.2', 'run', true)
    none.timeToLive.spawned(run)
    assert.deepEqual(run.calls, [])
  })
})
