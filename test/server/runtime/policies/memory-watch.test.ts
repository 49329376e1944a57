// R14/R15 on their own: a round samples each dyno that is up, logs above the quota, and stops
// a dyno far above it (for a restart; a one-off for good).
import assert from 'node:assert/strict'

import {MemoryWatch} from '../../../../src/server/runtime/policies/memory-watch.js'
import {FakeDyno} from './fake-dyno.js'

const MB = 1024 ** 2

describe('policies: memory watch (R14/R15)', () => {
  it('R14 above the quota, R15 and a stop above twice the quota; only dynos that are up', async () => {
    const lines: string[] = []
    const dynos = [
      new FakeDyno('web.1', 'web', false, 400 * MB),
      new FakeDyno('web.2', 'web', false, 600 * MB),
      new FakeDyno('worker.1', 'worker', false, 1100 * MB),
      new FakeDyno('run.1', 'run', true, 1100 * MB),
      new FakeDyno('web.3', 'web', false, 1100 * MB),
    ]
    for (const dyno of dynos.slice(0, 4)) dyno.phase = 'up'
    const watch = new MemoryWatch({
      dynos: () => dynos,
      quotaBytes: () => 512 * MB,
      isClosing: () => false,
      event: (_app, dyno, message) => lines.push(`tug[${dyno}]: ${message}`),
      onError: (error) => assert.fail(error as Error),
    })
    await watch.sample()
    assert.deepEqual(lines, [
      'tug[web.2]: Process running mem=600M(117.0%)',
      'tug[web.2]: Error R14 (Memory quota exceeded)',
      'tug[worker.1]: Process running mem=1100M(215.0%)',
      'tug[worker.1]: Error R15 (Memory quota vastly exceeded)',
      'tug[run.1]: Process running mem=1100M(215.0%)',
      'tug[run.1]: Error R15 (Memory quota vastly exceeded)',
    ])
    assert.deepEqual(
      dynos.map((d) => [d.name, d.memoryBytes === undefined ? null : d.memoryBytes / MB, d.calls]),
      [
        ['web.1', 400, []],
        ['web.2', 600, []],
        ['worker.1', 1100, ['stop memory']],
        ['run.1', 1100, ['stop stop']],
        // Still starting: not sampled.
        ['web.3', null, []],
      ],
    )
  })

  it('R15 and a stop for a dyno that runs on a whole round after the kernel killed one of its processes', async () => {
    const lines: string[] = []
    let kills = 0
    const dyno = new FakeDyno('worker.1', 'worker', false, 700 * MB)
    dyno.phase = 'up'
    dyno.handle = {...dyno.handle, oomKills: () => kills}
    const clean = new FakeDyno('worker.2', 'worker', false, 100 * MB)
    clean.phase = 'up'
    clean.handle = {...clean.handle, oomKills: () => 0}
    const watch = new MemoryWatch({
      dynos: () => [dyno, clean],
      quotaBytes: () => 512 * MB,
      isClosing: () => false,
      event: (_app, name, message) => lines.push(`tug[${name}]: ${message}`),
      onError: (error) => assert.fail(error as Error),
    })
    await watch.sample()
    kills = 1
    // The round that first sees the kill waits: if the main process was the one killed, its exit says R15.
    await watch.sample()
    assert.deepEqual(dyno.calls, [])
    assert.ok(!lines.some((line) => line.includes('R15')), lines.join('\n'))
    await watch.sample()
    assert.deepEqual(dyno.calls, ['stop memory'])
    assert.deepEqual(lines.filter((line) => line.includes('R15')), ['tug[worker.1]: Error R15 (Memory quota vastly exceeded)'])
    assert.deepEqual(clean.calls, [])
  })

  it('samples nothing while the control plane closes', async () => {
    const dyno = new FakeDyno('web.1', 'web', false, 1100 * MB)
    dyno.phase = 'up'
    const watch = new MemoryWatch({dynos: () => [dyno], quotaBytes: () => 512 * MB, isClosing: () => true, event: () => assert.fail('no event'), onError: () => {}})
    await watch.sample()
    assert.equal(dyno.memoryBytes, undefined)
  })
})
