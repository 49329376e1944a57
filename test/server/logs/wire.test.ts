import assert from 'node:assert/strict'

import {chooseFormat, parseLastEventId, serialise, SSE_KEEPALIVE, sseEvent, sseEvents, textLines} from '../../../src/server/logs/wire.js'

const line = {id: 7, text: '2026-11-27T11:15:41.123456+00:00 app[web.1]: hi'}
const notice = {id: undefined, text: '2026-11-27T11:15:42.000000+00:00 tug[logplex]: Error L10 (output buffer overflow): 3 messages dropped since x'}

describe('logs/wire', () => {
  it('writes one SSE event for one line, with the id, and no id for a notice', () => {
    assert.equal(sseEvent(line), 'id: 7\ndata: 2026-11-27T11:15:41.123456+00:00 app[web.1]: hi\n\n')
    assert.equal(sseEvent(notice), `data: ${notice.text}\n\n`)
    assert.equal(sseEvents([line]), sseEvent(line))
    assert.equal(sseEvents([notice]), sseEvent(notice))
    assert.equal(sseEvents([]), '')
    assert.equal(SSE_KEEPALIVE, ':\n\n')
  })

  it('writes a batch as one event, a data field per line, with the id of its last line', () => {
    const next = {id: 8, text: '2026-11-27T11:15:41.123456+00:00 app[web.2]: there'}
    assert.equal(sseEvents([line, next]), `id: 8\ndata: ${line.text}\ndata: ${next.text}\n\n`)
    // A notice carries no id: a batch that ends with one still resumes after its last real line.
    assert.equal(sseEvents([line, notice]), `id: 7\ndata: ${line.text}\ndata: ${notice.text}\n\n`)
    assert.equal(sseEvents([notice, line]), `id: 7\ndata: ${notice.text}\ndata: ${line.text}\n\n`)
    assert.equal(sseEvents([notice, notice]), `data: ${notice.text}\ndata: ${notice.text}\n\n`)
  })

  it('writes plain text as one line per \\n', () => {
    assert.equal(textLines([line, notice]), `${line.text}\n${notice.text}\n`)
    assert.equal(serialise('text', [line]), `${line.text}\n`)
    assert.equal(serialise('sse', [line]), sseEvent(line))
  })

  it('chooses SSE only when the client asks for text/event-stream', () => {
    assert.equal(chooseFormat('text/event-stream'), 'sse')
    assert.equal(chooseFormat('text/html, text/event-stream;q=0.9'), 'sse')
    assert.equal(chooseFormat('TEXT/EVENT-STREAM'), 'sse')
    assert.equal(chooseFormat('text/plain'), 'text')
    assert.equal(chooseFormat('*/*'), 'text')
    assert.equal(chooseFormat(undefined), 'text')
    assert.equal(chooseFormat('text/event-streamx'), 'text')
  })

  it('reads Last-Event-ID', () => {
    assert.equal(parseLastEventId('42'), 42)
    assert.equal(parseLastEventId(' 42 '), 42)
    assert.equal(parseLastEventId(['1', '9']), 9)
    assert.equal(parseLastEventId(''), undefined)
    assert.equal(parseLastEventId('-1'), undefined)
    assert.equal(parseLastEventId('1e3'), undefined)
    assert.equal(parseLastEventId(undefined), undefined)
  })
})
