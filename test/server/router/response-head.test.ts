// The dyno's response head read on bytes (response-head.ts) against the string reading it
// replaced (response-head-reference.ts): the same failures, status, framing and rawHeaders, and
// the client's head byte for byte, for hand-picked heads and over 20,000 seeded mutations, with
// the head anywhere in its buffer.
import assert from 'node:assert/strict'
import {describe, it} from 'mocha'
import {ResponseHead} from '../../../src/server/router/response-head.js'
import {seededRandom} from './fixtures.js'
import {referenceClientHead, referenceRead} from './response-head-reference.js'

const DATE = 'Sun, 06 Dec 2026 08:00:00 GMT'

/** Reads `text` (the head without its blank line) placed between `before` and `after` in one buffer, and compares everything with the reference. */
function compare(text: string, options: {before?: string; after?: string; requestId?: string; bodyAllowed?: boolean; keepAlive?: string | undefined; context?: string} = {}): ResponseHead | {code: string} {
  const before = options.before ?? ''
  const buffer = Buffer.from(`${before}${text}\r\n\r\n${options.after ?? ''}`, 'latin1')
  const from = before.length
  const to = from + text.length
  const context = options.context ?? JSON.stringify(text)
  const expected = referenceRead(text)
  const read = ResponseHead.read(buffer, from, to)
  if ('code' in expected) {
    assert.ok(!(read instanceof ResponseHead), `refused as before: ${context}`)
    assert.equal(read.code, expected.code, context)
    return expected
  }
  assert.ok(read instanceof ResponseHead, `read as before (${(read as {message?: string}).message ?? ''}): ${context}`)
  assert.equal(read.status, expected.status, context)
  assert.equal(read.contentLength, expected.contentLength, context)
  assert.equal(read.chunked, expected.chunked, context)
  assert.equal(read.transferEncoding, expected.transferEncoding, context)
  assert.equal(read.keepAlive, expected.keepAlive, context)
  assert.equal(read.shortKeepAlive, expected.shortKeepAlive, context)
  if (expected.status >= 200) {
    const requestId = options.requestId ?? '0f8fad5b-d9cb-469f-a165-70867728950e'
    const bodyAllowed = options.bodyAllowed ?? true
    const keepAlive = 'keepAlive' in options ? options.keepAlive : 'timeout=5'
    const room = 7
    const mine = read.clientHead(requestId, bodyAllowed, keepAlive, DATE, room)
    const theirs = referenceClientHead(expected, requestId, bodyAllowed, keepAlive, DATE)
    assert.equal(mine.bytes.subarray(0, mine.length).toString('latin1'), theirs.text, `the client's head: ${context}`)
    assert.equal(mine.bytes.length, mine.length + room, `room for the body: ${context}`)
    assert.equal(mine.chunked, theirs.chunked, context)
  }
  assert.equal(read.statusMessage, expected.statusMessage, context)
  assert.deepEqual(read.rawHeaders, expected.rawHeaders, context)
  read.release()
  assert.deepEqual(read.rawHeaders, expected.rawHeaders, 'what was asked stays after release')
  return read
}

describe('router: the response head on bytes', () => {
  const cases: Array<[string, string]> = [
    ['node’s usual answer', 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 17\r\nDate: Sun, 06 Dec 2026 07:00:00 GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5'],
    ['no headers', 'HTTP/1.1 204 No Content'],
    ['no reason phrase', 'HTTP/1.1 200\r\nContent-Length: 0'],
    ['an empty reason phrase', 'HTTP/1.1 404 \r\nContent-Length: 0'],
    ['HTTP/1.0', 'HTTP/1.0 200 OK\r\nContent-Length: 2'],
    ['HTTP/1.0 keep-alive', 'HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2'],
    ['chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nX-A: b'],
    ['Transfer-Encoding not chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip'],
    ['304 with headers', 'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\nCache-Control: max-age=0'],
    ['values with odd whitespace', 'HTTP/1.1 200 OK\r\nX-A:b\r\nX-B:   c  \r\nX-C:\t d\t\r\nX-D:\r\nX-E: \r\nX-F:  \t \r\nContent-Length: 1'],
    ['obs-text and NBSP in values', 'HTTP/1.1 200 Ök\r\nX-A: caf\xe9\r\nX-B: \xa0nbsp\xa0\r\nX-C: \xff\x80\r\nX-D:\xa0\r\nVia: \xa0'],
    ['Connection naming headers', 'HTTP/1.1 200 OK\r\nConnection: X-Secret, close\r\nX-Secret: 1\r\nx-secret: 2\r\nX-Kept: 3\r\nContent-Length: 0'],
    ['Connection of 10 bytes naming headers', 'HTTP/1.1 200 OK\r\nConnection: x-a, x-bcd\r\nX-A: 1\r\nX-BCD: 2\r\nX-C: 3\r\nContent-Length: 0'],
    ['Connection naming the router’s headers', 'HTTP/1.1 200 OK\r\nConnection: via, date, x-request-id, content-length, keep-alive\r\nVia: 1.0 a\r\nDate: x\r\nX-Request-Id: r\r\nContent-Length: 0'],
    ['hop-by-hop headers', 'HTTP/1.1 200 OK\r\nTE: trailers\r\nTrailer: X\r\nUpgrade: h2c\r\nProxy-Authenticate: Basic\r\nProxy-: x\r\nProxy: kept\r\nKeep-Alive: timeout=1, max=5\r\nContent-Length: 0'],
    ['several Via headers', 'HTTP/1.1 200 OK\r\nVia: 1.0 a\r\nX-A: 1\r\nvia: 1.1 b , \r\nContent-Length: 0'],
    ['two empty Via headers', 'HTTP/1.1 200 OK\r\nVia:\r\nVia: \r\nContent-Length: 0'],
    ['the dyno’s request id and date', 'HTTP/1.1 200 OK\r\nx-request-id: abc\r\ndate: Mon\r\nContent-Length: 0'],
    ['two equal lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-length: 2'],
    ['Keep-Alive timeouts', 'HTTP/1.1 200 OK\r\nKeep-Alive: max=3, TIMEOUT=0001\r\nContent-Length: 0'],
    ['Keep-Alive without digits first', 'HTTP/1.1 200 OK\r\nKeep-Alive: timeout=x, timeout=1\r\nContent-Length: 0'],
    ['a Connection value of 10 bytes that is not keep-alive', 'HTTP/1.1 200 OK\r\nConnection: x,   close\r\nContent-Length: 0'],
    ['interim', 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\nKeep-Alive: timeout=1'],
    ['a very long header', `HTTP/1.1 200 OK\r\nX-Long: ${'v'.repeat(40_000)}\r\nContent-Length: 0`],
    ['many header lines', `HTTP/1.1 200 OK\r\n${Array.from({length: 300}, (_, i) => `X-${i}: ${i}`).join('\r\n')}\r\nContent-Length: 0`],
    ['a control character in a value', 'HTTP/1.1 200 OK\r\nX-A: a\x01b\r\nContent-Length: 0'],
    ['DEL in a value', 'HTTP/1.1 200 OK\r\nX-A: a\x7f\r\nContent-Length: 0'],
    ['a bare CR in a value', 'HTTP/1.1 200 OK\r\nX-A: a\rSet-Cookie: b\r\nContent-Length: 0'],
    ['a bare LF in a value', 'HTTP/1.1 200 OK\r\nX-A: a\nSet-Cookie: b\r\nContent-Length: 0'],
    ['a bare CR ending the last value', 'HTTP/1.1 200 OK\r\nX-A: a\r'],
    ['a control in the status line', 'HTTP/1.1 200 O\x00K'],
    ['a lower-case version', 'http/1.1 200 OK'],
    ['HTTP/2', 'HTTP/2.0 200 OK'],
    ['a two-digit status', 'HTTP/1.1 20 OK'],
    ['no space after the status', 'HTTP/1.1 200OK'],
    ['a space before the colon', 'HTTP/1.1 200 OK\r\nX-A : b'],
    ['an empty name', 'HTTP/1.1 200 OK\r\n: b'],
    ['no colon', 'HTTP/1.1 200 OK\r\nX-A'],
    ['an obs-fold', 'HTTP/1.1 200 OK\r\nX-A: b\r\n c'],
    ['two lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 02'],
    ['a length that is not a number', 'HTTP/1.1 200 OK\r\nContent-Length: 2x'],
    ['a length of 16 digits', 'HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456'],
    ['a length and chunked', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked'],
  ]
  for (const [what, text] of cases) {
    it(`reads as before: ${what}`, () => {
      compare(text)
      compare(text, {before: 'HTTP/1.1 200 OK\r\nX: y\r\n\r\nbody', after: 'HTTP/1.1 200 OK\r\n\r\n', keepAlive: undefined, bodyAllowed: false, requestId: 'a-request-id-sent-by-the-client'})
    })
  }

  it('refuses what node’s ServerResponse would not write', () => {
    for (const text of ['HTTP/1.1 200 OK\r\nX-A: a\x01b', 'HTTP/1.1 200 OK\r\nX-A: a\rb', 'HTTP/1.1 200 OK\r\nX-A: a\nb', 'HTTP/1.1 200 OK\r\nX-A: \x00']) {
      const read = ResponseHead.read(Buffer.from(`${text}\r\n\r\n`, 'latin1'), 0, text.length)
      assert.ok(!(read instanceof ResponseHead), JSON.stringify(text))
      assert.equal(read.code, 'HPE_INVALID_HEADER_TOKEN')
    }
  })

  it('reads a head at the very end of its buffer, and copies a kept run of plain lines as it came', () => {
    const text = 'HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nConnection: keep-alive\r\nC:3\r\nD: 4\r\nE: 5'
    const buffer = Buffer.from(`${text}\r\n\r\n`, 'latin1')
    const read = ResponseHead.read(buffer, 0, text.length)
    assert.ok(read instanceof ResponseHead)
    const head = read.clientHead('id', true, 'timeout=5', DATE, 0)
    assert.equal(head.bytes.toString('latin1', 0, head.length), `HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nvia: 1.1 tug\r\nx-request-id: id\r\nDate: ${DATE}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n`)
    assert.equal(head.length, head.bytes.length)
  })

  it('says when its bytes were read after they could have been reused', () => {
    const text = 'HTTP/1.1 200 OK\r\nA: 1'
    const read = ResponseHead.read(Buffer.from(`${text}\r\n\r\n`, 'latin1'), 0, text.length)
    assert.ok(read instanceof ResponseHead)
    read.release()
    assert.equal(read.status, 200)
    assert.throws(() => read.rawHeaders, /after its onResponse call/)
    assert.throws(() => read.clientHead('id', true, undefined, DATE, 0), /after its onResponse call/)
  })

  it('reads as before over 20,000 seeded mutations of a response head', () => {
    // A failure is reproducible from its seed.
    const random = seededRandom(7)
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
    const bases = [
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 17\r\nDate: Sun, 06 Dec 2026 07:00:00 GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5',
      'HTTP/1.1 201 Created\r\nVia: 1.0 a\r\nConnection: x-a, close\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\nx-request-id: abc\r\nProxy-Foo: 1\r\nTE: t',
      'HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nX-B:  spaced \t\r\nvia: x\r\nKeep-Alive: timeout=1\r\nUpgrade: h2c',
    ]
    const nasty = ['\r', '\n', '\r\n', '\r\n ', '\x00', '\x01', '\x7f', '\xff', '\xa0', '\x85', ' ', '\t', ':', ',', 'a', 'A', '-', '0', 'Connection: te, x-b\r\n', 'Via: \r\n', 'Content-Length: 17\r\n', 'Transfer-Encoding: chunked\r\n', 'connection: close\r\n', 'keep-alive: TIMEOUT=0\r\n']
    let read = 0
    for (let n = 0; n < 20_000; n++) {
      let text = pick(bases)
      const edits = 1 + Math.floor(random() * 3)
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * text.length)
        const kind = random()
        if (kind < 0.5) text = text.slice(0, at) + pick(nasty) + text.slice(at)
        else if (kind < 0.75) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 3))
        else if (kind < 0.9) text = text.slice(0, at) + String.fromCharCode(Math.floor(random() * 256)) + text.slice(at + 1)
        else text = text.slice(0, at) + text.slice(at).replace(/[a-z]/g, (c) => c.toUpperCase())
      }
      // The head ends at its first blank line, as upstream.ts finds it.
      const end = text.indexOf('\r\n\r\n')
      if (end !== -1) text = text.slice(0, end)
      const options = {before: random() < 0.5 ? '' : 'x'.repeat(Math.floor(random() * 100)), after: random() < 0.5 ? '' : 'HTTP/1.1 200 OK', bodyAllowed: random() < 0.7, keepAlive: random() < 0.7 ? 'timeout=5' : undefined, context: `mutation ${n}: ${JSON.stringify(text)}`}
      if (!('code' in compare(text, options))) read++
    }
    assert.ok(read > 2000 && read < 18_000, `mutations both read and refused (${read} read)`)
  })
})
