import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'
import nock from 'nock'

import AuthToken from '../../../src/commands/auth/token.js'
import AuthWhoami from '../../../src/commands/auth/whoami.js'
import Login from '../../../src/commands/login.js'
import Logout from '../../../src/commands/logout.js'
import {removeTestHome, runCommand, testHome} from '../../helpers/capture.js'
import {terminalStdin} from '../../helpers/terminal-stdin.js'

const REMOTE = 'http://tug.test:5055'

function account(email = 'you@example.com') {
  return {
    allow_tracking: false, beta: false, created_at: '2026-11-27T10:00:00Z', updated_at: '2026-11-27T10:00:00Z', email,
    federated: false, id: '00000000-0000-0000-0000-0000000000ee', identity_provider: null, last_login: null, name: null,
    sms_number: null, suspended_at: null, delinquent_at: null, two_factor_authentication: false, verified: true,
    country_of_residence: null, default_organization: null, default_team: null,
  }
}

function authorization(token: string) {
  return {
    id: '00000000-0000-0000-0000-0000000000a1', description: 'tug CLI on here', scope: ['global'], created_at: '2026-11-27T10:00:00Z',
    updated_at: '2026-11-27T10:00:00Z', access_token: {id: '00000000-0000-0000-0000-0000000000a2', token, expires_in: null}, app: null,
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

  it('login on a terminal asks for email and password, gets a token with Basic auth, and saves it', async () => {
    const basic = `Basic ${Buffer.from('you@example.com:correct horse', 'utf8').toString('base64')}`
    nock(REMOTE, {reqheaders: {authorization: basic}})
      .post('/oauth/authorizations', {description: `tug CLI on ${hostname()}`, scope: ['global']})
      .reply(201, authorization('typed-token'))
    nock(REMOTE, {reqheaders: {authorization: 'Bearer typed-token'}}).get('/account').reply(200, account())
    const result = await runCommand(Login, [REMOTE], {env, stdinStream: terminalStdin(['you@example.com', 'correct horse'])})
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stderr, /Email/)
    assert.match(result.stderr, /Password/)
    assert.ok(!result.stderr.includes('correct horse'), 'the password is masked')
    assert.ok(result.stderr.endsWith(`Logging in to ${REMOTE} as you@example.com... done\n`), result.stderr)
    assert.equal(result.stdout, 'Logged in as you@example.com\n')
    assert.match(readFileSync(join(testHome(), '.netrc'), 'utf8'), /machine tug\.test:5055\s+login you@example\.com\s+password typed-token/)
  })

  it('a password login saves its token id; the next one to the same control plane revokes the token it replaces', async () => {
    nock(REMOTE).post('/oauth/authorizations').reply(201, {...authorization('first'), id: 'auth-1'})
    nock(REMOTE).get('/account').reply(200, account())
    const first = await runCommand(Login, [REMOTE, '--email', 'you@example.com'], {env: {...env, TUG_PASSWORD: 'pw'}, stdin: ''})
    assert.equal(first.code, 0, first.stderr)
    assert.deepEqual(JSON.parse(readFileSync(join(testHome(), '.config', 'tug', 'config.json'), 'utf8')), {url: REMOTE, authorization: 'auth-1'})

    nock(REMOTE).post('/oauth/authorizations').reply(201, {...authorization('second'), id: 'auth-2'})
    nock(REMOTE).get('/account').reply(200, account())
    // The old token revokes itself: it is the one that may, whoever logs in now.
    nock(REMOTE, {reqheaders: {authorization: 'Bearer first'}}).delete('/oauth/authorizations/auth-1').reply(200, {...authorization('x'), id: 'auth-1'})
    const second = await runCommand(Login, [REMOTE, '--email', 'you@example.com'], {env: {...env, TUG_PASSWORD: 'pw'}, stdin: ''})
    assert.equal(second.code, 0, second.stderr)
    assert.match(readFileSync(join(testHome(), '.netrc'), 'utf8'), /password second/)

    // logout revokes the token its password login made, with that token.
    nock(REMOTE, {reqheaders: {authorization: 'Bearer second'}}).delete('/oauth/authorizations/auth-2').reply(200, {...authorization('x'), id: 'auth-2'})
    const out = await runCommand(Logout, ['--json'], {env})
    assert.equal(out.code, 0, out.stderr)
    assert.equal(JSON.parse(out.stdout).revokedToken, true)
    assert.doesNotMatch(readFileSync(join(testHome(), '.netrc'), 'utf8'), /second/)
  })

  it('logout after a --token login revokes nothing, and logout goes on when the control plane is gone', async () => {
    const unmatched: string[] = []
    const record = (request: {method?: string; path?: string}) => unmatched.push(`${request.method} ${request.path}`)
    nock.emitter.on('no match', record)
    try {
      nock(REMOTE).get('/account').reply(200, account())
      await runCommand(Login, [REMOTE, '--token', 'pasted'], {env})
      const out = await runCommand(Logout, ['--json'], {env})
      assert.equal(JSON.parse(out.stdout).revokedToken, false)
      assert.deepEqual(unmatched, [], 'no request was made')

      nock(REMOTE).post('/oauth/authorizations').reply(201, {...authorization('made'), id: 'auth-3'})
      nock(REMOTE).get('/account').reply(200, account())
      await runCommand(Login, [REMOTE, '--email', 'you@example.com'], {env: {...env, TUG_PASSWORD: 'pw'}, stdin: ''})
      nock(REMOTE).delete('/oauth/authorizations/auth-3').reply(503, {id: 'service_unavailable', message: 'down'})
      const gone = await runCommand(Logout, ['--json'], {env})
      assert.equal(gone.code, 0, gone.stderr)
      assert.equal(JSON.parse(gone.stdout).revokedToken, false)
      assert.equal(JSON.parse(gone.stdout).removedCredentials, true)
      assert.equal(existsSync(join(testHome(), '.config', 'tug', 'config.json')), false)
    } finally {
      nock.emitter.removeListener('no match', record)
    }
  })

  it('login with a wrong password shows the 401 with what to do, and writes nothing', async () => {
    nock(REMOTE).post('/oauth/authorizations').reply(401, {id: 'unauthorized', message: 'Wrong email or password.'})
    const result = await runCommand(Login, [REMOTE, '--email', 'you@example.com'], {env: {...env, TUG_PASSWORD: 'nope'}, stdin: ''})
    assert.equal(result.code, 1)
    assert.match(result.stderr, /Error: Wrong email or password\.\nCheck the email and the password\. The admin has no password: it logs in with its token \(tug login URL --token TOKEN\)\. An invited user sets a password first: tug login URL --invite CODE\./)
    assert.equal(existsSync(join(testHome(), '.netrc')), false)
    // tug's message names --invite itself: the hint does not say it twice.
    nock(REMOTE).post('/oauth/authorizations').reply(401, {id: 'unauthorized', message: 'Wrong email or password. An invited user sets a password with tug login URL --invite CODE first.'})
    const tugs = await runCommand(Login, [REMOTE, '--email', 'you@example.com'], {env: {...env, TUG_PASSWORD: 'nope'}, stdin: ''})
    assert.match(tugs.stderr, /--invite CODE first\.\nCheck the email and the password\. The admin has no password: it logs in with its token \(tug login URL --token TOKEN\)\.\n$/)
  })

  it('login shows the throttle (429) once, without retrying the POST', async () => {
    nock(REMOTE).post('/oauth/authorizations').once().reply(429, {id: 'rate_limit', message: 'Too many failed logins; wait 42 seconds.'})
    const result = await runCommand(Login, [REMOTE, '--email', 'you@example.com'], {env: {...env, TUG_PASSWORD: 'pw'}, stdin: ''})
    assert.equal(result.code, 1)
    assert.match(result.stderr, /Error: Too many failed logins; wait 42 seconds\.\nWait, then try again/)
    assert.equal(result.slept, 0)
  })

  it('login --email with TUG_PASSWORD works without a terminal (scripts)', async () => {
    nock(REMOTE, {reqheaders: {authorization: `Basic ${Buffer.from('ci@example.com:s3cret-pass').toString('base64')}`}}).post('/oauth/authorizations').reply(201, authorization('scripted'))
    nock(REMOTE, {reqheaders: {authorization: 'Bearer scripted'}}).get('/account').reply(200, account('ci@example.com'))
    const result = await runCommand(Login, [REMOTE, '--email', 'ci@example.com', '--json'], {env: {...env, TUG_PASSWORD: 's3cret-pass'}, stdin: ''})
    assert.equal(result.code, 0, result.stderr)
    assert.equal(JSON.parse(result.stdout).email, 'ci@example.com')
  })

  it('login --invite asks for a new password twice, accepts the invitation without a token, then logs in', async () => {
    nock(REMOTE, {badheaders: ['authorization']}).post('/users/invitations/accept', {code: 'ABCD-1234', password: 'a long password'}).reply(201, {id: 'u1', email: 'new@example.com'})
    nock(REMOTE, {reqheaders: {authorization: `Basic ${Buffer.from('new@example.com:a long password').toString('base64')}`}}).post('/oauth/authorizations').reply(201, authorization('fresh'))
    nock(REMOTE, {reqheaders: {authorization: 'Bearer fresh'}}).get('/account').reply(200, account('new@example.com'))
    const result = await runCommand(Login, [REMOTE, '--invite', 'ABCD-1234'], {env, stdinStream: terminalStdin(['a long password', 'a long password'])})
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stderr, /New password[^]*The same password again[^]*Accepting the invitation\.\.\. done\n/)
    assert.equal(result.stdout, 'Logged in as new@example.com\n')
    assert.match(readFileSync(join(testHome(), '.netrc'), 'utf8'), /login new@example\.com\s+password fresh/)
  })

  it('login --invite with two different passwords sends nothing', async () => {
    const result = await runCommand(Login, [REMOTE, '--invite', 'ABCD-1234'], {env, stdinStream: terminalStdin(['a long password', 'another password'])})
    assert.equal(result.code, 2)
    assert.match(result.stderr, /Error: The two passwords differ; nothing was changed\./)
  })

  it("login --invite takes TUG_PASSWORD; a used code shows the server's 422 and logs nothing in", async () => {
    const gone = 'This invitation code is not valid: it was used already, has expired (after 7 days) or was mistyped. Ask the admin for a new one (tug users:invite EMAIL).'
    nock(REMOTE).post('/users/invitations/accept', {code: 'USED', password: 'a long password'}).reply(422, {id: 'invalid_params', message: gone})
    const result = await runCommand(Login, [REMOTE, '--invite', 'USED'], {env: {...env, TUG_PASSWORD: 'a long password'}, stdin: ''})
    assert.equal(result.code, 1)
    assert.equal(result.stderr, `Accepting the invitation... !\nError: ${gone}\n`)
    assert.equal(existsSync(join(testHome(), '.netrc')), false)
  })

  it('login without a terminal, a token or a password says what to do', async () => {
    const empty = await runCommand(Login, [REMOTE], {env, stdin: ''})
    assert.equal(empty.code, 2)
    assert.match(empty.stderr, /^Error: No token on stdin, and stdin is not a terminal to ask for an email and a password\.\nIn a script, pass --token TOKEN .*TUG_API_KEY.*TUG_PASSWORD/)
    const invite = await runCommand(Login, [REMOTE, '--invite', 'X'], {env, stdin: ''})
    assert.equal(invite.code, 2)
    assert.match(invite.stderr, /needs a new password, and stdin is not a terminal/)
    const email = await runCommand(Login, [REMOTE, '--email', 'a@b.c'], {env, stdin: ''})
    assert.equal(email.code, 2)
    assert.match(email.stderr, /Give the password in TUG_PASSWORD/)
    const both = await runCommand(Login, [REMOTE, '--token', 't', '--email', 'a@b.c'], {env})
    assert.equal(both.code, 2)
    assert.equal(existsSync(join(testHome(), '.netrc')), false)
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
