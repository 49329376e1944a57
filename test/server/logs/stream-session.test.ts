import assert from 'node:assert/strict'
import {EventEmitter} from 'node:events'
import {createServer, request, type IncomingMessage, type Server, type ClientRequest} from 'node:http'
import {connect, type AddressInfo, type Socket} from 'node:net'
import {setImmediate as yieldToLoop} from 'node:timers/promises'

import {LogRouter} from '../../../src/server/logs/router.js'
import {StreamSession} from '../../../src/server/logs/stream-session.js'
import {chooseFormat, parseLastEventId, SSE_HEADERS, TEXT_HEADERS} from '../../../src/server/logs/wire.js'
import {waitFor} from '../../helpers/wait-for.js'
import {FakeClock, ManualScheduler} from './helpers.js'

const TS = '2026-11-27T11:15:41.123456+00:00'

class FakeTarget extends EventEmitter {
  chunks: string[] = []
  ended = 0
  full = false

  write(chunk: string): boolean {
    this.chunks.push(chunk)
    return !this.full
  }

  end(): void {
    this.ended++
  }

  get text(): string {
    return this.chunks.join('')
  }
}

function manualTimers() {
  const tasks = new Map<number, () => void>()
  let next = 1
  return {
    tasks,
    setInterval: (task: () => void) => {
      tasks.set(next, task)
      return next++
    },
    clearInterval: (handle: unknown) => {
      tasks.delete(handle as number)
    },
    tick: () => {
      for (const task of tasks.values()) task()
    },
  }
}

describe('logs/stream-session', () => {
  function setup(options: {queueLines?: number} = {}) {
    const scheduler = new ManualScheduler()
    const router = new LogRouter({now: new FakeClock().now, schedule: scheduler.schedule, ...options})
    return {scheduler, router}
  }

  it('sends the backlog as SSE events and ends without tail', async () => {
    const {router, scheduler} = setup()
    router.write('shop', {source: 'app', dyno: 'web.1', message: 'a'})
    router.write('shop', {source: 'app', dyno: 'web.2', message: 'b'})
    const target = new FakeTarget()
    const session = new StreamSession(target, {router, appId: 'shop', subscribe: {lines: 10, tail: false}, format: 'sse'})
    scheduler.run()
    await session.done
    // One batch, one event: a data field per line and the id of the last.
    assert.equal(target.text, `id: 2\ndata: ${TS} app[web.1]: a\ndata: ${TS} app[web.2]: b\n\n`)
    assert.equal(target.ended, 1)
    assert.equal(target.listenerCount('drain') + target.listenerCount('close') + target.listenerCount('error'), 0)
  })

  it('sends plain text, one line per \\n, and follows the tail', () => {
    const {router, scheduler} = setup()
    const target = new FakeTarget()
    new StreamSession(target, {router, appId: 'shop', subscribe: {tail: true}, format: 'text'})
    router.write('shop', {source: 'app', dyno: 'web.1', message: 'one\ntwo'})
    scheduler.run()
    assert.equal(target.text, `${TS} app[web.1]: one\n${TS} app[web.1]: two\n`)
    assert.equal(target.ended, 0)
  })

  it('pauses while the target is full and resumes on drain', () => {
    const {router, scheduler} = setup()
    const target = new FakeTarget()
    target.full = true
    const session = new StreamSession(target, {router, appId: 'shop', subscribe: {tail: true}, format: 'text'})
    router.write('shop', {source: 'app', dyno: 'web.1', message: 'one'})
    scheduler.run()
    router.write('shop', {source: 'app', dyno: 'web.1', message: 'two'})
    scheduler.run()
    assert.equal(target.chunks.length, 1)
    assert.deepEqual(session.subscription.stats(), {delivered: 1, dropped: 0, queued: 1})
    target.full = false
    target.emit('drain')
    scheduler.run()
    assert.equal(target.text, `${TS} app[web.1]: one\n${TS} app[web.1]: two\n`)
  })

  it('unsubscribes when the client goes away', async () => {
    const {router} = setup()
    const target = new FakeTarget()
    const session = new StreamSession(target, {router, appId: 'shop', subscribe: {tail: true}, format: 'sse'})
    assert.equal(router.stats().subscribers, 1)
    target.emit('close')
    await session.done
    assert.equal(router.stats().subscribers, 0)
    assert.equal(session.subscription.closed, true)
    assert.equal(target.ended, 0)
  })

  it('sends SSE keep-alive comments on its timer, not while the target is full, and stops them at the end', () => {
    const {router, scheduler} = setup()
    const timers = manualTimers()
    const target = new FakeTarget()
    const session = new StreamSession(target, {router, appId: 'shop', subscribe: {tail: true}, format: 'sse', keepAliveMs: 1000, ...timers})
    timers.tick()
    assert.deepEqual(target.chunks, [':\n\n'])
    target.full = true
    router.write('shop', {source: 'app', dyno: 'web.1', message: 'x'})
    scheduler.run()
    timers.tick()
    assert.equal(target.chunks.length, 2)
    session.close()
    assert.equal(timers.tasks.size, 0)
    assert.equal(target.ended, 1)
  })

  it('sends no keep-alives for plain text or a session without tail', () => {
    const {router} = setup()
    const timers = manualTimers()
    new StreamSession(new FakeTarget(), {router, appId: 'shop', subscribe: {tail: true}, format: 'text', ...timers})
    new StreamSession(new FakeTarget(), {router, appId: 'shop', subscribe: {tail: false}, format: 'sse', ...timers})
    assert.equal(timers.tasks.size, 0)
  })

  it('survives a scheduler that delivers inside subscribe()', async () => {
    const router = new LogRouter({schedule: (task) => task()})
    const target = new FakeTarget()
    const session = new StreamSession(target, {router, appId: 'shop', subscribe: {tail: false}, format: 'sse'})
    await session.done
    assert.equal(target.ended, 1)
  })

  describe('over real HTTP', () => {
    let server: Server | undefined
    let router: LogRouter | undefined
    const requests: ClientRequest[] = []
    const sockets: Socket[] = []
    const sessions: StreamSession[] = []

    afterEach(async () => {
      for (const req of requests.splice(0)) req.destroy()
      for (const socket of sockets.splice(0)) socket.destroy()
      for (const session of sessions.splice(0)) session.close()
      await router?.close()
      if (server) {
        server.closeAllConnections()
        await new Promise((resolve) => server?.close(resolve))
      }
      server = undefined
      router = undefined
    })

    async function serve(logs: LogRouter): Promise<string> {
      server = createServer((req, res) => {
        const format = chooseFormat(req.headers.accept)
        res.writeHead(200, format === 'sse' ? SSE_HEADERS : TEXT_HEADERS)
        // The session flushes the headers itself (a quiet tail must still start).
        const afterId = parseLastEventId(req.headers['last-event-id'])
        sessions.push(new StreamSession(res, {router: logs, appId: 'shop', format, subscribe: {tail: true, afterId}}))
      })
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    }

    function get(url: string, accept: string): Promise<IncomingMessage> {
      return new Promise((resolve, reject) => {
        const req = request(url, {headers: {accept}}, resolve)
        req.on('error', reject)
        req.end()
        requests.push(req)
      })
    }

    /** An HTTP/1.0 GET on a raw socket (no chunked body), paused as soon as the head is in. */
    function rawGet(url: string, accept: string): Promise<{socket: Socket; rest: string}> {
      const {hostname, port} = new URL(url)
      return new Promise((resolve, reject) => {
        const socket = connect(Number(port), hostname)
        sockets.push(socket)
        socket.on('error', reject)
        socket.write(`GET / HTTP/1.0\r\nHost: ${hostname}\r\nAccept: ${accept}\r\n\r\n`)
        let head = ''
        const onData = (chunk: Buffer): void => {
          head += chunk.toString('utf8')
          const end = head.indexOf('\r\n\r\n')
          if (end === -1) return
          socket.pause()
          socket.off('data', onData)
          resolve({socket, rest: head.slice(end + 4)})
        }
        socket.on('data', onData)
      })
    }

    it('a paused reader gets the L10 line and then fresh lines, while a fast reader gets every line', async function () {
      // Generous: how much the kernel buffers for the paused socket varies, and a loaded machine is slow.
      this.timeout(180_000)
      const logs = new LogRouter({queueLines: 500})
      router = logs
      const url = await serve(logs)

      // The fast reader parses SSE as it comes: events of one or more lines, each with the id of
      // its last line (every line here is numbered as its id is).
      const fast = await get(url, 'text/event-stream')
      assert.equal(fast.headers['content-type'], 'text/event-stream; charset=utf-8')
      const fastIds: number[] = []
      let fastNotices = 0
      let buffer = ''
      fast.setEncoding('utf8')
      fast.on('data', (chunk: string) => {
        buffer += chunk
        let end = buffer.indexOf('\n\n')
        while (end !== -1) {
          const event = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const numbers = [...event.matchAll(/^data: .*: line (\d+) /gm)].map((match) => Number(match[1]))
          fastNotices += [...event.matchAll(/^data: .*tug\[logplex\]/gm)].length
          const id = /^id: (\d+)$/m.exec(event)
          if (numbers.length > 0) assert.equal(Number(id?.[1]), numbers.at(-1), `an event's id is its last line's: ${event.slice(0, 200)}`)
          fastIds.push(...numbers)
          end = buffer.indexOf('\n\n')
        }
      })

      // The slow reader takes plain text and stops reading at once. A raw socket, not http.request:
      // nock (loaded by the command tests in the same mocha run) wraps http.request and reads the
      // whole response itself, so pausing its response would not stop the socket.
      const slow = await rawGet(url, 'text/plain')
      let slowText = slow.rest
      await waitFor(() => sessions.length === 2, {what: 'both sessions'})
      const slowSession = sessions[1]
      assert.ok(slowSession)

      const padding = 'p'.repeat(4000)
      let written = 0
      const writeBatch = async (count: number): Promise<void> => {
        for (let i = 0; i < count; i++) {
          written++
          logs.write('shop', {source: 'app', dyno: `web.${(written % 3) + 1}`, message: `line ${written} ${padding}`})
        }
        // The fast reader keeps up before the next batch, so only the slow one ever overflows.
        await waitFor(() => fastIds.length === written, {what: `the fast reader to reach line ${written}`})
      }
      const deadline = Date.now() + 150_000
      while (slowSession.subscription.stats().dropped === 0) {
        if (Date.now() > deadline) throw new Error('the slow reader never overflowed')
        await writeBatch(200)
      }
      await writeBatch(200)

      // Now the slow reader reads everything it is given.
      slow.socket.setEncoding('utf8')
      slow.socket.on('data', (chunk: string) => {
        slowText += chunk
      })
      slow.socket.resume()
      await waitFor(() => slowText.includes('Error L10'), {what: 'the L10 line'})
      await yieldToLoop()
      await writeBatch(5)
      await waitFor(() => slowText.includes(`line ${written} `), {what: 'fresh lines after the notice'})

      const slowLines = slowText.split('\n').slice(0, -1)
      const noticeAt = slowLines.findIndex((text) => text.includes('Error L10'))
      const numbers = (texts: string[]) => texts.map((text) => Number(/: line (\d+) /.exec(text)?.[1]))
      const before = numbers(slowLines.slice(0, noticeAt))
      const after = numbers(slowLines.slice(noticeAt + 1))
      const notice = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 tug\[logplex\]: Error L10 \(output buffer overflow\): (\d+) messages dropped since (\S+)$/.exec(slowLines[noticeAt] ?? '')
      assert.ok(notice, `a notice line: ${slowLines[noticeAt]}`)
      const dropped = Number(notice[1])
      assert.equal(slowLines.filter((text) => text.includes('Error L10')).length, 1)
      assert.deepEqual(before, Array.from({length: before.length}, (_, i) => i + 1))
      assert.deepEqual(after, Array.from({length: after.length}, (_, i) => before.length + dropped + 1 + i))
      assert.equal(before.length + dropped + after.length, written)
      assert.equal(slowSession.subscription.stats().dropped, dropped)
      assert.ok(dropped > 0)

      assert.deepEqual(fastIds, Array.from({length: written}, (_, i) => i + 1))
      assert.equal(fastNotices, 0)
    })

    it('resumes from Last-Event-ID with nothing lost or repeated', async () => {
      const logs = new LogRouter()
      router = logs
      for (let i = 1; i <= 5; i++) logs.write('shop', {source: 'app', dyno: 'web.1', message: `m${i}`})
      const url = await serve(logs)
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = request(url, {headers: {accept: 'text/event-stream', 'last-event-id': '3'}}, resolve)
        req.on('error', reject)
        req.end()
        requests.push(req)
      })
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        text += chunk
      })
      await waitFor(() => text.includes('id: 5\n'), {what: 'the backlog'})
      logs.write('shop', {source: 'app', dyno: 'web.1', message: 'm6'})
      await waitFor(() => text.includes('id: 6\n'), {what: 'the live line'})
      // The backlog is one event (id 5, its last line's), the live line another.
      assert.deepEqual([...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1])), [5, 6])
      assert.deepEqual([...text.matchAll(/^data: .*: (m\d+)$/gm)].map((m) => m[1]), ['m4', 'm5', 'm6'])
    })
  })
})
