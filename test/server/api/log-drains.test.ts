import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'mocha'
import type {LogDrain} from '../../../src/shared/api-types.js'
import type {LogRouter} from '../../../src/server/logs/index.js'
import {StoreOnlyRuntime} from '../../helpers/store-only-runtime.js'
import {startApiServer, type TestApiServer} from '../../helpers/api-server.js'
import {startSyslogListener, type SyslogListener} from '../../helpers/syslog-listener.js'
import {waitFor} from '../../helpers/wait-for.js'

describe('API: log drains', function () {
  this.timeout(30_000)
  let server: TestApiServer
  let logs: LogRouter | undefined
  let endpoint: SyslogListener
  let appId: string

  before(async () => {
    endpoint = await startSyslogListener()
    // The endpoint listens on 127.0.0.1: allowed only as with --allow-private-drains.
    server = await startApiServer({
      drains: {allowPrivate: true},
      runtime: (store, router) => {
        logs = router
        return new StoreOnlyRuntime(store)
      },
    })
    appId = (await server.call<{id: string}>('POST', '/apps', {body: {name: 'drained'}})).body.id
    await server.call('POST', '/apps', {body: {name: 'other'}})
  })

  after(async () => {
    await server.close()
    await endpoint.close()
  })

  it('adds a drain (201): d.<uuid> token, the app, no add-on; lists it', async () => {
    const created = await server.call<LogDrain>('POST', '/apps/drained/log-drains', {body: {url: endpoint.url}})
    assert.equal(created.status, 201)
    assert.equal(created.body.url, endpoint.url)
    assert.match(created.body.token, /^d\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    assert.deepEqual(created.body.app, {id: appId, name: 'drained'})
    assert.equal(created.body.addon, null)
    const list = await server.call<LogDrain[]>('GET', '/apps/drained/log-drains')
    assert.deepEqual(list.body, [created.body])
    assert.deepEqual((await server.call<LogDrain[]>('GET', '/apps/other/log-drains')).body, [])
  })

  it('delivers the app lines to it, framed', async () => {
    const drain = (await server.call<LogDrain[]>('GET', '/apps/drained/log-drains')).body[0] as LogDrain
    logs?.write(appId, {source: 'app', dyno: 'web.1', message: 'to the drain'})
    await waitFor(() => endpoint.messages.some((m) => m.endsWith(' - - to the drain')), {what: 'the line at the endpoint'})
    const message = endpoint.messages.find((m) => m.endsWith(' - - to the drain'))
    assert.match(message as string, new RegExp(`^<190>1 \\S+ ${drain.token} app web\\.1 - - to the drain$`))
  })

  it('finds a drain by id, token or URL-encoded url; 404 otherwise', async () => {
    const drain = (await server.call<LogDrain[]>('GET', '/apps/drained/log-drains')).body[0] as LogDrain
    for (const identity of [drain.id, drain.token, encodeURIComponent(drain.url)]) {
      const found = await server.call<LogDrain>('GET', `/apps/drained/log-drains/${identity}`)
      assert.equal(found.status, 200, identity)
      assert.deepEqual(found.body, drain)
    }
    const missing = await server.call('GET', `/apps/other/log-drains/${drain.token}`)
    assert.equal(missing.status, 404)
    assert.deepEqual(missing.body, {id: 'not_found', message: "Couldn't find that log drain.", resource: 'log-drain'})
  })

  it('validates the url: required, a syslog, syslog+tls or http(s) URL, unique per app (422 invalid_params)', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'url is required: a syslog://, syslog+tls:// or https:// URL.'],
      [{url: 'not a url'}, 'Url is invalid: not a url is not a URL.'],
      [{url: 'ftp://example.com/x'}, 'Url is invalid: the scheme must be syslog://, syslog+tls:// or https:// (http:// for local testing), not ftp://.'],
      [{url: 'syslog://example.com:514/path'}, 'Url is invalid: a syslog drain is syslog://host:port, without a path.'],
      [{url: endpoint.url}, 'Url has already been taken'],
    ]
    for (const [body, message] of cases) {
      const response = await server.call('POST', '/apps/drained/log-drains', {body})
      assert.equal(response.status, 422, JSON.stringify(body))
      assert.deepEqual(response.body, {id: 'invalid_params', message})
    }
    const elsewhere = await server.call<LogDrain>('POST', '/apps/other/log-drains', {body: {url: endpoint.url}})
    assert.equal(elsewhere.status, 201, 'the same URL on another app')
    const https = await server.call<LogDrain>('POST', '/apps/other/log-drains', {body: {url: 'https://user:pass@logs.example.com/drain'}})
    assert.equal(https.status, 201)
  })

  it('removes a drain by URL (200, the drain); it is gone and receives nothing more', async () => {
    const drain = (await server.call<LogDrain[]>('GET', '/apps/drained/log-drains')).body[0] as LogDrain
    const removed = await server.call<LogDrain>('DELETE', `/apps/drained/log-drains/${encodeURIComponent(drain.url)}`)
    assert.equal(removed.status, 200)
    assert.deepEqual(removed.body, drain)
    assert.deepEqual((await server.call<LogDrain[]>('GET', '/apps/drained/log-drains')).body, [])
    assert.equal((await server.call('DELETE', `/apps/drained/log-drains/${drain.token}`)).status, 404)
    const before = endpoint.messages.filter((m) => m.includes(drain.token)).length
    logs?.write(appId, {source: 'app', dyno: 'web.1', message: 'after removal'})
    // The other app's drain to the same endpoint is still live: a line there shows the endpoint works.
    const otherId = (await server.call<{id: string}>('GET', '/apps/other')).body.id
    logs?.write(otherId, {source: 'app', dyno: 'web.1', message: 'marker'})
    await waitFor(() => endpoint.messages.some((m) => m.endsWith(' - - marker')), {what: 'the marker'})
    assert.equal(endpoint.messages.filter((m) => m.includes(drain.token)).length, before)
  })

  it('delivery resumes for stored drains when the control plane starts again', async () => {
    const restarted = await startSyslogListener()
    let second: TestApiServer | undefined
    let router: LogRouter | undefined
    const dataDir = mkdtempSync(join(tmpdir(), 'tug-drains-restart-'))
    const first = await startApiServer({dataDir, drains: {allowPrivate: true}, runtime: (store) => new StoreOnlyRuntime(store)})
    try {
      const id = (await first.call<{id: string}>('POST', '/apps', {body: {name: 'durable'}})).body.id
      assert.equal((await first.call('POST', '/apps/durable/log-drains', {body: {url: restarted.url}})).status, 201)
      await first.close()
      second = await startApiServer({
        dataDir,
        drains: {allowPrivate: true},
        runtime: (store, r) => {
          router = r
          return new StoreOnlyRuntime(store)
        },
      })
      router?.write(id, {source: 'app', dyno: 'web.1', message: 'after the restart'})
      await waitFor(() => restarted.messages.some((m) => m.endsWith(' - - after the restart')), {what: 'the line at the endpoint'})
    } finally {
      await first.close()
      await second?.close()
      await restarted.close()
      rmSync(dataDir, {recursive: true, force: true})
    }
  })

  it('answers 404 for an unknown app', async () => {
    const response = await server.call('GET', '/apps/nope/log-drains')
    assert.equal(response.status, 404)
  })

  describe('what a drain may reach (a server without --allow-private-drains)', () => {
    let strict: TestApiServer

    before(async () => {
      strict = await startApiServer()
      await strict.call('POST', '/apps', {body: {name: 'guarded'}})
    })

    after(async () => {
      await strict.close()
    })

    const list = async (): Promise<LogDrain[]> => (await strict.call<LogDrain[]>('GET', '/apps/guarded/log-drains')).body

    it('refuses loopback, link-local, private and unspecified targets (422, saying how to allow them), adding nothing', async () => {
      const hint = 'and drains send only to public addresses; start the control plane with --allow-private-drains to allow private addresses (a listener on this machine or the local network).'
      const cases: Array<[string, string]> = [
        // Each of the first three was accepted, and the listener then got POSTs of paths any router visitor chose.
        ['http://127.0.0.1:5055/', '127.0.0.1 is a loopback address'],
        ['http://169.254.169.254/', '169.254.169.254 is a link-local address'],
        ['syslog://127.0.0.1:22', '127.0.0.1 is a loopback address'],
        ['https://localhost/drain', 'localhost is a loopback address'],
        ['http://[::1]:5055/', '[::1] is a loopback address'],
        ['http://[::ffff:127.0.0.1]/', '[::ffff:7f00:1] is a loopback address (127.0.0.1, as IPv6)'],
        ['https://2130706433/', '127.0.0.1 is a loopback address'],
        ['syslog://2130706433:514', '127.0.0.1 is a loopback address'],
        ['syslog://0x7f.1:514', '127.0.0.1 is a loopback address'],
        ['syslog+tls://10.0.0.7:6514', '10.0.0.7 is a private address'],
        ['https://192.168.1.10/logs', '192.168.1.10 is a private address'],
        ['https://[fd00::5]/logs', '[fd00::5] is a private address (unique local)'],
        ['http://0.0.0.0:80/', '0.0.0.0 is an unspecified address'],
        ['syslog://224.0.0.1:514', '224.0.0.1 is a multicast address'],
      ]
      for (const [url, problem] of cases) {
        const response = await strict.call('POST', '/apps/guarded/log-drains', {body: {url}})
        assert.equal(response.status, 422, url)
        assert.deepEqual(response.body, {id: 'invalid_params', message: `Url is invalid: ${problem}, ${hint}`}, url)
      }
      assert.deepEqual(await list(), [])
    })

    it('caps the URL at 2048 characters and an app at 10 drains (422), adding nothing', async () => {
      const long = `https://logs.example.com/${'a'.repeat(2048 - 25 + 1)}`
      const tooLong = await strict.call('POST', '/apps/guarded/log-drains', {body: {url: long}})
      assert.equal(tooLong.status, 422)
      assert.deepEqual(tooLong.body, {id: 'invalid_params', message: 'Url is too long: 2049 characters; a drain URL has at most 2048.'})
      assert.deepEqual(await list(), [])
      assert.equal((await strict.call('POST', '/apps/guarded/log-drains', {body: {url: long.slice(0, -1)}})).status, 201, 'exactly 2048')
      for (let i = 1; i < 10; i++) {
        assert.equal((await strict.call('POST', '/apps/guarded/log-drains', {body: {url: `https://logs${i}.example.com/`}})).status, 201)
      }
      const before = await list()
      assert.equal(before.length, 10)
      const eleventh = await strict.call('POST', '/apps/guarded/log-drains', {body: {url: 'https://logs11.example.com/'}})
      assert.equal(eleventh.status, 422)
      assert.deepEqual(eleventh.body, {id: 'invalid_params', message: 'guarded has 10 log drains, the most an app may have: remove one first (tug drains:remove URL -a guarded).'})
      assert.deepEqual(await list(), before)
    })

    it('a stored drain to a private address (added while allowed) delivers nothing once the server no longer allows it', async () => {
      const endpoint = await startSyslogListener()
      const dataDir = mkdtempSync(join(tmpdir(), 'tug-drains-policy-'))
      let restarted: TestApiServer | undefined
      let router: LogRouter | undefined
      const first = await startApiServer({dataDir, drains: {allowPrivate: true}})
      try {
        const id = (await first.call<{id: string}>('POST', '/apps', {body: {name: 'was-allowed'}})).body.id
        assert.equal((await first.call('POST', '/apps/was-allowed/log-drains', {body: {url: endpoint.url}})).status, 201)
        await first.close()
        restarted = await startApiServer({
          dataDir,
          runtime: (store, r) => {
            router = r
            return new StoreOnlyRuntime(store)
          },
        })
        router?.write(id, {source: 'app', dyno: 'web.1', message: 'not for a private address'})
        const notice = await waitFor(() => router?.history(id, {filter: {dyno: 'logplex'}})[0]?.text, {what: 'the refusal in the app stream'})
        assert.match(notice, /tug\[logplex\]: drain d\.[-\w]+: drain to 127\.0\.0\.1: not connecting to 127\.0\.0\.1, a loopback address; start the control plane with --allow-private-drains/)
        assert.equal(endpoint.connections, 0)
        assert.equal((await restarted.call<LogDrain[]>('GET', '/apps/was-allowed/log-drains')).body.length, 1, 'the drain itself stays')
      } finally {
        await first.close()
        await restarted?.close()
        await endpoint.close()
        rmSync(dataDir, {recursive: true, force: true})
      }
    })
  })
})
