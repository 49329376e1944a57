import assert from 'node:assert/strict'
import nock from 'nock'

import Config from '../../../src/commands/config/index.js'
import ConfigGet from '../../../src/commands/config/get.js'
import ConfigSet from '../../../src/commands/config/set.js'
import ConfigUnset from '../../../src/commands/config/unset.js'
import type {Release} from '../../../src/shared/api-types.js'
import {API, runCommand, useNock} from '../../helpers/capture.js'
import {dyno, release} from '../../helpers/fixtures.js'

const LATEST = /^version \.\.; (max=1, order=desc|order=desc, ?max=1)$/
const RECENT = 'version ..; max=10, order=desc'

/** The latest release, as config:set/unset read it before and after their change. */
function latest(...releases: Release[]): void {
  for (const r of releases) nock(API, {reqheaders: {range: LATEST}}).get('/apps/shop/releases').reply(200, [r])
}

/** The recent releases `tug config` reads to tell whether the latest is in effect. */
function recent(...releases: Release[]): void {
  nock(API, {reqheaders: {range: RECENT}}).get('/apps/shop/releases').reply(200, releases)
}

describe('config commands', () => {
  useNock()

  const vars = {FOO: 'bar', DATABASE_URL: 'postgres://db/shop', GREETING: "it's a test"}

  describe('config', () => {
    it('prints aligned KEY: value lines under a header', async () => {
      nock(API).get('/apps/shop/config-vars').reply(200, vars)
      recent(release(7, {current: true}))
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
      recent(release(7, {current: true}))
      const result = await runCommand(Config, ['-a', 'shop', '--shell'])
      assert.equal(result.stdout, "DATABASE_URL=postgres://db/shop\nFOO=bar\nGREETING='it'\\''s a test'\n")
    })

    it('prints the map with --json', async () => {
      nock(API).get('/apps/shop/config-vars').reply(200, vars)
      recent(release(7, {current: true}))
      const result = await runCommand(Config, ['-a', 'shop', '--json'])
      assert.deepEqual(JSON.parse(result.stdout), vars)
    })

    it('says when there are none', async () => {
      nock(API).get('/apps/shop/config-vars').reply(200, {})
      recent(release(7, {current: true}))
      const result = await runCommand(Config, ['-a', 'shop'])
      assert.equal(result.stdout, '')
      assert.equal(result.stderr, 'shop has no config vars.\n')
    })

    it('says on stderr when the latest release is pending, and shows the values of the current one', async () => {
      nock(API).get('/apps/shop/config-vars').reply(200, {GREETING: 'hi'})
      recent(release(12, {status: 'pending', description: 'Set FAIL config vars'}), release(11, {current: true}), release(10))
      const result = await runCommand(Config, ['-a', 'shop'])
      assert.equal(result.code, 0)
      assert.equal(result.stderr, 'Release v12 is pending (release phase running); these are the values of v11, the current release.\n')
      assert.equal(result.stdout, '=== shop Config Vars\nGREETING: hi\n')
    })

    it('says so when the latest release failed its release phase, also with --shell', async () => {
      nock(API).get('/apps/shop/config-vars').reply(200, {GREETING: 'hi'})
      recent(release(12, {status: 'failed'}), release(11, {current: true}))
      const result = await runCommand(Config, ['-a', 'shop', '--shell'])
      assert.equal(result.stderr, 'Release v12 failed its release phase, so its config vars are not in effect; these are the values of v11, the current release.\n')
      assert.equal(result.stdout, 'GREETING=hi\n')
    })

    it('still shows the config when the releases cannot be read', async () => {
      nock(API).get('/apps/shop/config-vars').reply(200, {GREETING: 'hi'})
      nock(API).get('/apps/shop/releases').reply(404, {id: 'not_found', message: 'no'})
      const result = await runCommand(Config, ['-a', 'shop'])
      assert.equal(result.code, 0)
      assert.equal(result.stderr, '')
      assert.equal(result.stdout, '=== shop Config Vars\nGREETING: hi\n')
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
      latest(release(6, {current: true}))
      nock(API).patch('/apps/shop/config-vars', {FOO: 'bar', BAR: 'a=b c'}).reply(200, {FOO: 'bar', BAR: 'a=b c', OTHER: 'x'})
      latest(release(7, {description: 'Set FOO, BAR config vars', current: true}))
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
      latest(release(6, {current: true}))
      nock(API).patch('/apps/shop/config-vars').reply(422, {id: 'invalid_params', message: 'Config var values must be strings.'})
      const result = await runCommand(ConfigSet, ['FOO=1', '-a', 'shop'])
      assert.equal(result.stderr, 'Setting FOO and restarting shop... !\nError: Config var values must be strings.\n')
      assert.equal(result.code, 1)
    })
  })

  describe('config:set and config:unset with a release phase', () => {
    /** v12's release phase in the log: release.3's lines, ending with `last`. */
    function phaseLog(last: string, output: string[]): void {
      nock(API).get('/apps/shop/dynos').reply(200, [dyno('release.3', {type: 'release', release: {id: release(12).id, version: 12}})])
      nock(API).post('/apps/shop/log-sessions', {dyno: 'release.3', lines: 1500, tail: true}).reply(201, {logplex_url: `${API}/streams/logs/r3`})
      const lines = [
        '2026-11-27T11:15:30.000001+00:00 tug[release.3]: Starting process with command `test -z "$FAIL" || exit 1`',
        ...output.map((text, i) => `2026-11-27T11:15:30.${String(i + 1).padStart(6, '0')}+00:00 app[release.3]: ${text}`),
        `2026-11-27T11:15:31.000001+00:00 tug[release.3]: ${last}`,
      ]
      nock(API).get('/streams/logs/r3').reply(200, lines.map((l, i) => `id: ${i + 1}\ndata: ${l}\n\n`).join(''), {'Content-Type': 'text/event-stream'})
    }

    it('config:set follows the release phase and says done only when the release is current', async () => {
      latest(release(11, {current: true}))
      nock(API).patch('/apps/shop/config-vars', {OK: '1'}).reply(200, {OK: '1'})
      latest(release(12, {status: 'pending'}))
      nock(API).get(`/apps/shop/releases/${release(12).id}`).reply(200, release(12, {status: 'pending'}))
      nock(API).get(`/apps/shop/releases/${release(12).id}`).reply(200, release(12, {current: true}))
      phaseLog('Release v12 succeeded and is now current', ['checked'])
      const result = await runCommand(ConfigSet, ['OK=1', '-a', 'shop'])
      assert.equal(result.code, 0, result.stderr)
      assert.equal(result.stderr, [
        'Setting OK and restarting shop... pending, v12',
        'Running release phase of v12...',
        'Waiting for release v12... done',
        '',
      ].join('\n'))
      assert.equal(result.stdout, 'checked\nOK: 1\n')
    })

    it('config:set exits 1 when the release phase fails, with where its output is and advice for a config change', async () => {
      latest(release(11, {current: true}))
      nock(API).patch('/apps/shop/config-vars', {FAIL: '1', GREETING: 'x'}).reply(200, {FAIL: '1', GREETING: 'x'})
      latest(release(12, {status: 'pending'}))
      nock(API).get(`/apps/shop/releases/${release(12).id}`).reply(200, release(12, {status: 'failed'}))
      phaseLog('Release v12 failed: the release command exited with status 1; v11 stays current', ['FAIL is set'])
      const result = await runCommand(ConfigSet, ['FAIL=1', 'GREETING=x', '-a', 'shop'])
      assert.equal(result.code, 1)
      assert.equal(result.stdout, 'FAIL is set\n', 'the phase output, and not the vars, which are not in effect')
      assert.equal(result.stderr, [
        'Setting FAIL, GREETING and restarting shop... pending, v12',
        'Running release phase of v12...',
        'Waiting for release v12... failed',
        'Error: The release phase of v12 on shop failed, so v12 did not become current: the config change did not take effect.',
        'Its output is in `tug logs -a shop --dyno release`. Fix the release command or the values, then set them again; `tug config -a shop` shows the values in effect.',
        '',
      ].join('\n'))
    })

    it('config:set fails at once on a release phase that failed before it looked', async () => {
      latest(release(11, {current: true}))
      nock(API).patch('/apps/shop/config-vars').reply(200, {FAIL: '1'})
      latest(release(12, {status: 'failed'}))
      const result = await runCommand(ConfigSet, ['FAIL=1', '-a', 'shop'])
      assert.equal(result.code, 1)
      assert.equal(result.stdout, '')
      assert.match(result.stderr, /^Setting FAIL and restarting shop\.\.\. failed, v12\nError: The release phase of v12 on shop failed, so v12 did not become current: the config change did not take effect\.\n/)
    })

    it('config:set of the values already set makes no release, and an earlier failed one is not its failure', async () => {
      latest(release(12, {status: 'failed'}))
      nock(API).patch('/apps/shop/config-vars', {GREETING: 'hi'}).reply(200, {GREETING: 'hi'})
      latest(release(12, {status: 'failed'}))
      const result = await runCommand(ConfigSet, ['GREETING=hi', '-a', 'shop'])
      assert.equal(result.code, 0, result.stderr)
      assert.equal(result.stderr, 'Setting GREETING and restarting shop... done, v12\n')
      assert.equal(result.stdout, 'GREETING: hi\n')
    })

    it('config:unset exits 1 when the release phase fails, saying the vars are still set', async () => {
      latest(release(11, {current: true}))
      nock(API).patch('/apps/shop/config-vars', {GREETING: null}).reply(200, {})
      latest(release(12, {status: 'pending'}))
      nock(API).get(`/apps/shop/releases/${release(12).id}`).reply(200, release(12, {status: 'failed'}))
      phaseLog('Release v12 failed: the release command exited with status 1; v11 stays current', [])
      const result = await runCommand(ConfigUnset, ['GREETING', '-a', 'shop'])
      assert.equal(result.code, 1)
      assert.equal(result.stderr, [
        'Unsetting GREETING and restarting shop... pending, v12',
        'Running release phase of v12...',
        'Waiting for release v12... failed',
        'Error: The release phase of v12 on shop failed, so v12 did not become current: the config change did not take effect.',
        'Its output is in `tug logs -a shop --dyno release`. Fix the release command, then unset them again; `tug config -a shop` shows the values in effect.',
        '',
      ].join('\n'))
    })
  })

  describe('config:unset', () => {
    it('sends nulls and prints the new release', async () => {
      latest(release(7, {current: true}))
      nock(API).patch('/apps/shop/config-vars', {FOO: null, BAR: null}).reply(200, {OTHER: 'x'})
      latest(release(8, {current: true}))
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
