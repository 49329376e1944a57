import assert from 'node:assert/strict'
import {EventEmitter} from 'node:events'

import {exitOnSignals, interruptedLine, onInterruptClose, whileOnServer} from '../../../src/lib/cli/interrupt.js'

describe('lib/cli/interrupt', () => {
  function setup(): {signals: EventEmitter; stderr: string[]; exits: number[]; release: () => void} {
    const signals = new EventEmitter()
    const stderr: string[] = []
    const exits: number[] = []
    const release = exitOnSignals({signals, stderr: {write: (text: string) => stderr.push(text)}, exit: (code) => exits.push(code)})
    return {signals, stderr, exits, release}
  }

  it('SIGINT while a step waits prints what goes on on the server, in one line, and exits 130', async () => {
    const {signals, stderr, exits, release} = setup()
    await whileOnServer('the release phase of v6 goes on on the server; follow it with `tug releases:info v6 -a shop`', async () => {
      signals.emit('SIGINT')
    })
    release()
    assert.deepEqual(stderr, ['Interrupted: the release phase of v6 goes on on the server; follow it with `tug releases:info v6 -a shop`.\n'])
    assert.deepEqual(exits, [130])
  })

  it('names the innermost step, and the outer one again once the inner has ended', async () => {
    const {signals, stderr, exits, release} = setup()
    await whileOnServer('outer goes on', async () => {
      await whileOnServer('inner goes on', async () => signals.emit('SIGTERM'))
      signals.emit('SIGINT')
    })
    release()
    assert.deepEqual(stderr, ['Interrupted: inner goes on.\n', 'Interrupted: outer goes on.\n'])
    assert.deepEqual(exits, [143, 130])
  })

  it('with nothing going on, ends the command silently', () => {
    const {signals, stderr, exits, release} = setup()
    signals.emit('SIGTERM')
    release()
    assert.deepEqual(stderr, [])
    assert.deepEqual(exits, [143])
    assert.equal(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM'), 0, 'release removes the handlers')
  })

  it('closes an open line (a spinner) before the interrupted line, even if closing throws', async () => {
    const {signals, stderr, exits, release} = setup()
    const order: string[] = []
    const unregister = onInterruptClose(() => order.push('spinner stopped'))
    const failing = onInterruptClose(() => {
      throw new Error('terminal gone')
    })
    await whileOnServer('a build goes on', async () => {
      signals.emit('SIGINT')
    })
    order.push(...stderr)
    unregister()
    failing()
    release()
    assert.deepEqual(order, ['spinner stopped', 'Interrupted: a build goes on.\n'])
    assert.deepEqual(exits, [130])
  })

  it('forgets a step that failed', async () => {
    await assert.rejects(whileOnServer('x goes on', async () => Promise.reject(new Error('boom'))), /boom/)
    assert.equal(interruptedLine(), undefined)
  })
})
