// The fast path's request-head reader (src/server/router/fast-head.ts): the common request is
// read, everything else is handed off, and whatever it accepts node's own parser (llhttp) reads
// the same way: differential tests over thousands of seeded mutations of a valid head.
import assert from 'node:assert/strict'
import {createRequire} from 'node:module'
import {describe, it} from 'mocha'
import {FAST_HEAD_LIMIT, FAST_MAX_HEADERS, parseFastHead, type FastHead} from '../../../src/server/router/fast-head.js'
import {seededRandom} from './fixtures.js'

// node's HTTP parser, as its server uses it (an undocumented module, but the reference here).
interface NodeParser {
  initialize(type: number, resource: object): void
  execute(data: Buffer): number | Error
  [key: number]: unknown
}
const {HTTPParser, methods} = createRequire(import.meta.url)('_http_common') as {
  HTTPParser: {new (): NodeParser; REQUEST: number; kOnHeadersComplete: number}
  methods: string[]
}

interface NodeHead {
  method: string
  url: string
  version: string
  headers: string[]
  length: number
}

/** What node's parser reads of the head at the start of `bytes`, or undefined when it refuses or needs more. */
function nodeRead(bytes: Buffer): NodeHead | undefined {
  const parser = new HTTPParser()
  parser.initialize(HTTPParser.REQUEST, {})
  let head: Omit<NodeHead, 'length'> | undefined
  parser[HTTPParser.kOnHeadersComplete] = (major: number, minor: number, headers: string[], method: number, url: string) => {
    head = {method: methods[method] ?? '?', url, version: `${major}.${minor}`, headers}
    // Skip any body: only the head is compared.
    return 1
  }
  const result = parser.execute(bytes)
  if (result instanceof Error || head === undefined) return undefined
  return {...head, length: result}
}

function read(text: string): ReturnType<typeof parseFastHead> {
  return parseFastHead(Buffer.from(text, 'latin1'))
}

function accepted(text: string): FastHead {
  const head = read(text)
  assert.ok(typeof head === 'object', `expected the fast path to read ${JSON.stringify(text)}, got ${String(head)}`)
  return head
}

const BASE = 'GET /path?q=1 HTTP/1.1\r\nHost: shop.localhost:5080\r\nUser-Agent: test/1.0\r\nAccept: */*\r\nX-Request-Id: abcdefghij0123456789\r\nX-Forwarded-For: 10.0.0.1\r\nVia: 1.0 edge\r\nConnection: keep-alive\r\n\r\n'

describe('router: the fast path head reader', () => {
  it('reads the common request and rebuilds the lines the dyno gets', () => {
    const head = accepted(`${BASE}GET /next HTTP/1.1\r\n`)
    assert.equal(head.method, 'GET')
    assert.equal(head.target, '/path?q=1')
    assert.equal(head.host, 'shop.localhost:5080')
    assert.equal(head.requestId, 'abcdefghij0123456789')
    assert.equal(head.forwardedFor, '10.0.0.1')
    assert.equal(head.via, '1.0 edge')
    assert.equal(head.close, false)
    // Connection, X-Request-Id, X-Forwarded-For and Via are the router's to write.
    assert.equal(head.passed, 'Host: shop.localhost:5080\r\nUser-Agent: test/1.0\r\nAccept: */*\r\n')
    assert.equal(head.length, BASE.length, 'a pipelined request starts right after the blank line')

    const other = accepted('HEAD / HTTP/1.1\r\nhost:  a.localhost \t\r\nX-Forwarded-For: 1.1.1.1\r\nx-forwarded-for: 2.2.2.2\r\nConnection: Close\r\nKeep-Alive: timeout=9\r\nTE: trailers\r\nProxy-Authorization: x\r\nProxy-: y\r\nX-Forwarded-Proto: https\r\n\r\n')
    assert.equal(other.method, 'HEAD')
    assert.equal(other.host, 'a.localhost', 'OWS trimmed')
    assert.equal(other.forwardedFor, '1.1.1.1, 2.2.2.2')
    assert.equal(other.close, true)
    assert.equal(other.passed, 'host: a.localhost\r\n', 'hop-by-hop (Proxy-* and a header named just Proxy-, as on node\'s path) and the router-set headers are not passed')
  })

  it('waits for the rest of a head, and hands off one too long or not a GET/HEAD from its first bytes', () => {
    assert.equal(read('GET / HTTP/1.1\r\nHost: a.localhost\r\n'), 'incomplete')
    assert.equal(read('GE'), 'incomplete')
    assert.equal(read('HEA'), 'incomplete')
    assert.equal(read('P'), 'handoff')
    assert.equal(read('GET_'), 'handoff')
    assert.equal(read(`GET / HTTP/1.1\r\nX: ${'a'.repeat(FAST_HEAD_LIMIT)}`), 'handoff')
    assert.equal(read(`GET / HTTP/1.1\r\nHost: a.localhost\r\nX: ${'a'.repeat(FAST_HEAD_LIMIT)}\r\n\r\n`), 'handoff')
  })

  const handedOff: Array<[string, string]> = [
    ['POST', 'POST / HTTP/1.1\r\nHost: a.localhost\r\n\r\n'],
    ['lower-case method', 'get / HTTP/1.1\r\nHost: a.localhost\r\n\r\n'],
    ['HTTP/1.0', 'GET / HTTP/1.0\r\nHost: a.localhost\r\n\r\n'],
    ['HTTP/2 preface-like', 'GET / HTTP/2.0\r\nHost: a.localhost\r\n\r\n'],
    ['absolute form', 'GET http://a.localhost/ HTTP/1.1\r\nHost: a.localhost\r\n\r\n'],
    ['asterisk', 'GET * HTTP/1.1\r\nHost: a.localhost\r\n\r\n'],
    ['two spaces', 'GET  / HTTP/1.1\r\nHost: a.localhost\r\n\r\n'],
    ['space in target', 'GET /a b HTTP/1.1\r\nHost: a.localhost\r\n\r\n'],
    ['control in target', 'GET /a\x01 HTTP/1.1\r\nHost: a.localhost\r\n\r\n'],
    ['non-ASCII target', 'GET /caf\xe9 HTTP/1.1\r\nHost: a.localhost\r\n\r\n'],
    ['no Host', 'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n'],
    ['two Hosts', 'GET / HTTP/1.1\r\nHost: a.localhost\r\nHost: b.localhost\r\n\r\n'],
    ['two Hosts, other case', 'GET / HTTP/1.1\r\nHost: a.localhost\r\nhOST: a.localhost\r\n\r\n'],
    ['Content-Length: 0', 'GET / HTTP/1.1\r\nHost: a.localhost\r\nContent-Length: 0\r\n\r\n'],
    ['Transfer-Encoding', 'GET / HTTP/1.1\r\nHost: a.localhost\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['Upgrade', 'GET / HTTP/1.1\r\nHost: a.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'],
    ['Expect', 'GET / HTTP/1.1\r\nHost: a.localhost\r\nExpect: 100-continue\r\n\r\n'],
    ['Connection naming a header', 'GET / HTTP/1.1\r\nHost: a.localhost\r\nConnection: x-secret\r\n\r\n'],
    ['obs-fold', 'GET / HTTP/1.1\r\nHost: a.localhost\r\nX-A: one\r\n two\r\n\r\n'],
    ['obs-fold with a tab', 'GET / HTTP/1.1\r\nHost: a.localhost\r\nX-A: one\r\n\ttwo\r\n\r\n'],
    ['bare LF in a value', 'GET / HTTP/1.1\r\nHost: a.localhost\r\nX-A: one\ntwo\r\n\r\n'],
    ['bare LF line end', 'GET / HTTP/1.1\nHost: a.localhost\r\n\r\n'],
    ['bare CR in a value', 'GET / HTTP/1.1\r\nHost: a.localhost\r\nX-A: one\rX-B: two\r\n\r\n'],
    ['NUL in a value', 'GET / HTTP/1.1\r\nHost: a.localhost\r\nX-A: o\x00ne\r\n\r\n'],
    ['DEL in a value', 'GET / HTTP/1.1\r\nHost: a.localhost\r\nX-A: o\x7fne\r\n\r\n'],
    ['obs-text in a value', 'GET / HTTP/1.1\r\nHost: a.localhost\r\nX-A: caf\xe9\r\n\r\n'],
    ['space before the colon', 'GET / HTTP/1.1\r\nHost : a.localhost\r\n\r\n'],
    ['empty name', 'GET / HTTP/1.1\r\nHost: a.localhost\r\n: x\r\n\r\n'],
    ['separator in a name', 'GET / HTTP/1.1\r\nHost: a.localhost\r\nX(A): x\r\n\r\n'],
    ['no colon', 'GET / HTTP/1.1\r\nHost: a.localhost\r\nJunk\r\n\r\n'],
    ['leading empty line', '\r\nGET / HTTP/1.1\r\nHost: a.localhost\r\n\r\n'],
    ['too many headers', `GET / HTTP/1.1\r\nHost: a.localhost\r\n${'X: y\r\n'.repeat(FAST_MAX_HEADERS)}\r\n`],
  ]
  for (const [what, text] of handedOff) {
    it(`hands off: ${what}`, () => {
      assert.equal(read(text), 'handoff')
    })
  }

  it('reads what it accepts as node does, over 20,000 seeded mutations of a valid head', () => {
    // Deterministic (mulberry32), so a failure is reproducible from its seed.
    const random = seededRandom(19)
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
    const nasty = ['\r', '\n', '\r\n', '\r\n ', '\x00', '\x7f', '\xff', ' ', '\t', ':', '"', '(', 'Host: b.localhost\r\n', 'Content-Length: 5\r\n', 'Transfer-Encoding: chunked\r\n', '\r\n\r\n', 'A', '/', '%']
    let fast = 0
    for (let n = 0; n < 20_000; n++) {
      let text = BASE
      const edits = 1 + Math.floor(random() * 3)
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * (text.length - 4))
        const kind = random()
        if (kind < 0.5) text = text.slice(0, at) + pick(nasty) + text.slice(at)
        else if (kind < 0.8) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 3))
        else text = text.slice(0, at) + String.fromCharCode(Math.floor(random() * 256)) + text.slice(at + 1)
      }
      const bytes = Buffer.from(text, 'latin1')
      const head = parseFastHead(bytes)
      if (typeof head !== 'object') continue
      fast++
      // Node reads the same bytes as one head: the same length, the same header lines.
      const node = nodeRead(bytes.subarray(0, head.length))
      const context = `mutation ${n}: ${JSON.stringify(text)}`
      assert.ok(node, `node refuses what the fast path read: ${context}`)
      assert.equal(node.method, head.method, context)
      assert.equal(node.url, head.target, context)
      assert.equal(node.version, '1.1', context)
      assert.equal(node.length, head.length, `the same head length (no smuggling of the next request): ${context}`)
      assert.equal(node.headers.length / 2, text.slice(0, head.length - 4).split('\r\n').length - 1, `the same header lines: ${context}`)
      const hosts = node.headers.filter((_, i) => i % 2 === 0 && node.headers[i]?.toLowerCase() === 'host')
      assert.equal(hosts.length, 1, context)
      for (let i = 0; i < node.headers.length; i += 2) {
        const name = (node.headers[i] as string).toLowerCase()
        assert.ok(!['content-length', 'transfer-encoding', 'upgrade', 'expect'].includes(name), `framing header read as fast: ${context}`)
        if (name === 'host') assert.equal(node.headers[i + 1], head.host, context)
      }
      // Every line passed on is one well-formed header line: nothing can be injected into the dyno's head.
      for (const line of head.passed.split('\r\n').slice(0, -1)) assert.match(line, /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+: (?:[\x21-\x7e](?:[\t\x20-\x7e]*[\x21-\x7e])?)?$/, context)
    }
    assert.ok(fast > 1000, `enough mutations stay on the fast path to compare (${fast})`)
  })
})
