// tug's frames stream end to end: a real control plane (in-process) and the CLI's reader.
import assert from 'node:assert/strict'
import {PassThrough} from 'node:stream'
import {after, afterEach, before, describe, it} from 'mocha'

import {readLogChunks, type RawLines} from '../../../src/lib/api/stream.js'
import {displayLogs} from '../../../src/lib/logs/display.js'
import {FRAMES_TYPE} from '../../../src/shared/log-frames.js'
import {openStream, startLogServer, type LogServer, type OpenStream} from '../../helpers/log-server.js'
import {waitFor} from '../../helpers/wait-for.js'

function collector(): {stream: PassThrough; text: () => string} {
  const stream = new PassThrough()
  let text = ''
  stream.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
  return {stream, text: () => text}
}

describe('log stream: tug frames', function () {
  this.timeout(30_000)
  let server: LogServer
  let appId: string
  const open: OpenStream[] = []

  before(async () => {
    server = await startLogServer({sessions: {keepAliveMs: 100}})
    appId = await server.createApp('framed')
    server.logs.writeLines(appId, {source: 'app', dyno: 'web.1', lines: ['one\ntwo\nthrée']})
  })

  afterEach(() => {
    for (const s of open.splice(0)) s.close()
  })

  after(async () => {
    await server.close()
  })

  it('is what the server answers to Accept: frames, resumable by Last-Event-ID inside a batch', async () => {
    const url = await server.session('framed', {lines: 3})
    const all = await openStream(url, {Accept: `${FRAMES_TYPE}, text/event-stream;q=0.9`})
    open.push(all)
    await all.ended
    assert.equal(all.headers['content-type'], FRAMES_TYPE)
    const lines = server.logs.history(appId, {lines: 3}).map((e) => e.text)
    const body = lines.map((line) => `${line}\n`).join('')
    const last = server.logs.lastId(appId)
    assert.equal(all.text, `${last} 3 ${Buffer.byteLength(body)}\n${body}`)
    const resumed = await openStream(await server.session('framed', {lines: 3}), {Accept: FRAMES_TYPE, 'Last-Event-ID': String(last - 2)})
    open.push(resumed)
    await resumed.ended
    const rest = lines.slice(1).map((line) => `${line}\n`).join('')
    assert.equal(resumed.text, `${last} 2 ${Buffer.byteLength(rest)}\n${rest}`)
    // Heroku's clients still get SSE.
    const sse = await openStream(await server.session('framed', {lines: 1}))
    open.push(sse)
    await sse.ended
    assert.equal(sse.headers['content-type'], 'text/event-stream; charset=utf-8')
  })

  it('a quiet tail gets empty keep-alive frames', async () => {
    const tail = await openStream(await server.session('framed', {lines: 0, tail: true}), {Accept: FRAMES_TYPE})
    open.push(tail)
    await waitFor(() => tail.text.startsWith('- 0 0\n- 0 0\n'), {what: 'two keep-alive frames'})
  })

  it('tug logs prints the frames as they come, and a tail gets new lines', async () => {
    const out = collector()
    const shown = await displayLogs({url: await server.session('framed', {lines: 2}), tail: false, lines: 2, stdout: out.stream, color: false})
    assert.equal(shown.lines, 2)
    assert.deepEqual(out.text().split('\n').map((line) => line.slice(33)), ['app[web.1]: two', 'app[web.1]: thrée', ''])

    const controller = new AbortController()
    const seen: RawLines[] = []
    const reading = (async () => {
      for await (const chunk of readLogChunks(await server.session('framed', {lines: 0, tail: true}), {tail: true, signal: controller.signal}, true)) {
        assert.ok(!Array.isArray(chunk), 'a tug server answers with frames')
        seen.push(chunk)
      }
    })()
    // Written only once the tail is there: it has no history (lines 0).
    await waitFor(() => server.logs.stats().subscribers > 0, {what: 'the tail'})
    server.logs.writeLines(appId, {source: 'app', dyno: 'web.2', lines: ['four\nfive']})
    await waitFor(() => seen.reduce((sum, chunk) => sum + chunk.lines, 0) === 2, {what: 'the new lines'})
    controller.abort()
    await reading
    const text = Buffer.concat(seen.flatMap((chunk) => chunk.raw)).toString()
    assert.deepEqual(text.split('\n').map((line) => line.slice(33)), ['app[web.2]: four', 'app[web.2]: five', ''])
  })
})
