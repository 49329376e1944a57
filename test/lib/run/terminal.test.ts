import assert from 'node:assert/strict'

import {InterruptTracker} from '../../../src/lib/run/terminal.js'
import {noProxy, proxyFor} from '../../../src/lib/run/proxy.js'

describe('run: Ctrl-C and proxies', () => {
  it('forwards a first Ctrl-C and detaches on a second within a second', () => {
    let now = 10_000
    const tracker = new InterruptTracker(() => now)
    assert.equal(tracker.hit(), 'forward')
    now += 1500
    assert.equal(tracker.hit(), 'forward')
    now += 999
    assert.equal(tracker.hit(), 'detach')
    now += 100
    assert.equal(tracker.hit(), 'forward', 'after a detach the count starts again')
  })

  it('picks HTTPS_PROXY for https and HTTP_PROXY for http, unless NO_PROXY matches', () => {
    const env = {HTTPS_PROXY: 'http://proxy.corp:3128', HTTP_PROXY: 'proxy.corp:8080', NO_PROXY: 'localhost,.internal,example.org:8443'}
    assert.equal(proxyFor(new URL('https://api.example.com/x'), env)?.href, 'http://proxy.corp:3128/')
    assert.equal(proxyFor(new URL('http://api.example.com/x'), env)?.href, 'http://proxy.corp:8080/')
    assert.equal(proxyFor(new URL('http://localhost:5055/x'), env), undefined)
    assert.equal(proxyFor(new URL('https://db.internal/x'), env), undefined)
    assert.equal(proxyFor(new URL('https://example.org:8443/x'), env), undefined)
    assert.equal(proxyFor(new URL('https://example.org/x'), env)?.host, 'proxy.corp:3128', 'NO_PROXY with a port matches that port only')
    assert.equal(proxyFor(new URL('https://api.example.com/x'), {}), undefined)
    assert.equal(noProxy(new URL('http://anything:1/'), '*'), true)
    assert.equal(noProxy(new URL('http://notinternal/'), '.internal'), false)
  })
})
