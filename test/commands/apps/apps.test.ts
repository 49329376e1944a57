import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {terminalStdin} from '../../helpers/terminal-stdin.js'
import nock from 'nock'

import Apps from '../../../src/commands/apps/index.js'
import AppsCreate from '../../../src/commands/apps/create.js'
import AppsDestroy from '../../../src/commands/apps/destroy.js'
import AppsInfo from '../../../src/commands/apps/info.js'
import {API, runCommand, useNock} from '../../helpers/capture.js'
import {app, dyno} from '../../helpers/fixtures.js'
import {networkError} from '../../helpers/network-error.js'

describe('apps commands', () => {
  useNock()

  describe('apps', () => {
    it('lists app names sorted, with the region when not us', async () => {
      nock(API, {reqheaders: {authorization: 'Bearer test-key', accept: /application\/vnd\.heroku\+json; version=3/, 'user-agent': /^tug\/\d+\.\d+\.\d+/}})
        .get('/apps')
        .reply(200, [app('zoo'), app('shop'), app('berlin', {region: {id: 'x', name: 'eu'}})])
      const result = await runCommand(Apps, [])
      assert.equal(result.stdout, '=== Apps\nberlin (eu)\nshop\nzoo\n')
      assert.equal(result.stderr, '')
      assert.equal(result.code, 0)
    })

    it('follows Next-Range to a second page', async () => {
      nock(API).get('/apps').reply(206, [app('a-one')], {'Next-Range': 'id ]a-one..; max=1'})
      nock(API, {reqheaders: {range: 'id ]a-one..; max=1'}}).get('/apps').reply(200, [app('b-two')])
      const result = await runCommand(Apps, [])
      assert.equal(result.stdout, '=== Apps\na-one\nb-two\n')
    })

    it('shows a server warning once on stderr', async () => {
      nock(API).get('/apps').reply(200, [app('shop')], {'X-Heroku-Warning': 'This API is deprecated.'})
      const result = await runCommand(Apps, [])
      assert.equal(result.stderr, 'Warning: This API is deprecated.\n')
      assert.equal(result.stdout, '=== Apps\nshop\n')
    })

    it('says so when there are no apps', async () => {
      nock(API).get('/apps').reply(200, [])
      const result = await runCommand(Apps, [])
      assert.equal(result.stdout, '')
      assert.equal(result.stderr, 'You have no apps. Create one with `tug apps:create NAME`.\n')
    })

    it('prints the API objects with --json', async () => {
      nock(API).get('/apps').reply(200, [app('shop')])
      const result = await runCommand(Apps, ['--json'])
      assert.deepEqual(JSON.parse(result.stdout), [app('shop')])
    })

    it('shows the login hint on a 401 and exits 1', async () => {
      nock(API).get('/apps').reply(401, {id: 'unauthorized', message: 'Invalid credentials provided.'})
      const result = await runCommand(Apps, [])
      assert.equal(result.stdout, '')
      assert.equal(result.stderr, 'Error: Invalid credentials provided.\nRun `tug login`, or check TUG_API_KEY.\n')
      assert.equal(result.code, 1)
    })

    it('retries a 429 and then succeeds', async () => {
      nock(API).get('/apps').reply(429, {id: 'rate_limit', message: 'slow down'}, {'Retry-After': '0'})
      nock(API).get('/apps').reply(200, [app('shop')])
      const result = await runCommand(Apps, [])
      assert.equal(result.stdout, '=== Apps\nshop\n')
      assert.equal(result.code, 0)
    })

    it('reports a reset connection as an error naming the URL', async () => {
      for (let i = 0; i < 4; i++) nock(API).get('/apps').replyWithError(networkError('ECONNRESET', 'socket hang up'))
      const result = await runCommand(Apps, [])
      assert.equal(result.code, 1)
      assert.match(result.stderr, /^Error: .*api\.test/)
    })

    it('reports malformed JSON from the server', async () => {
      nock(API).get('/apps').reply(200, '{"not json', {'Content-Type': 'application/json'})
      const result = await runCommand(Apps, [])
      assert.equal(result.code, 1)
      assert.match(result.stderr, /^Error: /)
      assert.equal(result.stdout, '')
    })
  })

  describe('apps:create', () => {
    it('creates a named app and prints its URLs', async () => {
      nock(API).post('/apps', {name: 'shop', region: 'eu'}).reply(201, app('shop'))
      const result = await runCommand(AppsCreate, ['shop', '--region', 'eu'])
      assert.equal(result.stderr, 'Creating shop... done\n')
      assert.equal(result.stdout, 'https://shop.tug.example.com/ | https://tug.example.com/shop.git\n')
    })

    it('creates an app owned by a team with --team', async () => {
      nock(API).post('/apps', {name: 'shop', team: 'payments'}).reply(201, app('shop', {team: {id: '00000000-0000-0000-0000-0000000000c1', name: 'payments'}}))
      const result = await runCommand(AppsCreate, ['shop', '--team', 'payments', '--no-remote'])
      assert.equal(result.code, 0, result.stderr)
      assert.equal(result.stderr, 'Creating shop... done\n')
    })

    it('adds a git remote in a git repository, which later commands use to find the app', async () => {
      const repo = mkdtempSync(join(tmpdir(), 'tug-repo-'))
      try {
        execFileSync('git', ['init', '-q', repo])
        nock(API).post('/apps', {name: 'shop'}).reply(201, app('shop'))
        const created = await runCommand(AppsCreate, ['shop'], {cwd: repo})
        assert.equal(created.stderr, 'Creating shop... done\nGit remote tug added: https://tug.example.com/shop.git\n')
        assert.equal(execFileSync('git', ['remote', 'get-url', 'tug'], {cwd: repo, encoding: 'utf8'}).trim(), 'https://tug.example.com/shop.git')

        nock(API).get('/apps/shop').reply(200, app('shop'))
        nock(API).get('/apps/shop/dynos').reply(200, [])
        const info = await runCommand(AppsInfo, [], {cwd: repo})
        assert.equal(info.stdout.split('\n')[0], '=== shop')

        nock(API).post('/apps', {name: 'other'}).reply(201, app('other'))
        const again = await runCommand(AppsCreate, ['other'], {cwd: repo})
        assert.equal(again.stderr, 'Creating other... done\n', 'an existing remote is left alone')
        nock(API).post('/apps', {name: 'third'}).reply(201, app('third'))
        await runCommand(AppsCreate, ['third', '--remote', 'staging'], {cwd: repo})
        assert.equal(execFileSync('git', ['remote', 'get-url', 'staging'], {cwd: repo, encoding: 'utf8'}).trim(), 'https://tug.example.com/third.git')
        nock(API).post('/apps', {name: 'fourth'}).reply(201, app('fourth'))
        const none = await runCommand(AppsCreate, ['fourth', '--remote', 'prod', '--no-remote'], {cwd: repo})
        assert.equal(none.stderr, 'Creating fourth... done\n')
      } finally {
        rmSync(repo, {recursive: true, force: true})
      }
    })

    it('names the app the server picked', async () => {
      nock(API).post('/apps', {}).reply(201, app('infinite-crag-6128'))
      const result = await runCommand(AppsCreate, [])
      assert.equal(result.stderr, 'Creating app... done, infinite-crag-6128\n')
    })

    it("shows the server's 422 message", async () => {
      nock(API).post('/apps', {name: 'Bad'}).reply(422, {id: 'invalid_params', message: 'Name must start with a letter, end with a letter or digit and can only contain lowercase letters, digits, and dashes.'})
      const result = await runCommand(AppsCreate, ['Bad'])
      assert.equal(
        result.stderr,
        'Creating Bad... !\nError: Name must start with a letter, end with a letter or digit and can only contain lowercase letters, digits, and dashes.\n' +
          'App names are 3 to 30 characters long, for example shop or shop-staging.\n',
      )
      assert.equal(result.code, 1)
    })
  })

  describe('apps:info', () => {
    it('shows the app and a dyno summary', async () => {
      nock(API).get('/apps/shop').reply(200, app('shop'))
      nock(API).get('/apps/shop/dynos').reply(200, [dyno('web.1'), dyno('web.2'), dyno('worker.1')])
      const result = await runCommand(AppsInfo, ['-a', 'shop'])
      assert.equal(result.stdout, [
        '=== shop',
        'Dynos:       web: 2, worker: 1',
        'Git URL:     https://tug.example.com/shop.git',
        'Owner:       you@example.com',
        'Region:      us',
        'Stack:       heroku-24',
        'Web URL:     https://shop.tug.example.com/',
        'Maintenance: off',
        'Created:     2026/11/27 10:00:00 +0000',
        'Released:    2026/11/27 11:15:29 +0000',
        '',
      ].join('\n'))
    })

    it('shows unknown, not NaN, for a created_at that is missing or not a date (a server that is not tug)', async () => {
      const {created_at: _omitted, ...withoutCreated} = app('shop')
      nock(API).get('/apps/shop').reply(200, {...withoutCreated, released_at: 'soon'})
      nock(API).get('/apps/shop/dynos').reply(200, [])
      const result = await runCommand(AppsInfo, ['-a', 'shop'])
      const lines = result.stdout.split('\n')
      assert.equal(lines.find((line) => line.startsWith('Created:')), 'Created:     unknown')
      assert.equal(lines.find((line) => line.startsWith('Released:')), 'Released:    unknown')
      assert.doesNotMatch(result.stdout, /NaN/)
      assert.equal(result.code, 0)
    })

    it('says none when there are no dynos, and still shows the app when the dyno list fails', async () => {
      nock(API).get('/apps/shop').reply(200, app('shop'))
      nock(API).get('/apps/shop/dynos').reply(200, [])
      const none = await runCommand(AppsInfo, ['shop'])
      assert.equal(none.stdout.split('\n')[1], 'Dynos:       none')
      nock(API).get('/apps/shop').reply(200, app('shop'))
      nock(API).get('/apps/shop/dynos').reply(403, {id: 'forbidden', message: 'no'})
      const failed = await runCommand(AppsInfo, ['shop'])
      assert.equal(failed.stdout.split('\n')[1], 'Dynos:       unknown')
      assert.equal(failed.code, 0)
    })

    it('takes the app from TUG_APP', async () => {
      nock(API).get('/apps/shop').reply(200, app('shop'))
      nock(API).get('/apps/shop/dynos').reply(200, [])
      const result = await runCommand(AppsInfo, ['--json'], {env: {TUG_APP: 'shop'}})
      assert.deepEqual(JSON.parse(result.stdout), {app: app('shop'), dynos: []})
    })

    it('gives the 404 hint for an unknown app', async () => {
      nock(API).get('/apps/nope').reply(404, {id: 'not_found', message: "Couldn't find that app.", resource: 'app'})
      const result = await runCommand(AppsInfo, ['-a', 'nope'])
      assert.equal(result.stderr, "Error: Couldn't find that app.\nCheck the app name with `tug apps`.\n")
      assert.equal(result.code, 1)
    })

    it('is a usage error with no app, and sends nothing', async () => {
      const result = await runCommand(AppsInfo, [])
      assert.equal(result.stderr, 'Error: No app specified. Use -a APP or set TUG_APP.\n')
      assert.equal(result.code, 2)
    })
  })

  describe('apps:destroy', () => {
    it('destroys with a matching --confirm', async () => {
      nock(API).delete('/apps/shop').reply(200, app('shop'))
      const result = await runCommand(AppsDestroy, ['-a', 'shop', '--confirm', 'shop'])
      assert.equal(result.stderr, 'Destroying shop (including all add-ons)... done\n')
      assert.equal(result.code, 0)
    })

    it('refuses without a terminal and without --confirm, exit 2, no request', async () => {
      const result = await runCommand(AppsDestroy, ['shop'])
      assert.equal(result.stderr, 'Error: Refusing to destroy shop without confirmation.\nPass --confirm shop to destroy it.\n')
      assert.equal(result.code, 2)
    })

    it('asks for the name on a terminal', async () => {
      nock(API).delete('/apps/shop').reply(200, app('shop'))
      const result = await runCommand(AppsDestroy, ['-a', 'shop'], {stdinStream: terminalStdin(['shop'])})
      assert.equal(result.code, 0)
      assert.ok(result.stderr.startsWith('WARNING: This will permanently destroy shop, its config, releases and dynos.\n'))
      assert.ok(result.stderr.endsWith('Destroying shop (including all add-ons)... done\n'), result.stderr)
    })

    it('destroys nothing when the typed name does not match', async () => {
      const result = await runCommand(AppsDestroy, ['-a', 'shop'], {stdinStream: terminalStdin(['shoe'])})
      assert.equal(result.code, 2)
      assert.ok(result.stderr.endsWith('Error: Confirmation "shoe" did not match shop. Nothing was destroyed.\n'), result.stderr)
    })

    it('refuses a --confirm that does not match', async () => {
      const result = await runCommand(AppsDestroy, ['-a', 'shop', '--confirm', 'shoe'])
      assert.equal(result.stderr, 'Error: Confirmation "shoe" did not match shop. Nothing was destroyed.\n')
      assert.equal(result.code, 2)
    })
  })
})
