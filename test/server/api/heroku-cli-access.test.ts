// Issue 17, item 6: the requests Heroku's CLI (heroku/11.10.0) makes for `auth:whoami`,
// `auth:token`, `authorizations[:create|:info|:revoke]`, `access[:add|:remove]`, `members` and
// `logout`, replayed as it sends them (bodies included), and the answers held to what its code
// reads from them. Each was seen from the real CLI against a real control plane (HEROKU_DEBUG=1).
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'mocha'
import type {TeamAppPermission as HerokuTeamAppPermission, TeamFeature as HerokuTeamFeature} from '@heroku-cli/schema'
import type {App, Collaborator, OAuthAuthorization, TeamAppPermission, TeamMember, UserInvitation} from '../../../src/shared/api-types.js'
import {startApiServer, type TestApiServer} from '../../helpers/api-server.js'

interface ApiError {
  id: string
  message: string
  resource?: string
}

describe("API: what Heroku's CLI asks for users, tokens and access (issue 17)", () => {
  let server: TestApiServer
  let dev = ''

  before(async () => {
    server = await startApiServer()
    const invited = await server.call<UserInvitation>('POST', '/users/invitations', {body: {email: 'dev@example.com'}})
    await server.call('POST', '/users/invitations/accept', {token: null, body: {code: invited.body.code, password: 'dev password 1'}})
    // What `tug login -e` (and `heroku login -i`, with its own expires_in) send.
    const login = await server.call<OAuthAuthorization>('POST', '/oauth/authorizations', {
      token: null,
      headers: {Authorization: `Basic ${Buffer.from('dev@example.com:dev password 1').toString('base64')}`},
      body: {description: 'tug CLI on laptop', scope: ['global']},
    })
    dev = login.body.access_token?.token ?? ''
    assert.equal((await server.call('POST', '/apps', {body: {name: 'shop'}})).status, 201)
    assert.equal((await server.call('POST', '/teams', {body: {name: 'acme'}})).status, 201)
    assert.equal((await server.call('POST', '/teams/apps', {body: {name: 'tshop', team: 'acme'}})).status, 201)
    assert.equal((await server.call('PUT', '/teams/acme/members', {body: {user: 'dev@example.com', role: 'member'}})).status, 200)
  })

  after(async () => {
    await server.close()
  })

  it('auth:whoami and auth:token: the account, and the presented token found in the list with no expiry (no warning)', async () => {
    for (const [token, email] of [[server.token, 'admin@tug.local'], [dev, 'dev@example.com']] as const) {
      assert.equal((await server.call<{email: string}>('GET', '/account', {token})).body.email, email)
      const list = await server.call<OAuthAuthorization[]>('GET', '/oauth/authorizations', {token})
      assert.equal(list.status, 200)
      // auth:token: tokens.find((t) => t.access_token && t.access_token.token === auth), then warns if expires_in.
      const own = list.body.filter((t) => t.access_token && t.access_token.token === token)
      assert.equal(own.length, 1, `${email} finds its token`)
      assert.equal(own[0]?.access_token?.expires_in, null)
      assert.equal(own[0]?.user?.email, email)
      // No other token's secret is shown.
      assert.ok(list.body.every((t) => t.access_token?.token === undefined || t.access_token.token === token))
    }
  })

  it('authorizations:create sends --expires-in as a string; info, the list and revoke read what they show', async () => {
    const plain = await server.call<OAuthAuthorization>('POST', '/oauth/authorizations', {token: dev, body: {description: 'ci'}})
    assert.equal(plain.status, 201)
    assert.deepEqual([plain.body.description, plain.body.scope.join(','), plain.body.access_token?.expires_in], ['ci', 'global', null])
    assert.match(plain.body.access_token?.token ?? '', /^tug_/)

    // `heroku authorizations:create -d ci2 -e 3600 -s read`, byte for byte.
    const scoped = await server.call<OAuthAuthorization>('POST', '/oauth/authorizations', {token: dev, body: {description: 'ci2', expires_in: '3600', scope: ['read']}})
    assert.equal(scoped.status, 201)
    assert.deepEqual([scoped.body.scope, scoped.body.access_token?.expires_in], [['read'], 3600])
    for (const bad of ['soon', '-5', '1.5', '', 0]) {
      const refused = await server.call<ApiError>('POST', '/oauth/authorizations', {token: dev, body: {expires_in: bad}})
      assert.deepEqual([refused.status, refused.body.message], [422, 'expires_in must be a whole number from 1 to 315360000.'], String(bad))
    }

    const info = await server.call<OAuthAuthorization>('GET', `/oauth/authorizations/${plain.body.id}`, {token: dev})
    assert.deepEqual([info.status, info.body.id, info.body.description, info.body.scope], [200, plain.body.id, 'ci', ['global']])
    // `authorizations --json` sorts with a.description.localeCompare: every description is a string.
    const list = await server.call<OAuthAuthorization[]>('GET', '/oauth/authorizations', {token: dev})
    assert.ok(list.body.every((t) => typeof t.description === 'string' && Array.isArray(t.scope)))

    const revoked = await server.call<OAuthAuthorization>('DELETE', `/oauth/authorizations/${encodeURIComponent(plain.body.id)}`, {token: dev})
    assert.deepEqual([revoked.status, revoked.body.description], [200, 'ci'])
    assert.equal((await server.call('GET', '/account', {token: plain.body.access_token?.token ?? ''})).status, 401)
  })

  it('access, access:add and access:remove on an app of its own (no team: /apps/{app}/collaborators only)', async () => {
    const shop = await server.call<App>('GET', '/apps/shop')
    assert.equal(shop.body.team, null)
    const added = await server.call<Collaborator>('POST', '/apps/shop/collaborators', {body: {user: 'dev@example.com'}})
    assert.equal(added.status, 201)
    const list = await server.call<Collaborator[]>('GET', '/apps/shop/collaborators')
    // printAccess: sortBy(c.email || c.user.email), reject /herokumanager\.com$/ on c.user.email, role || 'collaborator'.
    assert.deepEqual(list.body.map((c) => [c.user.email, c.role]), [['admin@tug.local', 'owner'], ['dev@example.com', 'collaborator']])
    const removed = await server.call('DELETE', '/apps/shop/collaborators/dev@example.com')
    assert.equal(removed.status, 200)
  })

  it("access and access:add on a team's app: the team's members, Heroku's permissions and no team features", async () => {
    const tshop = await server.call<App>('GET', '/apps/tshop')
    assert.equal(tshop.body.team?.name, 'acme')
    const members = await server.call<TeamMember[]>('GET', '/teams/acme/members')
    assert.deepEqual(members.body.map((m) => [m.email, m.role]), [['admin@tug.local', 'admin'], ['dev@example.com', 'member']])

    // Read for its admins; a static route, not a team named "permissions".
    const permissions = await server.call<TeamAppPermission[]>('GET', '/teams/permissions', {token: dev})
    assert.equal(permissions.status, 200)
    const heroku = permissions.body.map((p): HerokuTeamAppPermission => ({...p}))
    assert.deepEqual(heroku.map((p) => p.name).sort(), ['deploy', 'manage', 'operate', 'view'])
    assert.ok(heroku.every((p) => typeof p.description === 'string' && p.description.length > 0))

    // access:add looks for org-access-controls, members for team-invite-acceptance: neither, so
    // they use POST /apps/{app}/collaborators and GET /teams/{team}/members.
    const features = await server.call<HerokuTeamFeature[]>('GET', '/teams/acme/features', {token: dev})
    assert.deepEqual([features.status, features.body], [200, []])
    const unknown = await server.call<ApiError>('GET', '/teams/nope/features')
    assert.deepEqual([unknown.status, unknown.body.resource], [404, 'team'])

    assert.equal((await server.call('POST', '/apps/tshop/collaborators', {body: {user: 'dev@example.com'}})).status, 201)
    const list = await server.call<Collaborator[]>('GET', '/apps/tshop/collaborators')
    assert.deepEqual(list.body.map((c) => [c.user.email, c.role]), [['admin@tug.local', 'owner'], ['dev@example.com', 'collaborator']])
    assert.equal((await server.call('DELETE', '/apps/tshop/collaborators/dev@example.com')).status, 200)
  })

  it('logout: no session (404 naming it, which the CLI passes over), then the token found in the list is revoked', async () => {
    const made = await server.call<OAuthAuthorization>('POST', '/oauth/authorizations', {token: dev, body: {description: 'throwaway'}})
    const token = made.body.access_token?.token ?? ''
    const session = await server.call<ApiError>('DELETE', '/oauth/sessions/~', {token})
    assert.deepEqual([session.status, session.body.id, session.body.resource], [404, 'not_found', 'session'])
    const current = await server.call<ApiError>('GET', '/oauth/authorizations/~', {token})
    assert.deepEqual([current.status, current.body.id, current.body.resource], [404, 'not_found', 'authorization'])
    const list = await server.call<OAuthAuthorization[]>('GET', '/oauth/authorizations', {token})
    const own = list.body.find((a) => a.access_token?.token === token)
    assert.equal(own?.id, made.body.id)
    assert.equal((await server.call('DELETE', `/oauth/authorizations/${own?.id ?? ''}`, {token})).status, 200)
    assert.equal((await server.call('GET', '/account', {token})).status, 401)
  })
})
