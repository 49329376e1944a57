import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'
import nock from 'nock'

import AuthToken from '../../../src/commands/auth/token.js'
import AuthWhoami from '../../../src/commands/auth/whoami.js'
import Login from '../../../src/commands/login.js'
import Logout from '../../../src/commands/logout.js'
import {removeTestHome, runCommand, testHome} from '../../helpers/capture.js'

const REMOTE = 'http://tug.test:5055'

function account(email = 'you@example.com') {
  return {
    allow_tracking: false, beta: false, created_at: '2026-11-27T10:00:00Z', updated_at: '2026-11-27T10:00:00Z', email,
    federated: false, id: '00000000-0000-0000-0000-0000000000ee', identity_provider: null, last_login: null, name: null,
    sms_number: null, suspended_at: null, delinquent_at: null, two_factor_authentication: false, verified: true,
    country_of_residence: null, default_organization: null, default_team: null,
  }
}

describe('auth commands', () => {
  // No TUG_API_URL/TUG_API_KEY: these tests are about the saved login.
  const env = {TUG_API_URL: undefined, TUG_API_KEY: undefined}

  before(() => nock.disableNetConnect())
  afterEach(() => {
    const pending = nock.pendingMocks()
    nock.cleanAll()
    removeTestHome()
    assert.deepEqual(pending, [], 'every expected request was made')
  })
  after(() => nock.enableNetConnect())

  it('login --token checks the token, writes ~/.netrc (0600) and the config file', async () => {
    nock(REMOTE, {reqheaders: {authorization: 'Bearer tok-123'}}).get('/account').reply(200, account())
    const result = await runCommand(Login, [REMOTE, '--token', 'tok-123'], {env})
    assert.equal(result.stderr, `Logging in to ${REMOTE}... done\n`)
    assert.equal(result.stdout, 'Logged in as you@example.com\n')
    const netrc = join(testHome(), '.netrc')
    assert.match(readFileSync(netrc, 'utf8'), /machine tug\.test:5055\s+login you@example\.com\s+password tok-123/)
    assert.equal(statSync(netrc).mode & 0o777, 0o600)
    assert.deepEqual(JSON.parse(readFileSync(join(testHome(), '.config', 'tug', 'config.json'), 'utf8')), {url: REMOTE})
  })

  it('login reads the token from stdin when it is not a terminal', async () => {
    nock(REMOTE, {reqheaders: {authorization: 'Bearer from-stdin'}}).get('/account').reply(200, account())
    const result = await runCommand(Login, [REMOTE], {env, stdin: 'from-stdin\n'})
    assert.equal(result.code, 0)
    assert.match(readFileSync(join(testHome(), '.netrc'), 'utf8'), /password from-stdin/)
  })

  it('login prompts for the token on a terminal, and stderr stays usable after the prompt', async () => {
    nock(REMOTE, {reqheaders: {authorization: 'Bearer typed-token'}}).get('/account').reply(200, account())
    const stdin = Object.assign(new PassThrough(), {isTTY: true, setRawMode: () => stdin})
    setImmediate(() => stdin.write('typed-token\r'))
    const result = await runCommand(Login, [REMOTE], {env, stdinStream: stdin})
    assert.equal(result.code, 0)
    assert.match(result.stderr, /API token for http:\/\/tug\.test:5055/)
    assert.ok(!result.stderr.includes('typed-token'), 'the token is masked')
    assert.ok(result.stderr.endsWith(`Logging in to ${REMOTE}... done\n`), result.stderr)
    assert.match(readFileSync(join(testHome(), '.netrc'), 'utf8'), /password typed-token/)
  })

  it('login with a bad token writes nothing and shows the 401', async () => {
    nock(REMOTE).get('/account').reply(401, {id: 'unauthorized', message: 'Invalid credentials provided.'})
    const result = await runCommand(Login, [REMOTE, '--token', 'bad'], {env})
    assert.equal(result.code, 1)
    assert.match(result.stderr, /^Logging in to http:\/\/tug\.test:5055\.\.\. !\nError: Invalid credentials provided\.\n/)
    assert.equal(existsSync(join(testHome(), '.netrc')), false)
  })

  it('login without a URL anywhere is a usage error', async () => {
    const result = await runCommand(Login, ['--token', 'x'], {env})
    assert.equal(result.code, 2)
    assert.match(result.stderr, /^Error: No control plane URL given\.\nRun `tug login URL`/)
  })

  it('whoami and auth:token use the saved login; logout forgets it', async () => {
    nock(REMOTE).get('/account').reply(200, account())
    await runCommand(Login, [REMOTE, '--token', 'tok-9'], {env})

    nock(REMOTE, {reqheaders: {authorization: 'Bearer tok-9'}}).get('/account').reply(200, account())
    const whoami = await runCommand(AuthWhoami, [], {env})
    assert.equal(whoami.stdout, 'you@example.com\n')

    const token = await runCommand(AuthToken, [], {env})
    assert.equal(token.stdout, 'tok-9\n')

    const logout = await runCommand(Logout, [], {env})
    assert.equal(logout.stderr, 'Logging out... done\n')
    assert.doesNotMatch(readFileSync(join(testHome(), '.netrc'), 'utf8'), /tug\.test/)
    assert.equal(existsSync(join(testHome(), '.config', 'tug', 'config.json')), false)
  })

  it('logout keeps other machines in ~/.netrc', async () => {
    mkdirSync(join(testHome(), '.config', 'tug'), {recursive: true})
    writeFileSync(join(testHome(), '.config', 'tug', 'config.json'), JSON.stringify({url: REMOTE}))
    writeFileSync(join(testHome(), '.netrc'), 'machine api.heroku.com\n  login me\n  password h\nmachine tug.test:5055\n  login me\n  password t\n', {mode: 0o600})
    await runCommand(Logout, [], {env})
    assert.equal(readFileSync(join(testHome(), '.netrc'), 'utf8'), 'machine api.heroku.com\n  login me\n  password h\n')
  })

  it('whoami prints the account as JSON with TUG_API_KEY', async () => {
    nock('http://api.test', {reqheaders: {authorization: 'Bearer test-key'}}).get('/account').reply(200, account('ci@example.com'))
    const result = await runCommand(AuthWhoami, ['--json'])
    assert.equal(JSON.parse(result.stdout).email, 'ci@example.com')
  })

  it('auth:token prints TUG_API_KEY', async () => {
    const result = await runCommand(AuthToken, [])
    assert.equal(result.stdout, 'test-key\n')
  })
})
