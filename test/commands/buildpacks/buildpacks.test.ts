import assert from 'node:assert/strict'
import nock from 'nock'

import Buildpacks from '../../../src/commands/buildpacks/index.js'
import BuildpacksAdd from '../../../src/commands/buildpacks/add.js'
import BuildpacksClear from '../../../src/commands/buildpacks/clear.js'
import BuildpacksRemove from '../../../src/commands/buildpacks/remove.js'
import BuildpacksSet from '../../../src/commands/buildpacks/set.js'
import type {BuildpackInstallation} from '../../../src/shared/api-types.js'
import {API, runCommand, useNock} from '../../helpers/capture.js'

const PATH = '/apps/shop/buildpack-installations'
const list = (...urls: string[]): BuildpackInstallation[] => urls.map((url, ordinal) => ({buildpack: {url, name: url}, ordinal}))
const updates = (...urls: string[]) => ({updates: urls.map((buildpack) => ({buildpack}))})

/** GET answers `before`; the PUT must carry `after` exactly, and is answered with it. */
function expectChange(before: string[], after: string[]): nock.Scope {
  return nock(API).get(PATH).reply(200, list(...before)).put(PATH, updates(...after)).reply(200, list(...after))
}

describe('buildpacks commands', () => {
  useNock()

  describe('buildpacks', () => {
    it('shows one buildpack under a header, several numbered', async () => {
      nock(API).get(PATH).reply(200, list('heroku/nodejs'))
      const one = await runCommand(Buildpacks, ['-a', 'shop'])
      assert.equal(one.stdout, '=== shop Buildpack URL\nheroku/nodejs\n')
      assert.equal(one.code, 0)
      nock(API).get(PATH).reply(200, list('/srv/bp', 'heroku/python'))
      const two = await runCommand(Buildpacks, ['-a', 'shop'])
      assert.equal(two.stdout, '=== shop Buildpack URLs\n1. /srv/bp\n2. heroku/python\n')
    })

    it('says the built-in buildpacks are detected when none is set (stderr), and prints the objects with --json', async () => {
      nock(API).get(PATH).reply(200, [])
      const none = await runCommand(Buildpacks, ['-a', 'shop'])
      assert.equal(none.stdout, '')
      assert.equal(none.stderr, 'shop has no Buildpack URL set. Builds detect the built-in buildpacks (heroku/nodejs, heroku/python).\n')
      nock(API).get(PATH).reply(200, list('heroku/nodejs'))
      const json = await runCommand(Buildpacks, ['-a', 'shop', '--json'])
      assert.deepEqual(JSON.parse(json.stdout), list('heroku/nodejs'))
    })

    it('needs an app', async () => {
      const result = await runCommand(Buildpacks, [])
      assert.equal(result.code, 2)
      assert.match(result.stderr, /No app specified/)
    })
  })

  describe('buildpacks:set', () => {
    it('sets the first buildpack and says how to use it, as Heroku does', async () => {
      const scope = expectChange([], ['heroku/nodejs'])
      const result = await runCommand(BuildpacksSet, ['heroku/nodejs', '-a', 'shop'])
      assert.equal(result.stdout, [
        'Buildpack set. Next release on shop will use heroku/nodejs.',
        'Run git push tug main to create a new release using this buildpack.',
        '',
      ].join('\n'))
      assert.equal(result.code, 0)
      scope.done()
    })

    it('replaces the first, or the one at -i, and appends past the end', async () => {
      expectChange(['a/x', '/srv/two'], ['/srv/one', '/srv/two'])
      await runCommand(BuildpacksSet, ['/srv/one', '-a', 'shop'])
      expectChange(['/srv/one', '/srv/two'], ['/srv/one', 'heroku/python'])
      const second = await runCommand(BuildpacksSet, ['heroku/python', '-i', '2', '-a', 'shop', '-r', 'staging'])
      assert.equal(second.stdout, [
        'Buildpack set. Next release on shop will use:',
        '  1. /srv/one',
        '  2. heroku/python',
        'Run git push staging main to create a new release using these buildpacks.',
        '',
      ].join('\n'))
      expectChange(['/srv/one'], ['/srv/one', '/srv/three'])
      assert.equal((await runCommand(BuildpacksSet, ['/srv/three', '-i', '5', '-a', 'shop'])).code, 0)
    })

    it('refuses a buildpack already set and an index below 1, sending nothing', async () => {
      nock(API).get(PATH).reply(200, list('heroku/nodejs'))
      const twice = await runCommand(BuildpacksSet, ['heroku/nodejs', '-a', 'shop'])
      assert.equal(twice.code, 1)
      assert.match(twice.stderr, /^Error: The buildpack heroku\/nodejs is already set on your app\./)
      const zero = await runCommand(BuildpacksSet, ['heroku/nodejs', '-i', '0', '-a', 'shop'])
      assert.equal(zero.code, 2)
      assert.match(zero.stderr, /Invalid index. Must be greater than 0./)
    })

    it("shows the server's 422 for a buildpack it refuses", async () => {
      nock(API).get(PATH).reply(200, []).put(PATH).reply(422, {id: 'invalid_params', message: 'Buildpack 1 is invalid: "heroku/ruby" is not a buildpack tug knows'})
      const result = await runCommand(BuildpacksSet, ['heroku/ruby', '-a', 'shop'])
      assert.equal(result.code, 1)
      assert.match(result.stderr, /^Error: Buildpack 1 is invalid: "heroku\/ruby" is not a buildpack tug knows/)
    })

    it('needs a buildpack', async () => {
      assert.equal((await runCommand(BuildpacksSet, ['-a', 'shop'])).code, 2)
    })
  })

  describe('buildpacks:add', () => {
    it('appends, or inserts at -i', async () => {
      const scope = expectChange(['heroku/nodejs'], ['heroku/nodejs', '/srv/bp'])
      const result = await runCommand(BuildpacksAdd, ['/srv/bp', '-a', 'shop'])
      assert.equal(result.stdout, [
        'Buildpack added. Next release on shop will use:',
        '  1. heroku/nodejs',
        '  2. /srv/bp',
        'Run git push tug main to create a new release using these buildpacks.',
        '',
      ].join('\n'))
      scope.done()
      expectChange(['heroku/nodejs', '/srv/bp'], ['file:///srv/first', 'heroku/nodejs', '/srv/bp'])
      assert.equal((await runCommand(BuildpacksAdd, ['file:///srv/first', '-i', '1', '-a', 'shop'])).code, 0)
      expectChange(['heroku/nodejs'], ['heroku/nodejs', '/srv/last'])
      assert.equal((await runCommand(BuildpacksAdd, ['/srv/last', '-i', '9', '-a', 'shop'])).code, 0)
    })

    it('refuses a buildpack already set', async () => {
      nock(API).get(PATH).reply(200, list('/srv/bp'))
      const result = await runCommand(BuildpacksAdd, ['/srv/bp', '-a', 'shop'])
      assert.equal(result.code, 1)
      assert.match(result.stderr, /already set on your app/)
    })
  })

  describe('buildpacks:remove', () => {
    it('removes by URL or by index', async () => {
      expectChange(['heroku/nodejs', '/srv/bp'], ['heroku/nodejs'])
      const byUrl = await runCommand(BuildpacksRemove, ['/srv/bp', '-a', 'shop'])
      assert.equal(byUrl.stdout, 'Buildpack removed. Next release on shop will use heroku/nodejs.\nRun git push tug main to create a new release using this buildpack.\n')
      expectChange(['heroku/nodejs', '/srv/bp'], ['/srv/bp'])
      assert.equal((await runCommand(BuildpacksRemove, ['-i', '1', '-a', 'shop'])).code, 0)
      expectChange(['/srv/bp'], [])
      const last = await runCommand(BuildpacksRemove, ['/srv/bp', '-a', 'shop'])
      assert.equal(last.stdout, 'Buildpack removed. Next release on shop will detect buildpacks normally.\n')
    })

    it('says what is wrong, and sends no change', async () => {
      const both = await runCommand(BuildpacksRemove, ['/srv/bp', '-i', '1', '-a', 'shop'])
      assert.deepEqual([both.code, both.stderr.split('\n')[0]], [2, 'Error: Please choose either index or Buildpack, but not both.'])
      const neither = await runCommand(BuildpacksRemove, ['-a', 'shop'])
      assert.deepEqual([neither.code, neither.stderr.split('\n')[0]], [2, 'Error: Must specify a buildpack to remove, either by index or URL.'])
      nock(API).get(PATH).reply(200, [])
      const none = await runCommand(BuildpacksRemove, ['/srv/bp', '-a', 'shop'])
      assert.deepEqual([none.code, none.stderr.split('\n')[0]], [1, 'Error: No buildpacks were found. Next release on shop will detect buildpacks normally.'])
      nock(API).get(PATH).reply(200, list('/srv/bp'))
      const missing = await runCommand(BuildpacksRemove, ['/srv/other', '-a', 'shop'])
      assert.deepEqual([missing.code, missing.stderr.split('\n')[0]], [1, 'Error: Buildpack not found. Nothing was removed.'])
      nock(API).get(PATH).reply(200, list('/srv/bp'))
      const one = await runCommand(BuildpacksRemove, ['-i', '2', '-a', 'shop'])
      assert.deepEqual([one.code, one.stderr.split('\n')[0]], [2, 'Error: Invalid index. Only valid value is 1.'])
      nock(API).get(PATH).reply(200, list('/a', '/b', '/c'))
      const range = await runCommand(BuildpacksRemove, ['-i', '4', '-a', 'shop'])
      assert.deepEqual([range.code, range.stderr.split('\n')[0]], [2, 'Error: Invalid index. Please choose a value between 1 and 3'])
    })
  })

  describe('buildpacks:clear', () => {
    it('PUTs an empty list and says detection is back', async () => {
      const scope = nock(API).put(PATH, updates()).reply(200, [])
      const result = await runCommand(BuildpacksClear, ['-a', 'shop'])
      assert.equal(result.stdout, 'Buildpacks cleared. Next release on shop will detect buildpacks normally.\n')
      assert.equal(result.code, 0)
      scope.done()
      nock(API).put(PATH, updates()).reply(200, [])
      assert.deepEqual(JSON.parse((await runCommand(BuildpacksClear, ['-a', 'shop', '--json'])).stdout), [])
    })
  })
})
