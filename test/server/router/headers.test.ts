import assert from 'node:assert/strict'
import {clientAddress, rawRequestHeadersForDyno, rawResponseHeadersForClient, readRequestHead, requestHeadersForDyno, requestId, responseHeadersForClient, stripHopByHop} from '../../../src/server/router/headers.js'

describe('router: headers', () => {
  it('keeps a sane client Request-Id and replaces others', () => {
    const fresh = () => 'fresh-id'
    assert.equal(requestId('abcdefghij0123456789', fresh), 'abcdefghij0123456789')
    assert.equal(requestId('a-b_c+d=e/f'.repeat(2), fresh), 'a-b_c+d=e/fa-b_c+d=e/f')
    assert.equal(requestId('short', fresh), 'fresh-id')
    assert.equal(requestId('x'.repeat(201), fresh), 'fresh-id')
    assert.equal(requestId('x'.repeat(200), fresh), 'x'.repeat(200))
    assert.equal(requestId('has space in it 0123456789', fresh), 'fresh-id')
    assert.equal(requestId(undefined, fresh), 'fresh-id')
    assert.match(requestId(undefined), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  })

  it('strips hop-by-hop headers, including those Connection names', () => {
    const out = stripHopByHop({
      connection: 'keep-alive, X-Secret', 'keep-alive': 'timeout=5', 'x-secret': '1', 'proxy-authorization': 'x',
      'proxy-connection': 'keep-alive', te: 'trailers', trailer: 'x', 'transfer-encoding': 'chunked', upgrade: 'websocket',
      accept: 'text/html', 'x-keep': 'yes',
    })
    assert.deepEqual(out, {accept: 'text/html', 'x-keep': 'yes'})
  })

  it('keeps Upgrade and Connection on an upgrade request', () => {
    const out = stripHopByHop({connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'k', te: 'x'}, {upgrade: true})
    assert.deepEqual(out, {'sec-websocket-key': 'k', connection: 'Upgrade', upgrade: 'websocket'})
  })

  it('adds the forwarding headers to the request', () => {
    const out = requestHeadersForDyno(
      {host: 'shop.localhost:5080', 'x-forwarded-for': '10.0.0.1', 'x-forwarded-proto': 'https', connection: 'close', via: '1.0 fred'},
      {requestId: 'rid', clientIp: '127.0.0.1', port: 5080, protocol: 'http'},
    )
    assert.deepEqual(out, {
      host: 'shop.localhost:5080',
      'x-request-id': 'rid',
      'x-forwarded-for': '10.0.0.1, 127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-port': '5080',
      via: '1.0 fred, 1.1 tug',
    })
    const fresh = requestHeadersForDyno({host: 'a'}, {requestId: 'r', clientIp: '::1', port: 1, protocol: 'https'})
    assert.equal(fresh['x-forwarded-for'], '::1')
    assert.equal(fresh.via, '1.1 tug')
  })

  it('rewrites the response headers', () => {
    const out = responseHeadersForClient({'content-type': 'text/plain', 'transfer-encoding': 'chunked', connection: 'keep-alive', 'set-cookie': ['a=1', 'b=2']}, 'rid')
    assert.deepEqual(out, {'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'], via: '1.1 tug', 'x-request-id': 'rid'})
    assert.equal(responseHeadersForClient({'x-request-id': 'mine'}, 'rid')['x-request-id'], 'mine')
  })

  it('reads the client address as IPv4 when mapped', () => {
    assert.equal(clientAddress('::ffff:127.0.0.1'), '127.0.0.1')
    assert.equal(clientAddress('::1'), '::1')
    assert.equal(clientAddress(undefined), '')
  })

  it('applies the same rules over raw headers (the proxy path)', () => {
    const raw = ['Host', 'shop.localhost:5080', 'X-Forwarded-For', '10.0.0.1', 'x-forwarded-for', '10.0.0.2', 'X-Forwarded-Proto', 'https', 'Connection', 'keep-alive, X-Secret',
      'X-Secret', '1', 'Proxy-Authorization', 'p', 'TE', 'trailers', 'Transfer-Encoding', 'chunked', 'Via', '1.0 fred', 'X-Request-Id', 'old', 'Accept', 'a', 'Accept', 'b']
    const head = readRequestHead(raw)
    assert.deepEqual(head, {chunked: true, host: 'shop.localhost:5080', forwardedFor: '10.0.0.1, 10.0.0.2', connectionNamed: ['x-secret'], via: '1.0 fred', requestId: 'old'})
    assert.deepEqual(rawRequestHeadersForDyno(raw, head, {requestId: 'rid', clientIp: '127.0.0.1', port: 5080, protocol: 'http'}), [
      'Host', 'shop.localhost:5080', 'Accept', 'a', 'Accept', 'b',
      'x-request-id', 'rid', 'x-forwarded-for', '10.0.0.1, 10.0.0.2, 127.0.0.1', 'x-forwarded-proto', 'http', 'x-forwarded-port', '5080', 'via', '1.0 fred, 1.1 tug',
    ])
    const bare = ['Host', 'a', 'Content-Length', '3']
    const bareHead = readRequestHead(bare)
    assert.deepEqual(bareHead, {chunked: false, host: 'a', contentLength: '3'})
    assert.deepEqual(rawRequestHeadersForDyno(bare, bareHead, {requestId: 'r', clientIp: '::1', port: 1, protocol: 'https'}).slice(4), [
      'x-request-id', 'r', 'x-forwarded-for', '::1', 'x-forwarded-proto', 'https', 'x-forwarded-port', '1', 'via', '1.1 tug',
    ])
    assert.deepEqual(rawResponseHeadersForClient(['Content-Type', 'text/plain', 'Transfer-Encoding', 'chunked', 'Connection', 'keep-alive, X-Hop', 'X-Hop', '1', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2'], 'rid'), [
      'Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'via', '1.1 tug', 'x-request-id', 'rid',
    ])
    assert.deepEqual(rawResponseHeadersForClient(['X-Request-Id', 'mine', 'Via', '1.1 app'], 'rid'), ['X-Request-Id', 'mine', 'via', '1.1 app, 1.1 tug'])
  })

  it('marks a second Host header, and sends the target authority as Host in place of the client\'s', () => {
    const raw = ['Host', 'shop.localhost', 'Accept', 'a', 'host', 'evil.localhost']
    const head = readRequestHead(raw)
    assert.deepEqual(head, {chunked: false, host: 'shop.localhost', duplicateHost: true})
    const absolute = readRequestHead(['Host', 'elsewhere', 'Accept', 'a'])
    absolute.targetAuthority = 'shop.localhost:5080'
    assert.deepEqual(rawRequestHeadersForDyno(['Host', 'elsewhere', 'Accept', 'a'], absolute, {requestId: 'r', clientIp: '::1', port: 1, protocol: 'http'}).slice(0, 4), [
      'Accept', 'a', 'host', 'shop.localhost:5080',
    ])
  })
})
