import assert from 'node:assert/strict'

import {singleLine} from '../../../src/server/logs/block.js'
import {chooseFormat, parseLastEventId, serialiseBlocks, SSE_KEEPALIVE, sseEventOfBlocks, textOfBlocks} from '../../../src/server/logs/wire.js'

const LINE = '2026-11-27T11:15:41.123456+00:00 app[web.1]: hi'
const NEXT = '2026-11-27T11:15:41.123456+00:00 app[web.2]: there'
const NOTICE = '2026-11-27T11:15:42.000000+00:00 tug[logplex]: Error L10 (output buffer overflow): 3 messages dropped since x'
const line = singleLine(7, LINE, 'app', 'web.1')
const next = singleLine(8, NEXT, 'app', 'web.2')
const notice = singleLine(undefined, NOTICE, 'tug', 'logplex')

// The bytes Heroku's clients read (SSE and plain text), written out in full.
describe('logs/wire', () => {
  it('writes one SSE event for one line, with the id, and no id for a notice', () => {
    assert.equal(sseEventOfBlocks([line]), 'id: 7\ndata: 2026-11-27T11:15:41.123456+00:00 app[web.1]: hi\n\n')
    assert.equal(sseEventOfBlocks([notice]), `data: ${NOTICE}\n\n`)
    assert.equal(sseEventOfBlocks([]), '')
    assert.equal(SSE_KEEPALIVE, ':\n\n')
  })

  it('writes a batch as one event, a data field per line, with the id of its last line', () => {
    assert.equal(sseEventOfBlocks([line, next]), `id: 8\ndata: ${LINE}\ndata: ${NEXT}\n\n`)
    // A notice carries no id: a batch that ends with one still resumes after its last real line.
    assert.equal(sseEventOfBlocks([line, notice]), `id: 7\ndata: ${LINE}\ndata: ${NOTICE}\n\n`)
    assert.equal(sseEventOfBlocks([notice, line]), `id: 7\ndata: ${NOTICE}\ndata: ${LINE}\n\n`)
    assert.equal(sseEventOfBlocks([notice, notice]), `data: ${NOTICE}\ndata: ${NOTICE}\n\n`)
  })

  it('writes plain text as one line per \\n', () => {
    assert.equal(textOfBlocks([line, notice]), `${LINE}\n${NOTICE}\n`)
    assert.equal(serialiseBlocks('text', [line]), `${LINE}\n`)
    assert.equal(serialiseBlocks('sse', [line]), `id: 7\ndata: ${LINE}\n\n`)
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
