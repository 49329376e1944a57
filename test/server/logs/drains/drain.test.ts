import assert from 'node:assert/strict'
import {createServer, type IncomingHttpHeaders, type Server} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'
import type {AddressInfo} from 'node:net'
import type {TLSSocket} from 'node:tls'
import {afterEach, describe, it} from 'mocha'
import {DrainManager, octetFrame, parseOctetFrames, syslogFrame, syslogMessage} from '../../../../src/server/logs/drains/index.js'
import {LogRouter} from '../../../../src/server/logs/index.js'
import {startSyslogListener, type SyslogListener} from '../../../helpers/syslog-listener.js'
import {hasOpenssl, makeTestCert} from '../../../helpers/tls.js'
import {waitFor} from '../../../helpers/wait-for.js'

const TOKEN = 'd.01234567-89ab-cdef-0123-456789abcdef'
const LINE = '2026-11-27T11:15:41.123456+00:00 app[web.1]: hello é'

describe('logs/drains: frames', () => {
  it('makes an RFC 5424 message as Logplex does: PRI 190, token as host, source as app-name, dyno as procid', () => {
    assert.equal(syslogMessage(LINE, TOKEN), `<190>1 2026-11-27T11:15:41.123456+00:00 ${TOKEN} app web.1 - - hello é`)
    assert.equal(
      syslogMessage('2026-11-27T11:15:41.000001+00:00 tug[api]: Release v7 created by user a@b.c', TOKEN),
      `<190>1 2026-11-27T11:15:41.000001+00:00 ${TOKEN} tug api - - Release v7 created by user a@b.c`,
    )
  })

  it('frames by octet count (bytes, not characters) and parses frames back across chunk cuts', () => {
    const message = syslogMessage(LINE, TOKEN)
    assert.equal(octetFrame('é'), '2 é')
    const frame = syslogFrame(LINE, TOKEN)
    assert.equal(frame, `${Buffer.byteLength(message)} ${message}`)
    const data = Buffer.from(frame + frame)
    const first = parseOctetFrames(data.subarray(0, 30))
    assert.deepEqual(first.messages, [])
    const all = parseOctetFrames(Buffer.concat([first.rest, data.subarray(30)]))
    assert.deepEqual(all.messages, [message, message])
    assert.equal(all.rest.length, 0)
  })
})

describe('logs/drains: delivery', function () {
  this.timeout(30_000)
  const cleanups: Array<() => Promise<void> | void> = []

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  function router(): LogRouter {
    const logs = new LogRouter()
    cleanups.push(() => logs.close())
    return logs
  }

  async function listener(options?: Parameters<typeof startSyslogListener>[0]): Promise<SyslogListener> {
    const l = await startSyslogListener(options)
    cleanups.push(() => l.close())
    return l
  }

  function manager(logs: LogRouter, options: ConstructorParameters<typeof DrainManager>[1] = {}): DrainManager {
    // The listeners here are on 127.0.0.1: allowed, as with --allow-private-drains, unless a test says otherwise.
    const m = new DrainManager(logs, {retryBaseMs: 20, retryCapMs: 200, allowPrivate: true, ...options})
    cleanups.push(() => m.close())
    return m
  }

  it('syslog over TCP: every line, in order, framed, from the moment the drain is added', async () => {
    const logs = router()
    const endpoint = await listener()
    logs.write('app-1', {source: 'app', dyno: 'web.1', message: 'before the drain'})
    const drains = manager(logs)
    drains.add({id: 'x', appId: 'app-1', url: endpoint.url, token: TOKEN})
    for (let i = 0; i < 500; i++) logs.write('app-1', {source: i % 2 ? 'app' : 'tug', dyno: i % 2 ? 'web.2' : 'api', message: `m${i}`})
    logs.write('app-2', {source: 'app', dyno: 'web.1', message: 'another app'})
    await waitFor(() => endpoint.messages.length === 500, {what: '500 messages'})
    assert.match(endpoint.messages[0] as string, new RegExp(`^<190>1 \\S+ ${TOKEN} tug api - - m0$`))
    assert.match(endpoint.messages[1] as string, new RegExp(`^<190>1 \\S+ ${TOKEN} app web.2 - - m1$`))
    assert.deepEqual(endpoint.messages.map((m) => m.split(' - - ')[1]), Array.from({length: 500}, (_, i) => `m${i}`))
    assert.equal(drains.stats('x')?.sent, 500)
  })

  it('syslog reconnects with back-off after the endpoint drops the connection, and goes on', async () => {
    const logs = router()
    const endpoint = await listener()
    const drains = manager(logs)
    drains.add({id: 'x', appId: 'a', url: endpoint.url, token: TOKEN})
    logs.write('a', {source: 'app', dyno: 'web.1', message: 'one'})
    await waitFor(() => endpoint.messages.length === 1, {what: 'the first line'})
    endpoint.dropConnections()
    await waitFor(() => drains.stats('x')?.connected === false, {what: 'the drain to notice'})
    logs.write('a', {source: 'app', dyno: 'web.1', message: 'two'})
    await waitFor(() => endpoint.messages.length === 2, {what: 'the line after the reconnect'})
    assert.equal(endpoint.connections, 2)
    assert.match(endpoint.messages[1] as string, / - - two$/)
  })

  it('syslog+tls: frames over TLS', async function () {
    if (!hasOpenssl()) this.skip()
    const cert = makeTestCert()
    cleanups.push(() => cert.remove())
    const logs = router()
    const endpoint = await listener({tls: {key: cert.key, cert: cert.cert}})
    const drains = manager(logs, {tls: {ca: cert.cert}})
    drains.add({id: 't', appId: 'a', url: endpoint.url, token: TOKEN})
    logs.write('a', {source: 'app', dyno: 'worker.1', message: 'secret'})
    await waitFor(() => endpoint.messages.length === 1, {what: 'the TLS line'})
    assert.match(endpoint.messages[0] as string, new RegExp(`^<190>1 \\S+ ${TOKEN} app worker.1 - - secret$`))
  })

  it('a full buffer drops lines and says so in the app stream (L10) once the drain has caught up', async () => {
    const logs = router()
    // Nothing listens on this port yet.
    const probe = await startSyslogListener()
    const port = probe.port
    await probe.close()
    const drains = manager(logs, {bufferLines: 10})
    drains.add({id: 'x', appId: 'a', url: `syslog://127.0.0.1:${port}`, token: TOKEN})
    for (let i = 0; i < 25; i++) logs.write('a', {source: 'app', dyno: 'web.1', message: `m${i}`})
    await waitFor(() => drains.stats('x')?.dropped === 15, {what: '15 dropped'})
    const endpoint = await listener({port})
    await waitFor(() => endpoint.messages.length >= 11, {what: 'the buffered lines and the notice'})
    assert.deepEqual(endpoint.messages.slice(0, 10).map((m) => m.split(' - - ')[1]), Array.from({length: 10}, (_, i) => `m${i}`))
    const notice = logs.history('a', {filter: {dyno: 'logplex'}}).map((e) => e.text.slice(33))
    assert.equal(notice.length, 1)
    assert.match(notice[0] as string, new RegExp(`^tug\\[logplex\\]: Error L10 \\(output buffer overflow\\): drain ${TOKEN} dropped 15 messages since \\d{4}-`))
    assert.match(endpoint.messages[10] as string, / tug logplex - - Error L10/)
  })

  describe('https (http:// here): batched POSTs of application/logplex-1', () => {
    let server: Server | undefined

    it('posts batches with the Logplex headers, retries a failed one with back-off, never reorders', async () => {
      const posts: Array<{headers: IncomingHttpHeaders; messages: string[]}> = []
      let failuresLeft = 2
      server = createServer((request, response) => {
        const chunks: Buffer[] = []
        request.on('data', (chunk: Buffer) => chunks.push(chunk))
        request.on('end', () => {
          if (failuresLeft > 0) {
            failuresLeft--
            response.writeHead(503).end()
            return
          }
          posts.push({headers: request.headers, messages: parseOctetFrames(Buffer.concat(chunks)).messages})
          response.writeHead(204).end()
        })
      })
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
      cleanups.push(() => new Promise<void>((resolve) => server?.close(() => resolve())))
      const port = (server.address() as AddressInfo).port
      const logs = router()
      const drains = manager(logs, {batchLines: 100})
      drains.add({id: 'h', appId: 'a', url: `http://user:pa%20ss@127.0.0.1:${port}/logs`, token: TOKEN})
      for (let i = 0; i < 250; i++) logs.write('a', {source: 'app', dyno: 'web.1', message: `m${i}`})
      await waitFor(() => posts.reduce((n, p) => n + p.messages.length, 0) === 250, {what: '250 lines posted'})
      assert.ok(posts.every((p) => p.messages.length <= 100))
      const first = posts[0]?.headers
      assert.equal(first?.['content-type'], 'application/logplex-1')
      assert.equal(first?.['logplex-drain-token'], TOKEN)
      assert.equal(first?.['logplex-msg-count'], String(posts[0]?.messages.length))
      assert.equal(first?.authorization, `Basic ${Buffer.from('user:pa ss').toString('base64')}`)
      assert.deepEqual(posts.flatMap((p) => p.messages.map((m) => m.split(' - - ')[1])), Array.from({length: 250}, (_, i) => `m${i}`))
      assert.equal(drains.stats('h')?.dropped, 0)
    })
  })

  it('https: over TLS with the drain\'s CA, the URL\'s name as SNI and Host', async function () {
    if (!hasOpenssl()) this.skip()
    const cert = makeTestCert()
    cleanups.push(() => cert.remove())
    const seen: Array<{servername: unknown; host: string | undefined; messages: string[]}> = []
    const server = createHttpsServer({key: cert.key, cert: cert.cert}, (request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        seen.push({servername: (request.socket as TLSSocket).servername, host: request.headers.host, messages: parseOctetFrames(Buffer.concat(chunks)).messages})
        response.writeHead(204).end()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const port = (server.address() as AddressInfo).port
    const logs = router()
    const drains = manager(logs, {tls: {ca: cert.cert}})
    drains.add({id: 's', appId: 'a', url: `https://localhost:${port}/logs`, token: TOKEN})
    logs.write('a', {source: 'app', dyno: 'web.1', message: 'over tls'})
    await waitFor(() => seen.length === 1, {what: 'the POST over TLS'})
    assert.equal(seen[0]?.servername, 'localhost')
    assert.equal(seen[0]?.host, `localhost:${port}`)
    assert.match(seen[0]?.messages[0] as string, / - - over tls$/)
  })

  it('stops when its app is removed from the router, and with the manager', async () => {
    const logs = router()
    const endpoint = await listener()
    const drains = manager(logs)
    drains.add({id: 'x', appId: 'a', url: endpoint.url, token: TOKEN})
    drains.add({id: 'y', appId: 'b', url: endpoint.url, token: TOKEN})
    await logs.removeApp('a')
    assert.equal(drains.stats('x'), undefined)
    assert.ok(drains.stats('y'))
    drains.close()
    assert.equal(drains.stats('y'), undefined)
  })

  describe('the address policy (no --allow-private-drains)', () => {
    function refusals(logs: LogRouter, app: string): string[] {
      return logs.history(app, {filter: {dyno: 'logplex'}}).map((e) => e.text.slice(33))
    }

    it('syslog: connects neither to a loopback literal nor to a name that resolves to loopback, and says why once', async () => {
      const logs = router()
      const endpoint = await listener()
      const drains = manager(logs, {allowPrivate: false})
      drains.add({id: 'literal', appId: 'a', url: endpoint.url, token: TOKEN})
      // Resolved at connect time: localhost is 127.0.0.1 (or ::1), which the lookup refuses.
      drains.add({id: 'name', appId: 'b', url: `syslog://localhost:${endpoint.port}`, token: TOKEN})
      for (const app of ['a', 'b']) logs.write(app, {source: 'app', dyno: 'web.1', message: 'secret'})
      await waitFor(() => (drains.stats('literal')?.failures ?? 0) >= 3 && (drains.stats('name')?.failures ?? 0) >= 3, {what: 'three refused connects each'})
      assert.equal(endpoint.connections, 0)
      assert.deepEqual(endpoint.messages, [])
      assert.deepEqual(refusals(logs, 'a'), [
        `tug[logplex]: drain ${TOKEN}: drain to 127.0.0.1: not connecting to 127.0.0.1, a loopback address; start the control plane with --allow-private-drains to allow private addresses (a listener on this machine or the local network)`,
      ])
      assert.match(refusals(logs, 'b').join('\n'), /^tug\[logplex\]: drain d\.[-\w]+: drain to localhost: not connecting to (127\.0\.0\.1|::1), a loopback address; start the control plane with --allow-private-drains/)
      assert.equal(refusals(logs, 'b').length, 1)
    })

    it('https: posts nothing to a private address, and follows no redirect', async () => {
      const hits: string[] = []
      const server = createServer((request, response) => {
        hits.push(request.url ?? '')
        request.resume()
        // What the allowed drain below gets: a redirect it must not follow.
        response.writeHead(307, {location: `http://127.0.0.1:${(server.address() as AddressInfo).port}/elsewhere`}).end()
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
      const port = (server.address() as AddressInfo).port
      const logs = router()
      const strict = manager(logs, {allowPrivate: false})
      strict.add({id: 'h', appId: 'a', url: `http://127.0.0.1:${port}/logs`, token: TOKEN})
      strict.add({id: 'm', appId: 'b', url: `http://[::ffff:127.0.0.1]:${port}/logs`, token: TOKEN})
      logs.write('a', {source: 'app', dyno: 'web.1', message: 'x'})
      logs.write('b', {source: 'app', dyno: 'web.1', message: 'x'})
      await waitFor(() => (strict.stats('h')?.failures ?? 0) >= 2 && (strict.stats('m')?.failures ?? 0) >= 2, {what: 'refused posts'})
      assert.deepEqual(hits, [])
      assert.match(refusals(logs, 'a')[0] as string, /not connecting to 127\.0\.0\.1, a loopback address;/)
      assert.match(refusals(logs, 'b')[0] as string, /not connecting to ::ffff:7f00:1, a loopback address \(127\.0\.0\.1, as IPv6\);/)

      const allowed = manager(logs, {batchAttempts: 1})
      allowed.add({id: 'r', appId: 'c', url: `http://127.0.0.1:${port}/logs`, token: TOKEN})
      logs.write('c', {source: 'app', dyno: 'web.1', message: 'y'})
      await waitFor(() => allowed.stats('r')?.dropped === 1, {what: 'the redirected batch given up'})
      assert.deepEqual(hits, ['/logs'])
    })
  })
})
