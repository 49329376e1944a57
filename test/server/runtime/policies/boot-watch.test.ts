// R10 on its own: a booting web dyno is up once its port accepts (on either loopback), and killed
// as a crash once its boot time is over.
import assert from 'node:assert/strict'

import {BootWatch} from '../../../../src/server/runtime/policies/boot-watch.js'
import {waitFor} from '../../../helpers/wait-for.js'
import {FakeDyno} from './fake-dyno.js'

function watch(options: {accepts: (host: string) => boolean; bootTimeoutMs?: number; now?: () => number}) {
  const lines: string[] = []
  const tried: string[] = []
  const bootWatch = new BootWatch({
    bootTimeoutMs: options.bootTimeoutMs ?? 60_000,
    now: options.now ?? Date.now,
    loopback: '127.0.0.1',
    isAccepting: async (port, host) => {
      tried.push(`${host}:${port}`)
      return options.accepts(host)
    },
    event: (_app, dyno, message) => lines.push(`tug[${dyno}]: ${message}`),
  })
  return {bootWatch, lines, tried}
}

describe('policies: boot watch (R10)', () => {
  it('marks the dyno up once its port accepts, and tells the router which loopback', async () => {
    const {bootWatch, tried} = watch({accepts: (host) => host === '::1'})
    const dyno = new FakeDyno('web.1', 'web')
    bootWatch.watch(dyno, dyno.handle, 5000)
    await waitFor(() => dyno.calls.includes('markUp'), {what: 'markUp'})
    assert.equal(dyno.host, '::1')
    assert.deepEqual(tried, ['127.0.0.1:5000', '::1:5000'])
  })

  it('polls again until the port accepts', async () => {
    let open = false
    const {bootWatch} = watch({accepts: () => open})
    const dyno = new FakeDyno('web.1', 'web')
    bootWatch.watch(dyno, dyno.handle, 5000)
    await waitFor(() => dyno.calls.includes('arm boot 200'), {what: 'the next poll armed'})
    assert.deepEqual(dyno.calls, ['arm boot 200'])
    open = true
    dyno.timers.get('boot')?.()
    await waitFor(() => dyno.calls.includes('markUp'), {what: 'markUp'})
    assert.equal(dyno.host, '127.0.0.1')
  })

  it('past the boot timeout: R10, SIGKILL through failBoot, nothing marked up', async () => {
    let now = 0
    const {bootWatch, lines} = watch({accepts: () => false, bootTimeoutMs: 30_000, now: () => now})
    const dyno = new FakeDyno('web.1', 'web')
    bootWatch.watch(dyno, dyno.handle, 5000)
    await waitFor(() => dyno.timers.has('boot'), {what: 'the next poll armed'})
    now = 30_000
    dyno.timers.get('boot')?.()
    await waitFor(() => dyno.calls.includes('failBoot'), {what: 'failBoot'})
    assert.deepEqual(lines, [
      'tug[web.1]: Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 30 seconds of launch',
      'tug[web.1]: Stopping process with SIGKILL',
    ])
    assert.equal(dyno.calls.includes('markUp'), false)
  })

  it('leaves a dyno alone once it is no longer booting', () => {
    const {bootWatch, tried} = watch({accepts: () => true})
    const dyno = new FakeDyno('web.1', 'web')
    dyno.phase = 'stopping'
    bootWatch.watch(dyno, dyno.handle, 5000)
    // The check comes before the first probe, synchronously.
    assert.deepEqual(tried, [])
    assert.deepEqual(dyno.calls, [])
  })
})
