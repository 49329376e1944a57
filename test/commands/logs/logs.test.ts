import assert from 'node:assert/strict'
import {Writable} from 'node:stream'
import nock from 'nock'

import Logs from '../../../src/commands/logs.js'
import {GAP_NOTICE} from '../../../src/lib/logs/display.js'
import {stripAnsi} from '../../../src/lib/cli/styled.js'
import {API, runCommand, useNock} from '../../helpers/capture.js'

const LOGS = 'http://logs.test'
const session = (id = 'sess-1') => ({
  created_at: '2026-11-27T11:15:29Z',
  id: '00000000-0000-0000-0000-0000000000f1',
  logplex_url: `${LOGS}/sessions/${id}`,
  updated_at: '2026-11-27T11:15:29Z',
})

const L1 = '2026-11-27T11:15:41.123456+00:00 app[web.1]: GET / 200'
const L2 = '2026-11-27T11:15:42.000001+00:00 tug[web.1]: State changed from starting to up'

describe('logs', () => {
  useNock()

  it('creates a session with lines=100 and prints the SSE stream, with no Authorization on the stream', async () => {
    nock(API).post('/apps/shop/log-sessions', {lines: 100, tail: false}).reply(201, session())
    // tug's own frames first, then SSE (all a Heroku-style server answers).
    nock(LOGS, {badheaders: ['authorization'], reqheaders: {accept: 'application/vnd.tug.log-frames, text/event-stream;q=0.9'}})
      .get('/sessions/sess-1')
      .reply(200, `id: 1\ndata: ${L1}\n\nid: 2\ndata: ${L2}\n\n`, {'Content-Type': 'text/event-stream'})
    const result = await runCommand(Logs, ['-a', 'shop'])
    assert.equal(result.stdout, `${L1}\n${L2}\n`)
    assert.equal(result.stderr, '')
    assert.equal(result.code, 0)
  })

  it('prints a frames stream as it comes, and reads lines for --json', async () => {
    const body = `${L1}\n${L2}\n`
    const frames = `1 1 ${L1.length + 1}\n${L1}\n- 0 0\n2 1 ${L2.length + 1}\n${L2}\n`
    nock(API).post('/apps/shop/log-sessions', {lines: 100, tail: false}).reply(201, session())
    nock(LOGS, {badheaders: ['authorization']}).get('/sessions/sess-1').reply(200, frames, {'Content-Type': 'application/vnd.tug.log-frames'})
    const result = await runCommand(Logs, ['-a', 'shop'])
    assert.equal(result.stdout, body)
    assert.equal(result.code, 0)
    // JSON needs lines: it asks for SSE alone.
    nock(API).post('/apps/shop/log-sessions', {lines: 100, tail: false}).reply(201, session())
    nock(LOGS, {reqheaders: {accept: 'text/event-stream'}}).get('/sessions/sess-1').reply(200, `id: 2\ndata: ${L2}\n\n`, {'Content-Type': 'text/event-stream'})
    const json = await runCommand(Logs, ['-a', 'shop', '--json'])
    assert.equal(JSON.parse(json.stdout).message, 'State changed from starting to up')
  })

  it('passes the dyno, source and number filters to the session (the server filters before counting)', async () => {
    nock(API).post('/apps/shop/log-sessions', {lines: 5, tail: false, dyno: 'web.1', source: 'app'}).reply(201, session())
    nock(LOGS).get('/sessions/sess-1').reply(200, `${L1}\n`, {'Content-Type': 'text/plain; charset=utf-8'})
    const result = await runCommand(Logs, ['-a', 'shop', '-n', '5', '-d', 'web.1', '-s', 'app'])
    assert.equal(result.stdout, `${L1}\n`)
  })

  it('sends --type as the dyno prefix filter and --tail as tail', async () => {
    nock(API).post('/apps/shop/log-sessions', {lines: 100, tail: true, dyno: 'worker'}).reply(201, session())
    nock(LOGS).get('/sessions/sess-1').reply(200, `id: 1\ndata: ${L1}\n\n`, {'Content-Type': 'text/event-stream'})
    nock(LOGS).get('/sessions/sess-1').reply(404, 'gone')
    const result = await runCommand(Logs, ['-a', 'shop', '--type', 'worker', '--tail'])
    assert.equal(result.stdout, `${L1}\n`)
    assert.equal(result.code, 1)
    assert.match(result.stderr, /Log stream timed out/)
  })

  it('--tail reconnects after a dropped connection and resumes from the last event id', async () => {
    nock(API).post('/apps/shop/log-sessions', {lines: 100, tail: true}).reply(201, session())
    nock(LOGS).get('/sessions/sess-1').reply(200, `id: 41\ndata: ${L1}\n\n`, {'Content-Type': 'text/event-stream'})
    nock(LOGS, {reqheaders: {'last-event-id': '41'}}).get('/sessions/sess-1').reply(200, `id: 42\ndata: ${L2}\n\n`, {'Content-Type': 'text/event-stream'})
    nock(LOGS, {reqheaders: {'last-event-id': '42'}}).get('/sessions/sess-1').reply(403, 'expired')
    const result = await runCommand(Logs, ['-a', 'shop', '-t'])
    assert.equal(result.stdout, `${L1}\n${L2}\n`)
    assert.equal(result.stderr, 'Error: Log stream timed out. Please try again.\n')
    assert.equal(result.code, 1)
  })

  it("--tail against a Heroku-like plain-text logplex that closes the stream: a new session without history each time, no line twice, one notice", async () => {
    const L3 = '2026-11-27T11:15:43.000001+00:00 app[web.1]: GET /again 200'
    const text = {'Content-Type': 'text/plain; charset=utf-8'}
    nock(API).post('/apps/shop/log-sessions', {lines: 2, tail: true}).reply(201, session('sess-1'))
    // The same URL would replay its history, as logplex does: reconnecting there must not happen.
    nock(LOGS).get('/sessions/sess-1').reply(200, `${L1}\n${L2}\n`, text)
    nock(API).post('/apps/shop/log-sessions', {lines: 0, tail: true}).reply(201, session('sess-2'))
    nock(LOGS).get('/sessions/sess-2').reply(200, `${L3}\n`, text)
    nock(API).post('/apps/shop/log-sessions', {lines: 0, tail: true}).reply(201, session('sess-3'))
    nock(LOGS).get('/sessions/sess-3').reply(404, 'gone')
    const result = await runCommand(Logs, ['-a', 'shop', '-t', '-n', '2'])
    assert.equal(result.stdout, `${L1}\n${L2}\n${L3}\n`)
    assert.equal(result.stderr, `${GAP_NOTICE}\nError: Log stream timed out. Please try again.\n`)
    assert.equal(result.code, 1)
  })

  it('-n 2 prints the last two lines when the server sends more history than asked', async () => {
    const L0 = '2026-11-27T11:15:40.000001+00:00 app[web.1]: an older line'
    nock(API).post('/apps/shop/log-sessions', {lines: 2, tail: false}).reply(201, session())
    nock(LOGS).get('/sessions/sess-1').reply(200, `${L0}\n${L1}\n${L2}\n`, {'Content-Type': 'text/plain; charset=utf-8'})
    const result = await runCommand(Logs, ['-a', 'shop', '-n', '2'])
    assert.equal(result.stdout, `${L1}\n${L2}\n`)
    assert.equal(result.code, 0)
  })

  it('-n 0 prints nothing, even from a server that sends lines', async () => {
    nock(API).post('/apps/shop/log-sessions', {lines: 0, tail: false}).reply(201, session())
    nock(LOGS).get('/sessions/sess-1').reply(200, `${L1}\n`, {'Content-Type': 'text/plain; charset=utf-8'})
    const result = await runCommand(Logs, ['-a', 'shop', '-n', '0'])
    assert.equal(result.stdout, '')
    assert.equal(result.code, 0)
  })

  it('accepts -n up to the 10,000 lines the control plane keeps, and refuses more before any request', async () => {
    nock(API).post('/apps/shop/log-sessions', {lines: 10_000, tail: false}).reply(201, session())
    nock(LOGS).get('/sessions/sess-1').reply(200, `${L1}\n`, {'Content-Type': 'text/plain; charset=utf-8'})
    const most = await runCommand(Logs, ['-a', 'shop', '-n', '10000'])
    assert.equal(most.stdout, `${L1}\n`)
    assert.equal(most.code, 0)
    const over = await runCommand(Logs, ['-a', 'shop', '-n', '10001'])
    assert.equal(over.code, 2)
    assert.match(over.stderr, /10000/)
  })

  it("a server that refuses -n (Heroku caps lines at 1500) shows its message and suggests its limit", async () => {
    nock(API).post('/apps/shop/log-sessions', {lines: 6000, tail: false}).reply(422, {id: 'invalid_params', message: 'lines must be less than or equal to 1500'})
    const result = await runCommand(Logs, ['-a', 'shop', '-n', '6000'])
    assert.equal(result.stdout, '')
    assert.equal(result.stderr, 'Error: lines must be less than or equal to 1500\nThis server refused 6000 lines: ask for at most 1500 with -n 1500.\n')
    assert.equal(result.code, 1)
  })

  it('colourises on a terminal only', async () => {
    nock(API).post('/apps/shop/log-sessions').reply(201, session())
    nock(LOGS).get('/sessions/sess-1').reply(200, `data: ${L1}\n\n`, {'Content-Type': 'text/event-stream'})
    const result = await runCommand(Logs, ['-a', 'shop'], {tty: {stdout: true}})
    assert.notEqual(result.stdout, `${L1}\n`)
    assert.equal(stripAnsi(result.stdout), `${L1}\n`)
  })

  it('prints one JSON object per line with --json', async () => {
    nock(API).post('/apps/shop/log-sessions').reply(201, session())
    nock(LOGS).get('/sessions/sess-1').reply(200, `data: ${L1}\n\n`, {'Content-Type': 'text/event-stream'})
    const result = await runCommand(Logs, ['-a', 'shop', '--json'])
    assert.deepEqual(JSON.parse(result.stdout), {timestamp: '2026-11-27T11:15:41.123456+00:00', source: 'app', dyno: 'web.1', message: 'GET / 200'})
  })

  it('exits 0 quietly when stdout is closed (tug logs --tail | head -1)', async () => {
    let writes = 0
    let received = ''
    const head = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        writes++
        if (writes === 1) {
          received += chunk.toString()
          callback()
        } else {
          callback(Object.assign(new Error('write EPIPE'), {code: 'EPIPE'}))
        }
      },
    })
    head.on('error', () => undefined)
    // Lines that arrive together go out in one write: the first response's lines are the first
    // write, the resumed stream's lines find stdout closed, and nothing is asked for after that.
    const events = (from: number, to: number) => Array.from({length: to - from}, (_, i) => `id: ${from + i}\ndata: line ${from + i}\n\n`).join('')
    nock(API).post('/apps/shop/log-sessions').reply(201, session())
    nock(LOGS).get('/sessions/sess-1').reply(200, events(0, 25), {'Content-Type': 'text/event-stream'})
    nock(LOGS, {reqheaders: {'last-event-id': '24'}}).get('/sessions/sess-1').reply(200, events(25, 50), {'Content-Type': 'text/event-stream'})
    const result = await runCommand(Logs, ['-a', 'shop', '--tail'], {stdout: head})
    assert.equal(result.code, 0)
    assert.equal(result.stderr, '')
    assert.equal(received, Array.from({length: 25}, (_, i) => `line ${i}\n`).join(''))
    assert.equal(writes, 2)
    assert.ok(nock.isDone())
  })

  it('rejects a negative --num before any request', async () => {
    const result = await runCommand(Logs, ['-a', 'shop', '-n', '-1'])
    assert.equal(result.code, 2)
  })

  it('gives the 404 hint for an unknown app', async () => {
    nock(API).post('/apps/nope/log-sessions').reply(404, {id: 'not_found', message: "Couldn't find that app.", resource: 'app'})
    const result = await runCommand(Logs, ['-a', 'nope'])
    assert.equal(result.stderr, "Error: Couldn't find that app.\nCheck the app name with `tug apps`.\n")
  })
})
