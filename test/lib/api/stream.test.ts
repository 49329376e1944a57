import assert from 'node:assert/strict'
import http from 'node:http'
import type {AddressInfo} from 'node:net'

import nock from 'nock'

import {MAX_RECONNECTS, SseParser, readLogBatches, readLogStream} from '../../../src/lib/api/stream.js'
import type {ReadLogStreamOptions, StreamLine} from '../../../src/lib/api/stream.js'
import {ApiError, NetworkError} from '../../../src/lib/errors.js'
import {waitFor} from '../../helpers/wait-for.js'

async function collect(iterable: AsyncIterable<StreamLine>): Promise<StreamLine[]> {
  const lines: StreamLine[] = []
  for await (const line of iterable) lines.push(line)
  return lines
}

async function rejects<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`)
    return error
  }
  assert.fail(`expected ${type.name}, but it resolved`)
}

describe('log stream', () => {
  describe('SseParser', () => {
    it('parses ids, comments, multi-line data and the default event type', () => {
      const parser = new SseParser()
      const events = parser.push(': keep-alive\n\nid: 1\ndata: first\n\nid: 2\ndata: a\ndata:b\ndata\n\n')
      assert.deepEqual(events, [
        {type: 'message', data: 'first', lastEventId: '1'},
        {type: 'message', data: 'a\nb\n', lastEventId: '2'},
      ])
      assert.equal(parser.lastEventId, '2')
    })

    it('accepts CRLF and CR line ends, even split across chunks, and a leading BOM', () => {
      const parser = new SseParser()
      const events = [
        ...parser.push('\uFEFFid: 7\r'),
        ...parser.push('\ndata: x\r\n\r'),
        ...parser.push('\ndata: y\r\r'),
        ...parser.push('data: z\n\n'),
      ]
      assert.deepEqual(events, [
        {type: 'message', data: 'x', lastEventId: '7'},
        {type: 'message', data: 'y', lastEventId: '7'},
        {type: 'message', data: 'z', lastEventId: '7'},
      ])
    })

    it('keeps one leading space only out of the value, and reads event and retry', () => {
      const parser = new SseParser()
      const events = parser.push('event: build\ndata:   indented\nretry: 2500\nretry: soon\n\n')
      assert.deepEqual(events, [{type: 'build', data: '  indented', lastEventId: ''}])
      assert.equal(parser.retryMs, 2500)
    })

    it('gives an event\'s data fields as its lines with pushLines, across chunks', () => {
      const parser = new SseParser()
      const events = [...parser.pushLines('id: 9\ndata: one\nda'), ...parser.pushLines('ta: two\ndata:three\ndata\n\ndata: x\r\n'), ...parser.pushLines('\r\n')]
      assert.deepEqual(events, [
        {type: 'message', lines: ['one', 'two', 'three', ''], lastEventId: '9'},
        {type: 'message', lines: ['x'], lastEventId: '9'},
      ])
      assert.deepEqual(parser.pushLines(': only a comment\n\n'), [])
      assert.deepEqual(parser.endLines(), [])
    })

    it('drops an event cut off by the end of the stream, and dispatches nothing for an id alone', () => {
      const parser = new SseParser()
      assert.deepEqual(parser.push('id: 3\n\nid: 4\ndata: partial'), [])
      assert.equal(parser.lastEventId, '3')
      assert.deepEqual(parser.end(), [])
      assert.equal(parser.lastEventId, '3')
    })
  })

  describe('readLogStream with nock', () => {
    const LOGS = 'http://logs.tug.test'
    before(() => nock.disableNetConnect())
    afterEach(() => nock.cleanAll())
    after(() => nock.enableNetConnect())

    it('reads SSE lines with their ids, sends no Authorization, and ends with the response', async () => {
      let headers: http.IncomingHttpHeaders = {}
      nock(LOGS)
        .get('/sessions/abc')
        .query({tail: 'false'})
        .reply(function (this: nock.ReplyFnContext) {
          headers = {...this.req.headers}
          return [200, ': hello\n\nid: 41\ndata: 2026-11-27T11:15:41.123456+00:00 app[web.1]: one\n\nid: 42\ndata: line a\ndata: line b\n\n', {'Content-Type': 'text/event-stream'}]
        })
      const lines = await collect(readLogStream(`${LOGS}/sessions/abc?tail=false`, {tail: false}))
      assert.deepEqual(lines, [
        {id: '41', line: '2026-11-27T11:15:41.123456+00:00 app[web.1]: one'},
        {id: '42', line: 'line a'},
        {id: '42', line: 'line b'},
      ])
      assert.equal(headers.accept, 'text/event-stream')
      assert.equal(headers.authorization, undefined)
      assert.equal(headers['last-event-id'], undefined)
    })

    it('gives the lines in batches, each line of a many-line event with the event\'s id', async () => {
      nock(LOGS).get('/b').reply(200, 'id: 3\ndata: a\ndata: b\ndata: c\n\ndata: notice\n\nid: 4\ndata: d\n\n', {'Content-Type': 'text/event-stream'})
      const batches: unknown[] = []
      for await (const batch of readLogBatches(`${LOGS}/b`, {tail: false})) batches.push(batch)
      assert.ok(batches.length > 0 && batches.every((batch) => Array.isArray(batch) && batch.length > 0))
      // A notice (no id of its own) carries the id in effect, as EventSource gives it.
      assert.deepEqual(batches.flat(), [
        {id: '3', line: 'a'},
        {id: '3', line: 'b'},
        {id: '3', line: 'c'},
        {id: '3', line: 'notice'},
        {id: '4', line: 'd'},
      ])
    })

    it('drops a byte order mark at the start of the stream, and only there', async () => {
      nock(LOGS).get('/bom').reply(200, Buffer.from('\uFEFFfirst \u20ac\n\uFEFFsecond\n'), {'Content-Type': 'text/plain; charset=utf-8'})
      assert.deepEqual(await collect(readLogStream(`${LOGS}/bom`, {tail: false})), [{line: 'first \u20ac'}, {line: '\uFEFFsecond'}])
    })

    it('reads text/plain one line per newline', async () => {
      nock(LOGS).get('/s').reply(200, 'first\r\nsecond\n\nlast', {'Content-Type': 'text/plain; charset=utf-8'})
      const lines = await collect(readLogStream(`${LOGS}/s`, {tail: false}))
      assert.deepEqual(lines, [{line: 'first'}, {line: 'second'}, {line: ''}, {line: 'last'}])
    })

    it('resumes from a given last event id on the first request', async () => {
      nock(LOGS, {reqheaders: {'last-event-id': '99'}}).get('/s').reply(200, 'id: 100\ndata: next\n\n', {'Content-Type': 'text/event-stream'})
      assert.deepEqual(await collect(readLogStream(`${LOGS}/s`, {tail: false, lastEventId: '99'})), [{id: '100', line: 'next'}])
    })

    it('says the stream timed out on a 404 or 403', async () => {
      nock(LOGS).get('/gone').reply(404, {id: 'not_found', message: 'no such session'}).get('/forbidden').reply(403, '')
      for (const path of ['/gone', '/forbidden']) {
        const error = await rejects(collect(readLogStream(`${LOGS}${path}`, {tail: false})), ApiError)
        assert.equal(error.message, 'Log stream timed out. Please try again.')
      }
    })

    it("carries a server error's message when not tailing", async () => {
      nock(LOGS).get('/s').reply(500, {id: 'internal_server_error', message: 'router exploded'})
      const error = await rejects(collect(readLogStream(`${LOGS}/s`, {tail: false})), ApiError)
      assert.equal(error.status, 500)
      assert.equal(error.message, 'router exploded')
    })

    it('fails with a NetworkError naming the host when not tailing', async () => {
      nock(LOGS).get('/s').replyWithError({code: 'ECONNREFUSED', message: 'connect ECONNREFUSED'})
      const error = await rejects(collect(readLogStream(`${LOGS}/s`, {tail: false})), NetworkError)
      assert.equal(error.message, 'Could not read the log stream from http://logs.tug.test: connection refused (ECONNREFUSED)')
    })

    it('reconnects a tail stream that ended, with the last id, and stops on the 404 of an expired session', async () => {
      const seenIds: Array<string | undefined> = []
      const record = function (this: nock.ReplyFnContext, _uri: string, _body: nock.Body, body: string, status = 200): [number, string, Record<string, string>] {
        const id = this.req.headers['last-event-id']
        seenIds.push(Array.isArray(id) ? id.join(',') : id)
        return [status, body, {'Content-Type': 'text/event-stream'}]
      }
      nock(LOGS)
        .get('/t').reply(function (uri, body) {
          return record.call(this, uri, body, 'id: 1\ndata: one\n\nid: 2\ndata: two\n\n')
        })
        .get('/t').reply(function (uri, body) {
          return record.call(this, uri, body, 'id: 3\ndata: three\n\n')
        })
        .get('/t').reply(function (uri, body) {
          return record.call(this, uri, body, '', 404)
        })
      const waits: number[] = []
      const reconnects: Array<string | undefined> = []
      const lines: StreamLine[] = []
      const options: ReadLogStreamOptions = {tail: true, sleep: async (ms) => void waits.push(ms), onReconnect: (id) => reconnects.push(id)}
      const error = await rejects(
        (async () => {
          for await (const line of readLogStream(`${LOGS}/t`, options)) lines.push(line)
        })(),
        ApiError,
      )
      assert.equal(error.message, 'Log stream timed out. Please try again.')
      assert.deepEqual(lines, [{id: '1', line: 'one'}, {id: '2', line: 'two'}, {id: '3', line: 'three'}])
      assert.deepEqual(seenIds, [undefined, '2', '3'])
      assert.deepEqual(reconnects, ['2', '3'])
      assert.deepEqual(waits, [1000, 1000])
    })

    it('renews a tail that cannot resume (plain text, no ids) instead of reading the same URL again, and says so each time', async () => {
      const text = {'Content-Type': 'text/plain'}
      nock(LOGS).get('/first').reply(200, 'old 1\nold 2\n', text)
      nock(LOGS).get('/fresh-1').reply(200, 'new 3\n', text)
      nock(LOGS).get('/fresh-2').reply(404, 'gone')
      const urls = [`${LOGS}/fresh-1`, `${LOGS}/fresh-2`]
      let renewals = 0
      let gaps = 0
      const options: ReadLogStreamOptions = {
        tail: true,
        sleep: async () => undefined,
        renew: async () => {
          renewals++
          // A failed POST (a connection reset) is a failed reconnect: it is tried again.
          if (renewals === 2) throw new NetworkError('connection reset')
          return urls.shift() as string
        },
        onGap: () => void gaps++,
      }
      const lines: StreamLine[] = []
      await rejects(
        (async () => {
          for await (const line of readLogStream(`${LOGS}/first`, options)) lines.push(line)
        })(),
        ApiError,
      )
      assert.deepEqual(lines, [{line: 'old 1'}, {line: 'old 2'}, {line: 'new 3'}])
      assert.equal(renewals, 3)
      assert.equal(gaps, 2)
    })

    it('reconnects an SSE tail with ids to the same URL, never renewing', async () => {
      nock(LOGS).get('/t').reply(200, 'id: 5\ndata: five\n\n', {'Content-Type': 'text/event-stream'})
      nock(LOGS, {reqheaders: {'last-event-id': '5'}}).get('/t').reply(404, 'gone')
      let renewals = 0
      const lines: StreamLine[] = []
      await rejects(
        (async () => {
          for await (const line of readLogStream(`${LOGS}/t`, {tail: true, sleep: async () => undefined, renew: async () => String(++renewals)})) lines.push(line)
        })(),
        ApiError,
      )
      assert.deepEqual(lines, [{id: '5', line: 'five'}])
      assert.equal(renewals, 0)
    })

    it('skips the replay of a server that ignores Last-Event-ID, then renews rather than resuming there again', async () => {
      const sse = {'Content-Type': 'text/event-stream'}
      nock(LOGS).get('/t').reply(200, 'id: 1\ndata: one\n\nid: 2\ndata: two\n\n', sse)
      // Asked to resume after 2, it starts from the beginning of its history again.
      nock(LOGS, {reqheaders: {'last-event-id': '2'}}).get('/t').reply(200, 'id: 1\ndata: one\n\nid: 2\ndata: two\n\nid: 3\ndata: three\n\n', sse)
      nock(LOGS).get('/fresh').reply(404, 'gone')
      let renewals = 0
      let gaps = 0
      const lines: StreamLine[] = []
      const options: ReadLogStreamOptions = {tail: true, sleep: async () => undefined, renew: async () => `${LOGS}/fresh${renewals++ === 0 ? '' : '-again'}`, onGap: () => void gaps++}
      await rejects(
        (async () => {
          for await (const line of readLogStream(`${LOGS}/t`, options)) lines.push(line)
        })(),
        ApiError,
      )
      assert.deepEqual(lines, [{id: '1', line: 'one'}, {id: '2', line: 'two'}, {id: '3', line: 'three'}])
      assert.equal(renewals, 1)
      assert.equal(gaps, 1)
    })

    it('does not renew a tail that has read nothing yet (nothing could repeat)', async () => {
      nock(LOGS).get('/quiet').reply(200, '', {'Content-Type': 'text/plain'})
      nock(LOGS).get('/quiet').reply(404, 'gone')
      let renewals = 0
      await rejects(collect(readLogStream(`${LOGS}/quiet`, {tail: true, sleep: async () => undefined, renew: async () => String(++renewals)})), ApiError)
      assert.equal(renewals, 0)
    })

    it('stops renewing on an API error that is not transient', async () => {
      nock(LOGS).get('/first').reply(200, 'a\n', {'Content-Type': 'text/plain'})
      const refused = new ApiError({status: 403, id: 'forbidden', message: 'no access'})
      const error = await rejects(
        collect(readLogStream(`${LOGS}/first`, {tail: true, sleep: async () => undefined, renew: async () => Promise.reject(refused)})),
        ApiError,
      )
      assert.equal(error, refused)
    })

    it('gives up a tail after a bounded number of failed reconnects, backing off', async () => {
      nock(LOGS).get('/t').times(MAX_RECONNECTS + 1).replyWithError({code: 'ECONNREFUSED', message: 'connect ECONNREFUSED'})
      const waits: number[] = []
      const error = await rejects(collect(readLogStream(`${LOGS}/t`, {tail: true, sleep: async (ms) => void waits.push(ms)})), NetworkError)
      assert.equal(error.message, `The log stream from http://logs.tug.test dropped and could not be resumed after ${MAX_RECONNECTS} attempts: connection refused (ECONNREFUSED)`)
      assert.deepEqual(waits, [1000, 2000, 4000, 8000, 15000, 15000, 15000, 15000])
    })
  })

  describe('readLogStream against a real server', () => {
    let server: http.Server | undefined
    before(() => {
      nock.disableNetConnect()
      nock.enableNetConnect('127.0.0.1')
    })
    after(() => nock.enableNetConnect())
    afterEach(async () => {
      if (server) {
        server.closeAllConnections()
        await new Promise<void>((resolve) => server!.close(() => resolve()))
      }
      server = undefined
    })

    async function listen(handler: http.RequestListener): Promise<string> {
      server = http.createServer(handler)
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    }

    it('resumes a dropped tail with the right Last-Event-ID, then ends on a 404', async () => {
      const requests: Array<string | undefined> = []
      const url = await listen((req, res) => {
        const id = req.headers['last-event-id']
        requests.push(Array.isArray(id) ? id.join(',') : id)
        if (requests.length === 3) {
          res.writeHead(404, {'Content-Type': 'application/json'}).end('{"id":"not_found","message":"gone"}')
          return
        }
        res.writeHead(200, {'Content-Type': 'text/event-stream'})
        if (requests.length === 1) {
          // Two events, then the connection dies mid-event: a drop, not an orderly end.
          res.write('id: 10\ndata: ten\n\nid: 11\ndata: eleven\n\nid: 12\ndata: cut of', () => setTimeout(() => res.socket?.destroy(), 20))
        } else {
          res.end(': ping\n\nid: 12\ndata: twelve\n\n')
        }
      })
      const waits: number[] = []
      const reconnects: Array<string | undefined> = []
      const lines: StreamLine[] = []
      const error = await rejects(
        (async () => {
          for await (const line of readLogStream(`${url}/sessions/x?tail=true`, {tail: true, sleep: async (ms) => void waits.push(ms), onReconnect: (id) => reconnects.push(id)})) {
            lines.push(line)
          }
        })(),
        ApiError,
      )
      assert.equal(error.status, 404)
      assert.equal(error.message, 'Log stream timed out. Please try again.')
      assert.deepEqual(lines, [{id: '10', line: 'ten'}, {id: '11', line: 'eleven'}, {id: '12', line: 'twelve'}])
      assert.deepEqual(requests, [undefined, '11', '12'])
      assert.deepEqual(reconnects, ['11', '12'])
      assert.deepEqual(waits, [1000, 1000])
    })

    it('ends quietly when the signal aborts, and closes the connection', async () => {
      let closed = false
      const url = await listen((req, res) => {
        res.writeHead(200, {'Content-Type': 'text/event-stream'})
        res.write('id: 1\ndata: hello\n\n')
        req.socket.on('close', () => {
          closed = true
        })
      })
      const controller = new AbortController()
      const lines: StreamLine[] = []
      for await (const line of readLogStream(url, {tail: true, signal: controller.signal})) {
        lines.push(line)
        controller.abort()
      }
      assert.deepEqual(lines, [{id: '1', line: 'hello'}])
      await waitFor(() => closed, {what: 'the server to see the connection close'})
    })

    it('releases the connection when the reader stops early', async () => {
      let closed = false
      const url = await listen((req, res) => {
        res.writeHead(200, {'Content-Type': 'text/plain'})
        res.write('a\nb\nc\n')
        req.socket.on('close', () => {
          closed = true
        })
      })
      const lines: StreamLine[] = []
      for await (const line of readLogStream(url, {tail: true})) {
        lines.push(line)
        if (lines.length === 2) break
      }
      assert.deepEqual(lines, [{line: 'a'}, {line: 'b'}])
      await waitFor(() => closed, {what: 'the server to see the connection close'})
    })
  })
})
