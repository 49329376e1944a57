import assert from 'node:assert/strict'
import {appFromHost, hostname, normaliseDomain, requestTarget} from '../../../src/server/router/host.js'

describe('router: host -> app', () => {
  it('reads <app>.localhost with and without a port', () => {
    assert.equal(appFromHost('shop.localhost'), 'shop')
    assert.equal(appFromHost('shop.localhost:5080'), 'shop')
    assert.equal(appFromHost('Shop.LocalHost:5080'), 'shop')
    assert.equal(appFromHost('shop.localhost.'), 'shop')
    assert.equal(appFromHost('infinite-crag-6128.localhost:80'), 'infinite-crag-6128')
  })

  it('reads <app>.<domain> for configured domains only', () => {
    assert.equal(appFromHost('shop.apps.example.com', ['apps.example.com']), 'shop')
    assert.equal(appFromHost('shop.apps.example.com:8080', ['.Apps.Example.com.']), 'shop')
    assert.equal(appFromHost('shop.apps.example.com'), undefined)
    assert.equal(appFromHost('shop.other.com', ['apps.example.com']), undefined)
  })

  it('answers nothing for other hosts', () => {
    for (const host of [undefined, '', 'localhost', 'localhost:5080', '127.0.0.1:5080', '[::1]:5080', 'www.shop.localhost',
      '.localhost', 'a.localhost', '1shop.localhost', 'shop-.localhost', 'sh_op.localhost', 'shop.localhost:abc', 'shoplocalhost']) {
      assert.equal(appFromHost(host), undefined, String(host))
    }
  })

  it('hostname drops the port and case', () => {
    assert.equal(hostname('Shop.Localhost:5080'), 'shop.localhost')
    assert.equal(hostname('[::1]:80'), undefined)
    assert.equal(normaliseDomain(' .Apps.Example.COM. '), 'apps.example.com')
  })

  it('reads a request-target: origin form as is, absolute form as its authority and origin form (RFC 9112 3.2)', () => {
    assert.deepEqual(requestTarget('/x?y=1'), {path: '/x?y=1'})
    assert.deepEqual(requestTarget('*'), {path: '*'})
    assert.deepEqual(requestTarget('http://shop.localhost:5080/x?y=1'), {authority: 'shop.localhost:5080', path: '/x?y=1'})
    assert.deepEqual(requestTarget('HTTPS://shop.localhost'), {authority: 'shop.localhost', path: '/'})
    assert.deepEqual(requestTarget('http://shop.localhost?q=1'), {authority: 'shop.localhost', path: '/?q=1'})
    assert.deepEqual(requestTarget('http://shop.localhost/a#frag'), {authority: 'shop.localhost', path: '/a'})
    for (const target of ['x', 'shop.localhost:443', 'ftp://shop.localhost/', 'http://user:pw@shop.localhost/', 'http:///x', '']) {
      assert.equal(requestTarget(target), undefined, target)
    }
  })
})
