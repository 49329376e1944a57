import assert from 'node:assert/strict'
import nock from 'nock'

import Releases from '../../../src/commands/releases/index.js'
import ReleasesInfo from '../../../src/commands/releases/info.js'
import ReleasesRollback from '../../../src/commands/releases/rollback.js'
import {API, runCommand, useNock} from '../../helpers/capture.js'
import {release} from '../../helpers/fixtures.js'

const NOW = Date.parse('2026-11-27T11:20:29Z')

describe('releases commands', () => {
  useNock()

  describe('releases', () => {
    it('asks for the newest 15 and lists them in columns', async () => {
      nock(API, {reqheaders: {range: 'version ..; max=15, order=desc'}})
        .get('/apps/shop/releases')
        .reply(200, [
          release(7, {description: 'Set FOO config vars', current: true}),
          release(6, {description: 'Deploy 5ec1351', created_at: '2026-11-27T10:20:29Z'}),
        ])
      const result = await runCommand(Releases, ['-a', 'shop'], {now: NOW})
      assert.equal(result.stdout, [
        '=== shop Releases - Current: v7',
        'v7  Set FOO config vars  you@example.com  2026/11/27 11:15:29 +0000 (~ 5m ago)',
        'v6  Deploy 5ec1351       you@example.com  2026/11/27 10:20:29 +0000 (~ 1h ago)',
        '',
      ].join('\n'))
    })

    it('takes -n', async () => {
      nock(API, {reqheaders: {range: 'version ..; max=1, order=desc'}}).get('/apps/shop/releases').reply(200, [release(7, {current: true})])
      const result = await runCommand(Releases, ['-a', 'shop', '-n', '1', '--json'])
      assert.deepEqual(JSON.parse(result.stdout), [release(7, {current: true})])
    })
  })

  describe('releases:info', () => {
    it('shows the current release and its config', async () => {
      nock(API, {reqheaders: {range: /max=1/}}).get('/apps/shop/releases').reply(200, [release(7, {current: true})])
      nock(API).get('/apps/shop/releases/7/config-vars').reply(200, {FOO: 'bar'})
      const result = await runCommand(ReleasesInfo, ['-a', 'shop'], {now: NOW})
      assert.equal(result.stdout, [
        '=== Release v7',
        'By:      you@example.com',
        'Change:  Deploy v7',
        'Current: yes',
        'Status:  succeeded',
        'When:    2026/11/27 11:15:29 +0000 (~ 5m ago)',
        '',
        '=== v7 Config vars',
        'FOO: bar',
        '',
      ].join('\n'))
    })

    it('takes a version like v5', async () => {
      nock(API).get('/apps/shop/releases/5').reply(200, release(5))
      nock(API).get('/apps/shop/releases/5/config-vars').reply(200, {})
      const result = await runCommand(ReleasesInfo, ['v5', '-a', 'shop', '--json'], {now: NOW})
      assert.deepEqual(JSON.parse(result.stdout), {...release(5), config_vars: {}})
    })

    it('rejects a bad version before any request', async () => {
      const result = await runCommand(ReleasesInfo, ['five', '-a', 'shop'])
      assert.equal(result.stderr, 'Error: five is not a release version. Use a number like 7 or v7.\n')
      assert.equal(result.code, 2)
    })

    it("shows the server's 404", async () => {
      nock(API).get('/apps/shop/releases/99').reply(404, {id: 'not_found', message: "Couldn't find that release."})
      const result = await runCommand(ReleasesInfo, ['99', '-a', 'shop'])
      assert.equal(result.stderr, "Error: Couldn't find that release.\n")
      assert.equal(result.code, 1)
    })
  })

  describe('releases:rollback', () => {
    it('rolls back to the release before the current one by default', async () => {
      nock(API, {reqheaders: {range: 'version ..; max=2, order=desc'}}).get('/apps/shop/releases').reply(200, [release(7, {current: true}), release(6)])
      nock(API).post('/apps/shop/releases', {release: release(6).id}).reply(201, release(8, {description: 'Rollback to v6', current: true}))
      const result = await runCommand(ReleasesRollback, ['-a', 'shop'])
      assert.equal(result.stderr, 'Rolling back shop to v6... done, v8\n')
      assert.equal(result.stdout, '')
    })

    it('rolls back to a given version', async () => {
      nock(API).get('/apps/shop/releases/3').reply(200, release(3))
      nock(API).post('/apps/shop/releases', {release: release(3).id}).reply(201, release(8))
      const result = await runCommand(ReleasesRollback, ['v3', '-a', 'shop'])
      assert.equal(result.stderr, 'Rolling back shop to v3... done, v8\n')
    })

    it('streams the release phase output when there is one', async () => {
      nock(API).get('/apps/shop/releases/3').reply(200, release(3))
      nock(API).post('/apps/shop/releases').reply(201, release(8, {output_stream_url: `${API}/streams/release-8`}))
      nock(API).get('/streams/release-8').reply(200, 'data: migrating\n\ndata: done\n\n', {'Content-Type': 'text/event-stream'})
      const result = await runCommand(ReleasesRollback, ['3', '-a', 'shop'])
      assert.equal(result.stderr, 'Rolling back shop to v3... done, v8\nRunning release command...\n')
      assert.equal(result.stdout, 'migrating\ndone\n')
    })

    it('follows a release phase the server runs for the rollback, and says done only when it is current', async () => {
      nock(API).get('/apps/shop/releases/3').reply(200, release(3))
      nock(API).post('/apps/shop/releases', {release: release(3).id}).reply(201, release(8, {status: 'pending'}))
      nock(API).get('/apps/shop/dynos').reply(200, [])
      nock(API).post('/apps/shop/log-sessions', {dyno: 'release', lines: 1500, tail: true}).reply(201, {logplex_url: `${API}/streams/logs/r8`})
      const log = [
        '2026-11-27T11:15:30.000001+00:00 tug[release.4]: Starting process with command `./migrate`',
        '2026-11-27T11:15:30.100000+00:00 app[release.4]: migrated',
        '2026-11-27T11:15:31.000000+00:00 tug[release.4]: Release v8 succeeded and is now current',
      ]
      nock(API).get('/streams/logs/r8').reply(200, log.map((l) => `data: ${l}\n\n`).join(''), {'Content-Type': 'text/event-stream'})
      nock(API).get(`/apps/shop/releases/${release(8).id}`).reply(200, release(8, {current: true}))
      const result = await runCommand(ReleasesRollback, ['v3', '-a', 'shop'])
      assert.equal(result.code, 0, result.stderr)
      assert.equal(result.stderr, 'Rolling back shop to v3... pending, v8\nRunning release phase of v8...\nWaiting for release v8... done\n')
      assert.equal(result.stdout, 'migrated\n')
    })

    it('exits 1 when the release phase of the rollback fails, saying the rollback did not take effect', async () => {
      nock(API).get('/apps/shop/releases/3').reply(200, release(3))
      nock(API).post('/apps/shop/releases', {release: release(3).id}).reply(201, release(8, {status: 'failed'}))
      const result = await runCommand(ReleasesRollback, ['v3', '-a', 'shop'])
      assert.equal(result.code, 1)
      assert.equal(result.stderr, [
        'Rolling back shop to v3... failed, v8',
        'Error: The release phase of v8 on shop failed, so v8 did not become current: the rollback to v3 did not take effect.',
        'Its output is in `tug logs -a shop --dyno release`. `tug releases -a shop` shows the current release.',
        '',
      ].join('\n'))
    })

    it('fails when there is nothing before the current release', async () => {
      nock(API).get('/apps/shop/releases').reply(200, [release(1, {current: true})])
      const result = await runCommand(ReleasesRollback, ['-a', 'shop'])
      assert.equal(result.stderr, 'Error: shop has no release before v1 to roll back to.\n')
      assert.equal(result.code, 1)
    })
  })
})
