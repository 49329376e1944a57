import assert from 'node:assert/strict'
import {after, afterEach, before, describe, it} from 'mocha'
import {parseLogLine} from '../../../src/shared/log-line.js'
import {openStream, startLogServer, type LogServer, type OpenStream} from '../../helpers/log-server.js'
import {waitFor} from '../../helpers/wait-for.js'

const messages = (lines: string[]): string[] => lines.map((line) => {
  const parsed = parseLogLine(line)
  return parsed ? `${parsed.source}[${parsed.dyno}] ${parsed.message}` : `unparsed: ${line}`
})

describe('API: the log stream (GET /log-sessions/:secret)', function () {
  this.timeout(30_000)
  let server: LogServer
  let appId: string
  const open: OpenStream[] = []

  async function stream(url: string, headers?: Record<string, string>): Promise<OpenStream> {
    const s = await openStream(url, headers)
    open.push(s)
    return s
  }

  before(async () => {
    server = await startLogServer({sessions: {keepAliveMs: 200}})
    appId = await server.createApp('streamed')
    for (let i = 1; i <= 6; i++) {
      server.logs.write(appId, {source: 'app', dyno: i % 2 === 0 ? 'web.2' : 'web.1', message: `line ${i}`})
    }
    server.logs.write(appId, {source: 'tug', dyno: 'api', message: 'Release v2 created by user admin@tug.local'})
  })

  afterEach(() => {
    for (const s of open.splice(0)) s.close()
  })

  after(async () => {
    await server.close()
  })

  it('without tail: the last `lines` lines as SSE events with their ids, then the end', async () => {
    const s = await stream(await server.session('streamed', {lines: 3}))
    await s.ended
    assert.equal(s.status, 200)
    assert.equal(s.headers['content-type'], 'text/event-stream; charset=utf-8')
    // Ids 1 and 2 are the app's initial release lines. The backlog goes out in batches: an event
    // carries several lines (a data field each) and the id of its last one.
    assert.equal(s.events().at(-1)?.id, '9')
    assert.deepEqual(messages(s.lines()), ['app[web.1] line 5', 'app[web.2] line 6', 'tug[api] Release v2 created by user admin@tug.local'])
    assert.match(s.text, /^id: \d+\ndata: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 app\[web\.1\]: line 5\n(data|\nid)/)
  })

  it('counts `lines` after the filters (dyno name or type, source; heroku means tug)', async () => {
    const web2 = await stream(await server.session('streamed', {lines: 2, dyno: 'web.2'}))
    await web2.ended
    assert.deepEqual(messages(web2.lines()), ['app[web.2] line 4', 'app[web.2] line 6'])
    const web = await stream(await server.session('streamed', {lines: 2, type: 'web', source: 'app'}))
    await web.ended
    assert.deepEqual(messages(web.lines()), ['app[web.1] line 5', 'app[web.2] line 6'])
    const platform = await stream(await server.session('streamed', {source: 'heroku'}))
    await platform.ended
    assert.deepEqual(messages(platform.lines()), [
      'tug[api] Initial release by user admin@tug.local',
      'tug[api] Release v1 created by user admin@tug.local',
      'tug[api] Release v2 created by user admin@tug.local',
    ])
  })

  it('serves text/plain, one line per \\n, for Accept: text/plain and for the legacy srv query', async () => {
    const url = await server.session('streamed', {lines: 2})
    const plain = await stream(url, {Accept: 'text/plain'})
    await plain.ended
    assert.equal(plain.headers['content-type'], 'text/plain; charset=utf-8')
    assert.deepEqual(messages(plain.lines()), ['app[web.2] line 6', 'tug[api] Release v2 created by user admin@tug.local'])
    assert.ok(!plain.text.includes('data:'))
    const legacy = await stream(`${await server.session('streamed', {lines: 1})}&srv=1`, {Accept: 'text/event-stream'})
    await legacy.ended
    assert.equal(legacy.headers['content-type'], 'text/plain; charset=utf-8')
    assert.deepEqual(messages(legacy.lines()), ['tug[api] Release v2 created by user admin@tug.local'])
  })

  it('with tail: stays open, sends new lines and keep-alive comments', async () => {
    const s = await stream(await server.session('streamed', {lines: 1, tail: true}))
    await waitFor(() => s.lines().length === 1, {what: 'the backlog'})
    server.logs.write(appId, {source: 'app', dyno: 'worker.1', message: 'fresh'})
    await waitFor(() => s.lines().length === 2, {what: 'the live line'})
    assert.deepEqual(messages(s.lines()).slice(1), ['app[worker.1] fresh'])
    await waitFor(() => s.text.includes(':\n\n'), {what: 'a keep-alive comment'})
    assert.equal(s.isEnded(), false)
  })

  it('resumes after Last-Event-ID with nothing lost or repeated', async () => {
    const url = await server.session('streamed', {lines: 0, tail: true, dyno: 'resume'})
    const first = await stream(url)
    for (let i = 1; i <= 5; i++) server.logs.write(appId, {source: 'app', dyno: 'resume.1', message: `r${i}`})
    await waitFor(() => first.lines().length === 5, {what: 'five lines'})
    const lastId = first.events().at(-1)?.id as string
    first.close()
    for (let i = 6; i <= 8; i++) server.logs.write(appId, {source: 'app', dyno: 'resume.1', message: `r${i}`})
    const second = await stream(url, {Accept: 'text/event-stream', 'Last-Event-ID': lastId})
    await waitFor(() => second.lines().length === 3, {what: 'the three missed lines'})
    server.logs.write(appId, {source: 'app', dyno: 'resume.1', message: 'r9'})
    await waitFor(() => second.lines().length === 4, {what: 'the next live line'})
    assert.deepEqual(messages([...first.lines(), ...second.lines()]).map((m) => m.split(' ')[1]), ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9'])
    // Each event's id is its last line's: they only grow, and the two streams share none.
    const ids = [...first.events(), ...second.events()].map((e) => Number(e.id))
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b))
    assert.equal(new Set(ids).size, ids.length)
  })

  it('answers HEAD without reading the session (200, no body; 404 when unknown)', async () => {
    const url = await server.session('streamed', {tail: true})
    const head = await fetch(url, {method: 'HEAD', headers: {Accept: 'text/event-stream'}})
    assert.equal(head.status, 200)
    assert.equal(head.headers.get('content-type'), 'text/event-stream; charset=utf-8')
    const secret = new URL(url).pathname.split('/').pop() as string
    assert.equal(server.store.logSessions.findBySecret(secret)?.connected_at, null)
    assert.equal((await fetch(`${server.url}/log-sessions/${'B'.repeat(43)}`, {method: 'HEAD'})).status, 404)
  })

  it('answers 404 for an unknown secret, in the API error shape', async () => {
    const response = await fetch(`${server.url}/log-sessions/${'A'.repeat(43)}?tail=false`)
    assert.equal(response.status, 404)
    assert.deepEqual(await response.json(), {id: 'not_found', message: "Couldn't find that log session: it may have expired.", resource: 'log-session'})
  })

  it('ends live streams when the app is destroyed, and its sessions are gone', async () => {
    const doomed = await server.createApp('doomed')
    server.logs.write(doomed, {source: 'app', dyno: 'web.1', message: 'bye'})
    const url = await server.session('doomed', {tail: true, source: 'app'})
    const s = await stream(url)
    await waitFor(() => s.events().length === 1, {what: 'the backlog'})
    assert.equal((await server.call('DELETE', '/apps/doomed')).status, 200)
    await s.ended
    assert.deepEqual(server.logs.history(doomed), [])
    assert.equal((await fetch(url)).status, 404)
  })
})

describe('API: log session lifetimes and server close', function () {
  this.timeout(30_000)

  it('an unused session expires after 5 minutes (404); a read one ends its stream after its connected lifetime, then 404', async () => {
    let now = Date.parse('2026-11-27T12:00:00Z')
    const server = await startLogServer({sessions: {connectedTtlMs: 1000}, clock: () => new Date(now)})
    const streams: OpenStream[] = []
    try {
      await server.createApp('short')
      const unused = await server.session('short', {tail: false})
      const kept = await server.session('short', {tail: false})
      now += 5 * 60 * 1000 - 1000
      assert.equal((await fetch(kept)).status, 200)
      now += 1000
      assert.equal((await fetch(unused)).status, 404)

      const read = await server.session('short', {tail: true})
      // Timed from before the request: the server's 1 s starts when it answers, which a loaded
      // machine may show the client later.
      const openedAt = Date.now()
      const s = await openStream(read)
      streams.push(s)
      assert.equal(s.status, 200)
      await s.ended
      const lasted = Date.now() - openedAt
      assert.ok(lasted >= 900 && lasted < 10_000, `the stream lasted ${lasted} ms`)
      now += 1000
      const again = await fetch(read, {headers: {Accept: 'text/event-stream'}})
      assert.equal(again.status, 404)
    } finally {
      for (const s of streams) s.close()
      await server.close()
    }
  })

  it('a reconnect within the hour gets what is left of it, not a new hour', async () => {
    let now = Date.parse('2026-11-27T12:00:00Z')
    const server = await startLogServer({clock: () => new Date(now)})
    const streams: OpenStream[] = []
    try {
      await server.createApp('hour')
      const url = await server.session('hour', {tail: true})
      const first = await openStream(url)
      streams.push(first)
      first.close()
      now += 59 * 60 * 1000
      const second = await openStream(url)
      streams.push(second)
      assert.equal(second.status, 200)
      second.close()
      now += 60 * 1000
      assert.equal((await fetch(url)).status, 404)
    } finally {
      for (const s of streams) s.close()
      await server.close()
    }
  })

  it('server close ends live tails (close does not hang)', async () => {
    const server = await startLogServer()
    await server.createApp('closing')
    const a = await openStream(await server.session('closing', {tail: true}))
    const b = await openStream(await server.session('closing', {tail: true}), {Accept: 'text/plain'})
    const started = Date.now()
    await server.close()
    await Promise.all([a.ended, b.ended])
    assert.ok(Date.now() - started < 10_000)
  })
})
