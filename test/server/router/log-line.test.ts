import assert from 'node:assert/strict'
import {formatRouterLine} from '../../../src/server/router/log-line.js'

describe('router: log line', () => {
  it('formats a served request as Heroku does', () => {
    assert.equal(
      formatRouterLine({method: 'GET', path: '/', host: 'shop.localhost', requestId: 'abc', fwd: '127.0.0.1', dyno: 'web.2', connectMs: 0, serviceMs: 3, status: 200, bytes: 512, protocol: 'http'}),
      'at=info method=GET path="/" host=shop.localhost request_id=abc fwd="127.0.0.1" dyno=web.2 connect=0ms service=3ms status=200 bytes=512 protocol=http',
    )
  })

  it('formats an error with empty fields for what did not happen', () => {
    assert.equal(
      formatRouterLine({method: 'POST', path: '/a?b="c"', host: 'shop.localhost', requestId: 'r', fwd: '1.2.3.4, 127.0.0.1', status: 503, protocol: 'http', error: {code: 'H14', desc: 'No web processes running'}}),
      'at=error code=H14 desc="No web processes running" method=POST path="/a?b=\\"c\\"" host=shop.localhost request_id=r fwd="1.2.3.4, 127.0.0.1" dyno= connect= service= status=503 bytes= protocol=http',
    )
  })

  it('rounds times and keeps bare values one token', () => {
    const line = formatRouterLine({method: 'G T', path: '/', host: 'a b', requestId: 'r', fwd: '', connectMs: 1.6, serviceMs: -1, status: 200, bytes: 0, protocol: 'http'})
    assert.equal(line, 'at=info method=G_T path="/" host=a_b request_id=r fwd="" dyno= connect=2ms service=0ms status=200 bytes=0 protocol=http')
  })
})
