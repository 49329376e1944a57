import assert from 'node:assert/strict'
import nock from 'nock'

import Authorizations from '../../../src/commands/authorizations/index.js'
import AuthorizationsCreate from '../../../src/commands/authorizations/create.js'
import AuthorizationsInfo from '../../../src/commands/authorizations/info.js'
import AuthorizationsRevoke from '../../../src/commands/authorizations/revoke.js'
import type {OAuthAuthorization} from '../../../src/shared/api-types.js'
import {API, runCommand, useNock} from '../../helpers/capture.js'

const ID = '105a7bfa-34c3-476e-873a-b1ac3fdc12fb'

function auth(overrides: Partial<OAuthAuthorization> = {}): OAuthAuthorization {
  return {
    id: ID, description: 'CI deploys', scope: ['write'], created_at: '2026-11-27T11:15:29Z', updated_at: '2026-11-27T11:15:29Z',
    access_token: {id: '00000000-0000-0000-0000-0000000000a2', expires_in: null}, app: {id: '00000000-0000-0000-0000-0000000000b1', name: 'shop'},
    client: null, grant: null, refresh_token: null, session: null, user: {id: '00000000-0000-0000-0000-0000000000ee', email: 'you@example.com'},
    ...overrides,
  }
}

describe('authorizations commands', () => {
  useNock()

  describe('authorizations', () => {
    it('lists each token by description with its id, scope, app and expiry', async () => {
      nock(API).get('/oauth/authorizations').reply(200, [
        auth(),
        auth({id: 'b2', description: 'tug CLI on laptop', scope: ['global'], app: null}),
        auth({id: 'c3', description: 'dashboard', scope: ['read'], app: null, access_token: {id: 'x', expires_in: 7200}}),
      ])
      const result = await runCommand(Authorizations, [])
      assert.equal(result.stdout, [
        'Description        ID                                    Scope   App   Expires',
        `CI deploys         ${ID}  write   shop  never`,
        'dashboard          c3                                    read          in 2h',
        'tug CLI on laptop  b2                                    global        never',
        '',
      ].join('\n'))
    })

    it('says when there are none; --json gives the objects', async () => {
      nock(API).get('/oauth/authorizations').reply(200, [])
      const none = await runCommand(Authorizations, [])
      assert.equal(none.stdout, '')
      assert.equal(none.stderr, 'No OAuth authorizations.\n')
      nock(API).get('/oauth/authorizations').reply(200, [auth()])
      const json = await runCommand(Authorizations, ['--json'])
      assert.deepEqual(JSON.parse(json.stdout), [auth()])
    })
  })

  describe('authorizations:create', () => {
    it('posts the description, scope as an array, app and expiry; prints the token once in Heroku\'s layout', async () => {
      nock(API).post('/oauth/authorizations', {scope: ['write'], description: 'CI deploys', expires_in: 3600, app: 'shop'})
        .reply(201, auth({access_token: {id: 'a2', token: 'tug_secret', expires_in: 3600}}))
      const result = await runCommand(AuthorizationsCreate, ['--description', 'CI deploys', '--scope', 'write', '--app', 'shop', '--expires-in', '3600'])
      assert.equal(result.code, 0, result.stderr)
      assert.equal(result.stderr, 'Creating OAuth Authorization... done\n')
      assert.equal(result.stdout, [
        'Client:      <none>',
        `ID:          ${ID}`,
        'Description: CI deploys',
        'Scope:       write',
        'App:         shop',
        'Token:       tug_secret',
        'Expires at:  2026/11/27 12:20:29 +0000 (in 1h)',
        'Updated at:  2026/11/27 11:15:29 +0000 (~ 5m ago)',
        '',
      ].join('\n'))
    })

    it('defaults to a global token; --short prints the token alone; --json the object', async () => {
      nock(API).post('/oauth/authorizations', {scope: ['global']}).reply(201, auth({access_token: {id: 'a2', token: 'tug_short', expires_in: null}}))
      const short = await runCommand(AuthorizationsCreate, ['--short'])
      assert.equal(short.stdout, 'tug_short\n')
      const created = auth({access_token: {id: 'a2', token: 'tug_json', expires_in: null}})
      nock(API).post('/oauth/authorizations', {scope: ['read'], description: 'x'}).reply(201, created)
      const json = await runCommand(AuthorizationsCreate, ['-d', 'x', '-s', 'read', '--json'])
      assert.deepEqual(JSON.parse(json.stdout), created)
    })

    it('refuses a bad scope or expiry before sending anything', async () => {
      const scope = await runCommand(AuthorizationsCreate, ['--scope', 'admin'])
      assert.equal(scope.code, 2)
      assert.match(scope.stderr, /^Error: Unknown scope "admin": a token's scope is one of read, write or global\.\nread: reads only/)
      for (const bad of ['0', '-5', '1h', '']) {
        const expiry = await runCommand(AuthorizationsCreate, ['--expires-in', bad])
        assert.equal(expiry.code, 2, bad)
        assert.match(expiry.stderr, /--expires-in must be a whole number of seconds/)
      }
    })

    it("shows the server's 403 (a read token cannot make tokens)", async () => {
      nock(API).post('/oauth/authorizations').reply(403, {id: 'forbidden', message: 'This token is read-only (scope read): it cannot manage tokens or the account.'})
      const result = await runCommand(AuthorizationsCreate, [])
      assert.equal(result.code, 1)
      assert.match(result.stderr, /Error: This token is read-only/)
    })
  })

  describe('authorizations:info and :revoke', () => {
    it('info shows the token without its secret', async () => {
      nock(API).get(`/oauth/authorizations/${ID}`).reply(200, auth({app: null, scope: ['read']}))
      const result = await runCommand(AuthorizationsInfo, [ID])
      assert.equal(result.stdout, [
        'Client:      <none>',
        `ID:          ${ID}`,
        'Description: CI deploys',
        'Scope:       read',
        'App:         (every app of the user)',
        'Expires at:  never',
        'Updated at:  2026/11/27 11:15:29 +0000 (~ 5m ago)',
        '',
      ].join('\n'))
    })

    it('revoke deletes it and says which', async () => {
      nock(API).delete(`/oauth/authorizations/${ID}`).reply(200, auth())
      const result = await runCommand(AuthorizationsRevoke, [ID])
      assert.equal(result.stderr, `Revoking OAuth Authorization ${ID}... done\n`)
      assert.equal(result.stdout, 'Revoked CI deploys\n')
    })

    it("revoke shows the server's 404", async () => {
      nock(API).delete('/oauth/authorizations/nope').reply(404, {id: 'not_found', message: "Couldn't find that authorization."})
      const result = await runCommand(AuthorizationsRevoke, ['nope'])
      assert.equal(result.code, 1)
      assert.match(result.stderr, /Error: Couldn't find that authorization\./)
    })
  })
})
