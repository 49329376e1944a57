import assert from 'node:assert/strict'
import nock from 'nock'

import Open, {browserCommand} from '../../src/commands/open.js'
import {API, runCommand, useNock} from '../helpers/capture.js'
import {app} from '../helpers/fixtures.js'

describe('open', () => {
  useNock()

  it("prints the app's web URL, with a path when given", async () => {
    nock(API).get('/apps/shop').times(2).reply(200, app('shop', {web_url: 'http://shop.localhost:5080/'}))
    const plain = await runCommand(Open, ['-a', 'shop'])
    assert.equal(plain.stdout, 'http://shop.localhost:5080/\n')
    assert.equal(plain.stderr, '')
    assert.equal(plain.code, 0)
    const withPath = await runCommand(Open, ['/admin?x=1', '-a', 'shop'])
    assert.equal(withPath.stdout, 'http://shop.localhost:5080/admin?x=1\n')
  })

  it('prints the URL as JSON with --json', async () => {
    nock(API).get('/apps/shop').reply(200, app('shop', {web_url: 'http://shop.localhost:5080/'}))
    const result = await runCommand(Open, ['-a', 'shop', '--json'])
    assert.deepEqual(JSON.parse(result.stdout), {url: 'http://shop.localhost:5080/'})
  })

  it('fails when the app has no web URL', async () => {
    nock(API).get('/apps/shop').reply(200, app('shop', {web_url: null}))
    const result = await runCommand(Open, ['-a', 'shop'])
    assert.equal(result.code, 1)
    assert.equal(result.stdout, '')
    assert.match(result.stderr, /shop has no web URL\./)
  })

  it('chooses a browser only where there is a desktop', () => {
    assert.deepEqual(browserCommand({BROWSER: 'firefox'}, 'linux'), ['firefox', []])
    assert.deepEqual(browserCommand({DISPLAY: ':0'}, 'linux'), ['xdg-open', []])
    assert.deepEqual(browserCommand({WAYLAND_DISPLAY: 'wayland-0'}, 'linux'), ['xdg-open', []])
    assert.equal(browserCommand({}, 'linux'), undefined)
    assert.deepEqual(browserCommand({}, 'darwin'), ['open', []])
    assert.deepEqual(browserCommand({}, 'win32'), ['cmd', ['/c', 'start', '""']])
  })
})
