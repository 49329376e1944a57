import assert from 'node:assert/strict'
import nock from 'nock'

import Config from '../../../src/commands/config/index.js'
import ConfigGet from '../../../src/commands/config/get.js'
import ConfigSet from '../../../src/commands/config/set.js'
import ConfigUnset from '../../../src/commands/config/unset.js'
import {API, runCommand, useNock} from '../../helpers/capture.js'
import {release} from '../../helpers/fixtures.js'

const LATEST = /^version \.\.; (max=1, order=desc|order=desc, ?max=1)$/

describe('config commands', () => {
  useNock()

  const vars = {FOO: 'bar', DATABASE_URL: 'postgres://db/shop', GREETING: "it's a test"}

  describe('config', () => {
    it('prints aligned KEY: value lines under a header', async () => {
      nock(API).get('/apps/shop/config-vars').reply(200, vars)
      const result = await runCommand(Config, ['-a', 'shop'])
      assert.equal(result.stdout, [
        '=== shop Config Vars',
        'DATABASE_URL: postgres://db/shop',
        'FOO:          bar',
        "GREETING:     it's a test",
        '',
      ].join('\n'))
    })

    it('prints shell-quoted KEY=value lines with --shell', async () => {
      nock(API).get('/apps/shop/config-vars').reply(200, vars)
      const result = await runCommand(Config, ['-a', 'shop', '--shell'])
      assert.equal(result.stdout, "DATABASE_URL=postgres://db/shop\nFOO=bar\nGREETING='it'\\''s a test'\n")
    })

    it('prints the map with --json', async () => {
      nock(API).get('/apps/shop/config-vars').reply(200, vars)
      const result = await runCommand(Config, ['-a', 'shop', '--json'])
      assert.deepEqual(JSON.parse(result.stdout), vars)
    })

    it('says when there are none', async () => {
      nock(API).get('/apps/shop/config-vars').reply(200, {})
      const result = await runCommand(Config, ['-a', 'shop'])
      assert.equal(result.stdout, '')
      assert.equal(result.stderr, 'shop has no config vars.\n')
    })
  })

  describe('config:get', () => {
    it('prints the value', async () => {
      nock(API).get('/apps/shop/config-vars').reply(200, vars)
      const result = await runCommand(ConfigGet, ['DATABASE_URL', '-a', 'shop'])
      assert.equal(result.stdout, 'postgres://db/shop\n')
    })

    it('prints an empty line and exits 0 for a missing key, as Heroku does', async () => {
      nock(API).get('/apps/shop/config-vars').reply(200, vars)
      const result = await runCommand(ConfigGet, ['NOPE', '-a', 'shop'])
      assert.equal(result.stdout, '\n')
      assert.equal(result.code, 0)
    })

    it('prints KEY=value with --shell', async () => {
      nock(API).get('/apps/shop/config-vars').reply(200, vars)
      const result = await runCommand(ConfigGet, ['GREETING', '-a', 'shop', '-s'])
      assert.equal(result.stdout, "GREETING='it'\\''s a test'\n")
    })

    it('needs a KEY', async () => {
      const result = await runCommand(ConfigGet, ['-a', 'shop'])
      assert.equal(result.code, 2)
    })
  })

  describe('config:set', () => {
    it('sets vars, prints the new release on stderr and the vars on stdout', async () => {
      nock(API).patch('/apps/shop/config-vars', {FOO: 'bar', BAR: 'a=b c'}).reply(200, {FOO: 'bar', BAR: 'a=b c', OTHER: 'x'})
      nock(API, {reqheaders: {range: LATEST}}).get('/apps/shop/releases').reply(200, [release(7, {description: 'Set FOO, BAR config vars'})])
      const result = await runCommand(ConfigSet, ['FOO=bar', 'BAR=a=b c', '-a', 'shop'])
      assert.equal(result.stderr, 'Setting FOO, BAR and restarting shop... done, v7\n')
      assert.equal(result.stdout, 'BAR: a=b c\nFOO: bar\n')
      assert.equal(result.code, 0)
    })

    it('rejects an argument without =, sending nothing', async () => {
      const result = await runCommand(ConfigSet, ['FOO', '-a', 'shop'])
      assert.equal(result.stderr, 'Error: FOO is invalid. Use KEY=VALUE, for example FOO=bar.\n')
      assert.equal(result.code, 2)
    })

    it("shows the server's 422", async () => {
      nock(API).patch('/apps/shop/config-vars').reply(422, {id: 'invalid_params', message: 'Config var values must be strings.'})
      const result = await runCommand(ConfigSet, ['FOO=1', '-a', 'shop'])
      assert.equal(result.stderr, 'Setting FOO and restarting shop... !\nError: Config var values must be strings.\n')
      assert.equal(result.code, 1)
    })
  })

  describe('config:unset', () => {
    it('sends nulls and prints the new release', async () => {
      nock(API).patch('/apps/shop/config-vars', {FOO: null, BAR: null}).reply(200, {OTHER: 'x'})
      nock(API, {reqheaders: {range: LATEST}}).get('/apps/shop/releases').reply(200, [release(8)])
      const result = await runCommand(ConfigUnset, ['FOO', 'BAR', '-a', 'shop'])
      assert.equal(result.stderr, 'Unsetting FOO, BAR and restarting shop... done, v8\n')
      assert.equal(result.stdout, '')
    })

    it('needs at least one key', async () => {
      const result = await runCommand(ConfigUnset, ['-a', 'shop'])
      assert.equal(result.code, 2)
      assert.equal(result.stderr, 'Error: No config var names given.\nUsage: tug config:unset KEY [KEY2 ...]\n')
    })
  })
})
