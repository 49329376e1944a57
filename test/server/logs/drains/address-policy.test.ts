import assert from 'node:assert/strict'
import type {LookupAddress} from 'node:dns'
import {connect} from 'node:net'
import {describe, it} from 'mocha'
import {addressProblem, DrainAddressRefused, guardedLookup, hostProblem, type Resolve} from '../../../../src/server/logs/drains/address-policy.js'

describe('logs/drains: address policy', () => {
  it('names every non-public range, IPv4-mapped and other IPv6 forms of IPv4 included', () => {
    const refused: Array<[string, string]> = [
      ['0.0.0.0', 'an unspecified address'],
      ['10.1.2.3', 'a private address'],
      ['100.64.0.1', 'a private address (shared address space)'],
      ['127.0.0.1', 'a loopback address'],
      ['127.255.255.254', 'a loopback address'],
      ['169.254.169.254', 'a link-local address'],
      ['172.16.0.1', 'a private address'],
      ['172.31.255.255', 'a private address'],
      ['192.168.1.1', 'a private address'],
      ['224.0.0.1', 'a multicast address'],
      ['239.255.255.250', 'a multicast address'],
      ['240.0.0.1', 'a reserved address'],
      ['255.255.255.255', 'the broadcast address'],
      ['::', 'an unspecified address'],
      ['::1', 'a loopback address'],
      ['fc00::1', 'a private address (unique local)'],
      ['fd12:3456::1', 'a private address (unique local)'],
      ['fe80::1', 'a link-local address'],
      ['FE80::1%eth0', 'a link-local address'],
      ['ff02::1', 'a multicast address'],
      ['::ffff:127.0.0.1', 'a loopback address (127.0.0.1, as IPv6)'],
      ['::ffff:7f00:1', 'a loopback address (127.0.0.1, as IPv6)'],
      ['::ffff:a9fe:a9fe', 'a link-local address (169.254.169.254, as IPv6)'],
      ['::10.0.0.1', 'a private address (10.0.0.1, as IPv6)'],
      ['64:ff9b::c0a8:101', 'a private address (192.168.1.1, as IPv6)'],
      ['2002:7f00:1::', 'a loopback address (127.0.0.1, as 6to4)'],
    ]
    for (const [ip, problem] of refused) assert.equal(addressProblem(ip), problem, ip)
    for (const ip of ['8.8.8.8', '172.32.0.1', '172.15.255.255', '100.128.0.1', '203.0.113.5', '2001:db8::1', '2606:4700::1111', '::ffff:8.8.8.8', '2002:808:808::']) {
      assert.equal(addressProblem(ip), undefined, ip)
    }
    assert.equal(addressProblem('logs.example.com'), undefined, 'names are judged once resolved')
  })

  it('judges a URL host without DNS: literals (bracketed too) and localhost', () => {
    assert.equal(hostProblem('[::1]'), 'a loopback address')
    assert.equal(hostProblem('LOCALHOST.'), 'a loopback address')
    assert.equal(hostProblem('shop.localhost'), 'a loopback address')
    assert.equal(hostProblem('logs.example.com'), undefined)
    assert.equal(hostProblem('localhost.example.com'), undefined)
  })

  it('answers only allowed addresses to a connect, so the socket goes where the check looked', async () => {
    const fake = (answers: string[]): Resolve => (_host, _options, callback) => callback(null, answers.map((address): LookupAddress => ({address, family: address.includes(':') ? 6 : 4})))
    const ask = (answers: string[], all: boolean) =>
      new Promise<{error: Error | null; address: unknown}>((resolve) => guardedLookup(fake(answers))('drain.test', {all}, (error, address) => resolve({error, address})))
    assert.deepEqual((await ask(['10.0.0.1', '203.0.113.5'], true)).address, [{address: '203.0.113.5', family: 4}])
    assert.equal((await ask(['::1', '203.0.113.5'], false)).address, '203.0.113.5')
    const refused = await ask(['127.0.0.1'], false)
    assert.ok(refused.error instanceof DrainAddressRefused)
    assert.match(refused.error.message, /^drain to drain\.test: not connecting to 127\.0\.0\.1, a loopback address; start the control plane with --allow-private-drains/)

    // Through net.connect: a name that resolves to loopback never connects.
    const socket = connect({host: 'drain.test', port: 9, lookup: guardedLookup(fake(['127.0.0.1'])), autoSelectFamily: false})
    const error = await new Promise<Error>((resolve) => socket.once('error', resolve))
    socket.destroy()
    assert.ok(error instanceof DrainAddressRefused)
  })
})
