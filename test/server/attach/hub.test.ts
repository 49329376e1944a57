import assert from 'node:assert/strict'

import {AttachHub, EXIT_MARKER_SUFFIX, newSecret, stripExitMarker} from '../../../src/server/attach/hub.js'
import {waitFor} from '../../helpers/wait-for.js'
import {FakeDyno} from './fake-dyno.js'

describe('attach hub', () => {
  const hubs: AttachHub[] = []
  afterEach(() => hubs.splice(0).forEach((hub) => hub.close()))
  const makeHub = (options: Partial<ConstructorParameters<typeof AttachHub>[0]> = {}): {hub: AttachHub; stopped: string[]; events: string[]} => {
    const stopped: string[] = []
    const events: string[] = []
    const hub = new AttachHub({
      rendezvous: () => ({host: '127.0.0.1', port: 5999}),
      stopDyno: async (_app, dyno) => void stopped.push(dyno),
      event: (_app, dyno, message) => void events.push(`${dyno}: ${message}`),
      ...options,
    })
    hubs.push(hub)
    return {hub, stopped, events}
  }

  it('makes 256-bit URL-safe secrets', () => {
    const secret = newSecret()
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/)
    assert.notEqual(secret, newSecret())
  })

  it('strips the exit-status echo off a command, and only that', () => {
    assert.deepEqual(stripExitMarker(`rake db:migrate${EXIT_MARKER_SUFFIX}`), {command: 'rake db:migrate', exitMarker: true})
    assert.deepEqual(stripExitMarker('rake db:migrate'), {command: 'rake db:migrate', exitMarker: false})
    assert.deepEqual(stripExitMarker(EXIT_MARKER_SUFFIX), {command: EXIT_MARKER_SUFFIX, exitMarker: false})
  })

  it('hands out rendezvous URLs whose session is claimed once, by secret or by dyno', async () => {
    const {hub} = makeHub()
    const ticket = hub.open({appId: 'app1', command: `ls${EXIT_MARKER_SUFFIX}`, tty: false})
    const secret = ticket.attachUrl.replace('rendezvous://127.0.0.1:5999/', '')
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/)
    assert.equal(ticket.command, 'ls')
    assert.equal(hub.claimSecret(secret), undefined, 'not claimable before the dyno record exists')
    ticket.assign('dyno1', 'run.1')
    assert.equal(hub.claimDyno('other-app', 'dyno1'), undefined, 'another app cannot claim it')
    const claim = hub.claimSecret(secret)
    assert.equal(claim?.dynoName, 'run.1')
    assert.equal(claim?.exitMarker, true)
    assert.equal(hub.claimSecret(secret), undefined)
    assert.equal(hub.claimDyno('app1', 'dyno1'), undefined)
    const dyno = new FakeDyno()
    ticket.bind(dyno)
    assert.equal(await claim?.handle, dyno)
  })

  it('expires an unclaimed session: the dyno is stopped, its output let go to the log', async () => {
    const {hub, stopped, events} = makeHub({expiryMs: 50})
    const ticket = hub.open({appId: 'app1', command: 'sleep 100', tty: false})
    ticket.assign('dyno9', 'run.9')
    const dyno = new FakeDyno()
    ticket.bind(dyno)
    await waitFor(() => stopped.length > 0, {what: 'the expiry'})
    assert.deepEqual(stopped, ['dyno9'])
    assert.deepEqual(events, ['run.9: Stopping process: nobody attached within 0 seconds'])
    await waitFor(() => !dyno.paused, {what: 'the output resumed'})
    assert.equal(hub.claimDyno('app1', 'dyno9'), undefined)
  })
})
