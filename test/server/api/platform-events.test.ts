import assert from 'node:assert/strict'
import {after, before, describe, it} from 'mocha'
import type {Build, Release, Source} from '../../../src/shared/api-types.js'
import {parseLogLine} from '../../../src/shared/log-line.js'
import {announceRelease, scaleMessage} from '../../../src/server/logs/platform-events.js'
import {LogRouter} from '../../../src/server/logs/index.js'
import {startLogServer, type LogServer} from '../../helpers/log-server.js'
import {tgzOf} from '../builds-tar.js'
import {waitFor} from '../../helpers/wait-for.js'

describe('API: platform events in the app log stream (tug[api])', function () {
  this.timeout(30_000)
  let server: LogServer
  let appId: string

  /** The messages of the app's tug[api] lines so far. */
  function apiLines(): string[] {
    return server.logs
      .history(appId, {filter: {source: 'tug', dyno: 'api'}})
      .map((entry) => parseLogLine(entry.text))
      .map((line) => `${line?.source}[${line?.dyno}]: ${line?.message}`)
  }

  before(async () => {
    server = await startLogServer()
    appId = await server.createApp('evented')
  })

  after(async () => {
    await server.close()
  })

  it('app create: the initial release', () => {
    assert.deepEqual(apiLines(), ['tug[api]: Initial release by user admin@tug.local', 'tug[api]: Release v1 created by user admin@tug.local'])
  })

  it('a build: Deploy <build id prefix>, then the release', async () => {
    const source = await server.call<Source>('POST', '/apps/evented/sources')
    const put = await fetch(source.body.source_blob.put_url, {method: 'PUT', body: tgzOf([{name: 'Procfile', body: 'web: node web.js\nworker: node worker.js\n'}])})
    assert.equal(put.status, 200)
    const created = await server.call<Build>('POST', '/apps/evented/builds', {source_blob: {url: source.body.source_blob.get_url}})
    assert.equal(created.status, 201)
    await waitFor(() => apiLines().length === 4, {what: 'the deploy lines'})
    assert.deepEqual(apiLines().slice(2), [
      `tug[api]: Deploy ${created.body.id.slice(0, 8)} by user admin@tug.local`,
      'tug[api]: Release v2 created by user admin@tug.local',
    ])
  })

  it('config changes: Set ... config vars, then the release; no change, no line', async () => {
    assert.equal((await server.call('PATCH', '/apps/evented/config-vars', {FOO: '1', BAR: '2'})).status, 200)
    assert.deepEqual(apiLines().slice(4), ['tug[api]: Set FOO, BAR config vars by user admin@tug.local', 'tug[api]: Release v3 created by user admin@tug.local'])
    assert.equal((await server.call('PATCH', '/apps/evented/config-vars', {FOO: '1'})).status, 200)
    assert.equal(apiLines().length, 6)
  })

  it('scaling: the whole formation after the change; a no-op scale writes nothing', async () => {
    const scaled = await server.call('PATCH', '/apps/evented/formation', {updates: [{type: 'web', quantity: 2}, {type: 'worker', quantity: 1}]})
    assert.equal(scaled.status, 200)
    assert.deepEqual(apiLines().slice(6), ['tug[api]: Scaled to web@2:Standard-1X worker@1:Standard-1X by user admin@tug.local'])
    assert.equal((await server.call('PATCH', '/apps/evented/formation/web', {quantity: 2})).status, 200)
    assert.equal(apiLines().length, 7)
  })

  it('rollback: Rollback to vN, then the release', async () => {
    const rolled = await server.call<Release>('POST', '/apps/evented/releases', {release: '2'})
    assert.equal(rolled.status, 201)
    assert.deepEqual(apiLines().slice(7), ['tug[api]: Rollback to v2 by user admin@tug.local', 'tug[api]: Release v4 created by user admin@tug.local'])
  })

  it('formats the messages as Heroku does', () => {
    assert.equal(
      scaleMessage([{type: 'web', quantity: 2, size: 'Standard-1X'}, {type: 'worker', quantity: 0, size: 'Performance-M'}], 'a@b.c'),
      'Scaled to web@2:Standard-1X worker@0:Performance-M by user a@b.c',
    )
    const router = new LogRouter()
    announceRelease(router, 'x', {version: 7, description: ''}, 'a@b.c')
    assert.deepEqual(router.history('x').map((e) => e.text.slice(33)), ['tug[api]: Release v7 created by user a@b.c'])
  })
})
