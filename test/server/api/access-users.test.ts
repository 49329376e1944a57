// Issue 17 on a real control plane: invitations, password logins through POST /oauth/authorizations
// (Heroku's Basic email:password), throttling, scoped tokens, removal; and what the database keeps.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'mocha'
import type {OAuthAuthorization as HerokuAuthorization} from '@heroku-cli/schema'
import type {Account, OAuthAuthorization, User, UserInvitation} from '../../../src/shared/api-types.js'
import {Store} from '../../../src/server/store/index.js'
import {startApiServer, type ApiResponse, type TestApiServer} from '../../helpers/api-server.js'
import {waitFor} from '../../helpers/wait-for.js'

// Held against Heroku's schema: a client typed for Heroku's reads tug's authorizations.
const heroku = (a: OAuthAuthorization): HerokuAuthorization => ({...a, access_token: a.access_token, scope: a.scope})

const basic = (user: string, password: string) => ({Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`})

describe('API: users, logins and tokens (issue 17)', () => {
  let server: TestApiServer

  before(async () => {
    server = await startApiServer()
  })

  after(async () => {
    await server.close()
  })

  async function invite(email: string, password: string): Promise<string> {
    const invited = await server.call<UserInvitation>('POST', '/users/invitations', {body: {email}})
    assert.equal(invited.status, 201)
    const accepted = await server.call<{id: string; email: string}>('POST', '/users/invitations/accept', {token: null, body: {code: invited.body.code, password}})
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body))
    return accepted.body.id
  }

  async function login(email: string, password: string, body: unknown = {description: 'laptop'}): Promise<ApiResponse<OAuthAuthorization>> {
    return server.call<OAuthAuthorization>('POST', '/oauth/authorizations', {token: null, headers: basic(email, password), body})
  }

  it('invites a user, who sets a password with the one-time code, then logs in and is themselves', async () => {
    const invited = await server.call<UserInvitation>('POST', '/users/invitations', {body: {email: 'Ada@Example.com'}})
    assert.equal(invited.status, 201)
    assert.equal(invited.body.email, 'ada@example.com')
    assert.match(invited.body.code, /^[\w-]{43}$/)
    const week = Date.parse(invited.body.expires_at) - Date.now()
    assert.ok(week > 6.9 * 86_400_000 && week <= 7 * 86_400_000, invited.body.expires_at)
    let users = await server.call<User[]>('GET', '/users')
    assert.deepEqual(users.body.map((u) => [u.email, u.admin, u.state]), [['admin@tug.local', true, 'active'], ['ada@example.com', false, 'invited']])

    const short = await server.call('POST', '/users/invitations/accept', {token: null, body: {code: invited.body.code, password: 'short'}})
    assert.deepEqual([short.status, (short.body as {message: string}).message], [422, 'The password is too short: use at least 10 characters.'])
    const accepted = await server.call('POST', '/users/invitations/accept', {token: null, body: {code: invited.body.code, password: 'ada lovelace 1815'}})
    assert.equal(accepted.status, 200)
    const again = await server.call('POST', '/users/invitations/accept', {token: null, body: {code: invited.body.code, password: 'ada lovelace 1815'}})
    assert.equal(again.status, 422, 'a code works once')
    assert.match((again.body as {message: string}).message, /^This invitation code is not valid: it was used already/)
    users = await server.call<User[]>('GET', '/users')
    assert.equal(users.body.find((u) => u.email === 'ada@example.com')?.state, 'active')

    const created = await login('ada@example.com', 'ada lovelace 1815', {description: 'laptop', scope: ['global']})
    assert.equal(created.status, 201)
    heroku(created.body)
    assert.deepEqual({...created.body.access_token, token: undefined}, {id: created.body.id, token: undefined, expires_in: null})
    assert.match(created.body.access_token?.token ?? '', /^tug_/)
    assert.deepEqual(created.body.scope, ['global'])
    const me = await server.call<Account>('GET', '/account', {token: created.body.access_token?.token ?? ''})
    assert.equal(me.body.email, 'ada@example.com', 'GET /account answers the actual user')
    // Her tokens are hers: listed without secrets; the admin's are not among them.
    const listed = await server.call<OAuthAuthorization[]>('GET', '/oauth/authorizations', {token: created.body.access_token?.token ?? ''})
    // Only the token presented shows its secret (Heroku's auth:token finds itself so); no other secret is kept.
    assert.deepEqual(listed.body.map((a) => [a.description, a.access_token?.token]), [['laptop', created.body.access_token?.token]])
    const second = await login('ada@example.com', 'ada lovelace 1815', {description: 'desktop'})
    const seenBySecond = await server.call<OAuthAuthorization[]>('GET', '/oauth/authorizations', {token: second.body.access_token?.token ?? ''})
    assert.deepEqual(seenBySecond.body.map((a) => [a.description, a.access_token?.token]), [['laptop', undefined], ['desktop', second.body.access_token?.token]])
    // Not an admin: users are not hers to manage.
    const refused = await server.call('GET', '/users', {token: created.body.access_token?.token ?? ''})
    assert.deepEqual([refused.status, (refused.body as {id: string}).id], [403, 'forbidden'])
  })

  it('says the same for a wrong password and an unknown email, and refuses the 11th try in a minute unchecked', async () => {
    await invite('bob@example.com', 'bob the builder')
    const wrong = await login('bob@example.com', 'not his password')
    const unknown = await login('nobody@example.com', 'not his password')
    assert.deepEqual([wrong.status, wrong.body], [401, {id: 'unauthorized', message: 'Wrong email or password. An invited user sets a password with tug login URL --invite CODE first.'}])
    assert.deepEqual([unknown.status, unknown.body], [wrong.status, wrong.body])
    for (let i = 2; i <= 10; i++) assert.equal((await login('bob@example.com', `wrong ${i} wrong`)).status, 401, `try ${i}`)
    // The 11th, with the right password: refused without being checked.
    const eleventh = await login('bob@example.com', 'bob the builder')
    assert.equal(eleventh.status, 429)
    assert.match((eleventh.body as unknown as {message: string}).message, /^Too many failed logins; wait \d+ seconds\.$/)
    assert.match(eleventh.headers.get('retry-after') ?? '', /^\d+$/)
    // Other accounts are not locked out by Bob's (the address allows 30).
    assert.equal((await login('ada@example.com', 'ada lovelace 1815')).status, 201)
  })

  it('makes tokens no stronger than their job: read, one app, an expiry', async () => {
    const admin = server.token
    await server.call('POST', '/apps', {body: {name: 'shop'}})
    await server.call('POST', '/apps', {body: {name: 'blog'}})
    const make = async (body: unknown) => {
      const made = await server.call<OAuthAuthorization>('POST', '/oauth/authorizations', {body})
      assert.equal(made.status, 201, JSON.stringify(made.body))
      return made.body
    }
    const read = await make({description: 'dashboard', scope: ['read']})
    const readSecret = read.access_token?.token ?? ''
    assert.equal((await server.call('GET', '/apps/shop/formation', {token: readSecret})).status, 200)
    const scale = await server.call('PATCH', '/apps/shop/formation', {token: readSecret, body: {updates: []}})
    assert.deepEqual([scale.status, (scale.body as {message: string}).message], [403, 'This token is read-only (scope read): it cannot change shop. Use a token with scope write (tug authorizations:create --scope write).'])
    const tokenMade = await server.call('POST', '/oauth/authorizations', {token: readSecret, body: {}})
    assert.equal(tokenMade.status, 403, 'a read token makes no tokens')

    const ci = await make({description: 'ci', scope: ['write'], app: 'shop'})
    assert.deepEqual(ci.app?.name, 'shop')
    const ciSecret = ci.access_token?.token ?? ''
    const apps = await server.call<Array<{name: string}>>('GET', '/apps', {token: ciSecret})
    assert.deepEqual(apps.body.map((a) => a.name), ['shop'], 'lists only its app')
    assert.equal((await server.call('PATCH', '/apps/shop/config-vars', {token: ciSecret, body: {A: '1'}})).status, 200)
    const blog = await server.call('GET', '/apps/blog', {token: ciSecret})
    assert.deepEqual([blog.status, blog.body], [404, {id: 'not_found', message: "Couldn't find that app.", resource: 'app'}])
    assert.equal((await server.call('POST', '/apps', {token: ciSecret, body: {name: 'more'}})).status, 403)

    const brief = await make({description: 'brief', expires_in: 1})
    assert.equal(brief.access_token?.expires_in, 1)
    const expired = await waitFor(async () => {
      const answer = await server.call('GET', '/apps', {token: brief.access_token?.token ?? ''})
      return answer.status === 401 ? answer : undefined
    }, {what: 'the token to expire'})
    assert.match((expired.body as {message: string}).message, /^This token expired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\. Create a new one with tug authorizations:create\.$/)

    const bad = await server.call('POST', '/oauth/authorizations', {body: {scope: ['root']}})
    assert.deepEqual([bad.status, (bad.body as {message: string}).message], [422, 'scope must be one of read, write or global (as an array, e.g. ["read"]).'])
    const revoked = await server.call('DELETE', `/oauth/authorizations/${read.id}`)
    assert.equal(revoked.status, 200)
    assert.equal((await server.call('GET', '/apps', {token: readSecret})).status, 401)
    assert.equal((await server.call('GET', '/apps', {token: admin})).status, 200)
  })

  it('removes a user: tokens revoked, apps kept and given to the admin (said in the answer)', async () => {
    await invite('carol@example.com', 'carol singer 99')
    const token = (await login('carol@example.com', 'carol singer 99')).body.access_token?.token ?? ''
    assert.equal((await server.call('POST', '/apps', {token, body: {name: 'carols'}})).status, 201)
    const removed = await server.call<User & {apps_transferred: string[]}>('DELETE', '/users/carol@example.com')
    assert.equal(removed.status, 200)
    assert.deepEqual(removed.body.apps_transferred, ['carols'])
    assert.equal((await server.call('GET', '/account', {token})).status, 401)
    assert.equal((await login('carol@example.com', 'carol singer 99')).status, 401)
    const carols = await server.call<{owner: {email: string}}>('GET', '/apps/carols')
    assert.equal(carols.body.owner.email, 'admin@tug.local')
    assert.ok(!(await server.call<User[]>('GET', '/users')).body.some((u) => u.email === 'carol@example.com'))
  })

  it('keeps no reversible password, token or invitation code in the database', async () => {
    const code = (await server.call<UserInvitation>('POST', '/users/invitations', {body: {email: 'dan@example.com'}})).body.code
    await server.call('POST', '/users/invitations/accept', {token: null, body: {code, password: 'dan the man 123'}})
    const secret = (await login('dan@example.com', 'dan the man 123')).body.access_token?.token ?? ''
    const store = new Store({path: join(server.dataDir, 'tug.db')})
    try {
      const hashes = store.db.prepare('SELECT password_hash FROM accounts WHERE password_hash IS NOT NULL').all() as Array<{password_hash: string}>
      assert.ok(hashes.length >= 3)
      for (const {password_hash: hash} of hashes) assert.match(hash, /^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/)
      store.db.pragma('wal_checkpoint(TRUNCATE)')
    } finally {
      store.close()
    }
    const file = readFileSync(join(server.dataDir, 'tug.db'))
    for (const plain of ['dan the man 123', secret, code, server.token]) assert.ok(!file.includes(Buffer.from(plain)), `${plain.slice(0, 6)}… is not in the database file`)
  })
})
