// Issue 17: collaborators, teams and the audit trail on a real control plane, each actor with
// its own token; the wire shapes held against Heroku's (@heroku-cli/schema).
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'mocha'
import type {Collaborator as HerokuCollaborator, Team as HerokuTeam, TeamMember as HerokuTeamMember} from '@heroku-cli/schema'
import type {AuditEvent, Collaborator, OAuthAuthorization, Team, TeamMember, UserInvitation} from '../../../src/shared/api-types.js'
import {startApiServer, type TestApiServer} from '../../helpers/api-server.js'

// Heroku's TeamMember and Team know no viewer role (its viewers are app permissions): the rest holds.
const herokuCollaborator = (c: Collaborator): HerokuCollaborator => ({...c, app: {...c.app}, user: {...c.user}, role: c.role === 'viewer' ? null : c.role})
const herokuMember = (m: TeamMember): HerokuTeamMember => ({...m, role: m.role === 'viewer' ? null : m.role})
const herokuTeam = (t: Team): HerokuTeam => ({...t, role: t.role === 'viewer' ? null : t.role})

describe('API: collaborators, teams and the audit trail (issue 17)', () => {
  let server: TestApiServer
  const tokens: Record<string, string> = {}

  async function user(name: string): Promise<string> {
    const email = `${name}@example.com`
    const invited = await server.call<UserInvitation>('POST', '/users/invitations', {body: {email}})
    await server.call('POST', '/users/invitations/accept', {token: null, body: {code: invited.body.code, password: `${name} password 1`}})
    const login = await server.call<OAuthAuthorization>('POST', '/oauth/authorizations', {
      token: null,
      headers: {Authorization: `Basic ${Buffer.from(`${email}:${name} password 1`).toString('base64')}`},
      body: {description: `${name}'s laptop`},
    })
    tokens[name] = login.body.access_token?.token ?? ''
    return email
  }

  const as = (name: string) => ({token: tokens[name] ?? ''})

  before(async () => {
    server = await startApiServer()
    for (const name of ['owner', 'collab', 'lead', 'dev', 'watcher', 'outsider']) await user(name)
  })

  after(async () => {
    await server.close()
  })

  it('shares an app with a collaborator, who reads and writes it but does not manage its access', async () => {
    assert.equal((await server.call('POST', '/apps', {...as('owner'), body: {name: 'shop'}})).status, 201)
    const added = await server.call<Collaborator>('POST', '/apps/shop/collaborators', {...as('owner'), body: {user: 'collab@example.com'}})
    assert.equal(added.status, 201)
    herokuCollaborator(added.body)
    assert.deepEqual([added.body.app.name, added.body.user.email, added.body.role], ['shop', 'collab@example.com', 'collaborator'])
    const list = await server.call<Collaborator[]>('GET', '/apps/shop/collaborators', as('collab'))
    assert.deepEqual(list.body.map((c) => [c.user.email, c.role]), [['owner@example.com', 'owner'], ['collab@example.com', 'collaborator']])
    assert.deepEqual((await server.call<Array<{name: string}>>('GET', '/apps', as('collab'))).body.map((a) => a.name), ['shop'])
    assert.equal((await server.call('PATCH', '/apps/shop/config-vars', {...as('collab'), body: {A: '1'}})).status, 200)
    const manage = await server.call('POST', '/apps/shop/collaborators', {...as('collab'), body: {user: 'dev@example.com'}})
    assert.deepEqual([manage.status, (manage.body as {message: string}).message], [403, "Only shop's owner, a team admin or the control plane's admin may manage shop's access or destroy it; you are a collaborator."])
    assert.equal((await server.call('DELETE', '/apps/shop', as('collab'))).status, 403)
    const outsider = await server.call('GET', '/apps/shop/collaborators', as('outsider'))
    assert.deepEqual([outsider.status, outsider.body], [404, {id: 'not_found', message: "Couldn't find that app.", resource: 'app'}])
    const unknown = await server.call('POST', '/apps/shop/collaborators', {...as('owner'), body: {user: 'ghost@example.com'}})
    assert.equal(unknown.status, 404)
    const twice = await server.call('POST', '/apps/shop/collaborators', {...as('owner'), body: {user: 'collab@example.com'}})
    assert.deepEqual([twice.status, (twice.body as {message: string}).message], [422, 'collab@example.com is already a collaborator on shop.'])
    const removed = await server.call<Collaborator>('DELETE', '/apps/shop/collaborators/collab@example.com', as('owner'))
    assert.equal(removed.status, 200)
    assert.equal((await server.call('GET', '/apps/shop', as('collab'))).status, 404, 'gone with the collaboration')
  })

  it('teams: admins manage members, members change apps, viewers read them; others see nothing', async () => {
    const team = await server.call<Team>('POST', '/teams', {...as('lead'), body: {name: 'payments'}})
    assert.equal(team.status, 201)
    herokuTeam(team.body)
    assert.equal(team.body.role, 'admin')
    for (const [who, role] of [['dev', 'member'], ['watcher', 'viewer']] as const) {
      const member = await server.call<TeamMember>('PUT', '/teams/payments/members', {...as('lead'), body: {user: `${who}@example.com`, role}})
      assert.equal(member.status, 200, JSON.stringify(member.body))
      herokuMember(member.body)
      assert.equal(member.body.role, role)
    }
    const byDev = await server.call('PUT', '/teams/payments/members', {...as('dev'), body: {user: 'outsider@example.com', role: 'admin'}})
    assert.equal(byDev.status, 403, 'a member does not manage members')
    const badRole = await server.call('PUT', '/teams/payments/members', {...as('lead'), body: {user: 'dev@example.com', role: 'boss'}})
    assert.deepEqual([badRole.status, (badRole.body as {message: string}).message], [422, 'role must be one of admin, member, viewer.'])
    const lastAdmin = await server.call('DELETE', '/teams/payments/members/lead@example.com', as('lead'))
    assert.equal(lastAdmin.status, 422)

    const made = await server.call<{team: {name: string} | null}>('POST', '/apps', {...as('dev'), body: {name: 'billing', team: 'payments'}})
    assert.equal(made.status, 201)
    assert.equal(made.body.team?.name, 'payments')
    assert.equal((await server.call('POST', '/apps', {...as('watcher'), body: {name: 'nope', team: 'payments'}})).status, 403)
    assert.equal((await server.call('POST', '/apps', {...as('outsider'), body: {name: 'nope', team: 'payments'}})).status, 404)

    assert.equal((await server.call('GET', '/apps/billing/config-vars', as('watcher'))).status, 200)
    const write = await server.call('PATCH', '/apps/billing/formation', {...as('watcher'), body: {updates: []}})
    assert.deepEqual([write.status, (write.body as {message: string}).message], [403, 'You have read-only access to billing (team viewer).'])
    assert.equal((await server.call('PATCH', '/apps/billing/config-vars', {...as('lead'), body: {B: '2'}})).status, 200)
    // billing is dev's own (its creator owns it); ledger, made by lead, dev changes but does not destroy.
    assert.equal((await server.call('POST', '/apps', {...as('lead'), body: {name: 'ledger', team: 'payments'}})).status, 201)
    assert.equal((await server.call('PATCH', '/apps/ledger/config-vars', {...as('dev'), body: {C: '3'}})).status, 200)
    assert.equal((await server.call('DELETE', '/apps/ledger', as('dev'))).status, 403, 'a member does not destroy')
    assert.equal((await server.call('GET', '/apps/billing', as('outsider'))).status, 404)
    assert.deepEqual((await server.call<Team[]>('GET', '/teams', as('outsider'))).body, [])
    assert.equal((await server.call('GET', '/teams/payments/members', as('outsider'))).status, 404)
    const members = await server.call<TeamMember[]>('GET', '/teams/payments/members', as('watcher'))
    assert.deepEqual(members.body.map((m) => [m.email, m.role]), [['dev@example.com', 'member'], ['lead@example.com', 'admin'], ['watcher@example.com', 'viewer']])
    // The admin sees every team and app.
    assert.deepEqual((await server.call<Team[]>('GET', '/teams')).body.map((t) => t.name), ['payments'])
    assert.deepEqual((await server.call<Array<{name: string}>>('GET', '/apps')).body.map((a) => a.name).sort(), ['billing', 'ledger', 'shop'])
  })

  it("lets only the admin name a buildpack on the control plane's own disk (a path or a file:// URL)", async () => {
    // The owner of an app, not the admin: https and git URLs and built-in names are theirs to set.
    const put = (who: Record<string, unknown>, urls: string[]) =>
      server.call<{message: string}>('PUT', '/apps/shop/buildpack-installations', {...who, body: {updates: urls.map((buildpack) => ({buildpack}))}})
    for (const url of ['/srv/buildpacks/go', 'file:///srv/buildpacks/go.tgz', 'file:///srv/repos/bp.git']) {
      const refused = await put(as('owner'), ['heroku/nodejs', url])
      assert.equal(refused.status, 403, url)
      assert.match(refused.body.message, /^Only the control plane's admin may use a buildpack from its own disk/)
    }
    assert.equal((await server.call<unknown[]>('GET', '/apps/shop/buildpack-installations', as('owner'))).body.length, 0, 'nothing changed')
    assert.equal((await put(as('owner'), ['heroku/nodejs', 'https://example.com/bp.tgz'])).status, 200)
    assert.equal((await put({}, ['/srv/buildpacks/go'])).status, 200, 'the admin may')
    assert.equal((await put({}, [])).status, 200)
    // The same in a build's own buildpacks.
    const build = await server.call<{message: string}>('POST', '/apps/shop/builds', {...as('owner'), body: {source_blob: {url: 'https://example.com/x.tgz'}, buildpacks: [{url: '/srv/buildpacks/go'}]}})
    assert.equal(build.status, 403)
  })

  it('records who changed what, from which token, and shows each their share', async () => {
    const events = await server.call<AuditEvent[]>('GET', '/audit?app=shop')
    assert.equal(events.status, 200)
    const actions = events.body.map((e) => [e.action, e.actor?.email, e.app?.name])
    for (const wanted of [
      ['app.create', 'owner@example.com', 'shop'],
      ['collaborator.create', 'owner@example.com', 'shop'],
      ['config.update', 'collab@example.com', 'shop'],
      ['collaborator.destroy', 'owner@example.com', 'shop'],
    ]) {
      assert.ok(actions.some((a) => JSON.stringify(a) === JSON.stringify(wanted)), `${wanted.join(' ')} in ${JSON.stringify(actions)}`)
    }
    assert.ok(!actions.some((a) => a[0] === 'collaborator.create' && a[1] === 'collab@example.com'), 'a refused change is not an event')
    const config = events.body.find((e) => e.action === 'config.update')
    assert.deepEqual(config?.token?.description, "collab's laptop")
    assert.equal(config?.path, '/apps/shop/config-vars')
    assert.ok(!JSON.stringify(events.body).includes('"A"'), 'no config values')

    const logins = (await server.call<AuditEvent[]>('GET', '/audit')).body.filter((e) => e.action === 'login')
    assert.equal(logins.length, 6)
    // A read is no event, whatever it takes to be allowed it (GET /users needs the admin).
    assert.equal((await server.call('GET', '/users')).status, 200)
    assert.equal((await server.call('GET', '/oauth/authorizations')).status, 200)
    const all = (await server.call<AuditEvent[]>('GET', '/audit')).body
    assert.deepEqual(all.filter((e) => e.method === 'GET').map((e) => e.action), [])
    // A failed login names the email it tried.
    const failed = await fetch(`${server.url}/oauth/authorizations`, {method: 'POST', headers: {Accept: 'application/vnd.heroku+json; version=3', Authorization: `Basic ${Buffer.from('nobody@example.com:wrong-password').toString('base64')}`, 'content-type': 'application/json'}, body: '{}'})
    assert.equal(failed.status, 401)
    const lastFailed = (await server.call<AuditEvent[]>('GET', '/audit')).body.filter((e) => e.action === 'login.failed').pop()
    assert.equal(lastFailed?.actor?.email, 'nobody@example.com')
    // The outsider sees only its own events: no app of others.
    const theirs = await server.call<AuditEvent[]>('GET', '/audit', as('outsider'))
    assert.ok(theirs.body.every((e) => e.actor?.email === 'outsider@example.com'), JSON.stringify(theirs.body.map((e) => e.action)))
    assert.equal((await server.call('GET', '/audit?app=shop', as('outsider'))).status, 404)
    const viewer = await server.call<AuditEvent[]>('GET', '/audit?app=billing', as('watcher'))
    assert.ok(viewer.body.some((e) => e.action === 'config.update' && e.actor?.email === 'lead@example.com'))
    // A token for one app: that app's events, none of its user's others.
    const ledgerToken = (await server.call<OAuthAuthorization>('POST', '/oauth/authorizations', {...as('lead'), body: {scope: ['read'], app: 'ledger'}})).body.access_token?.token ?? ''
    const scoped = await server.call<AuditEvent[]>('GET', '/audit', {token: ledgerToken})
    assert.ok(scoped.body.length > 0)
    assert.deepEqual([...new Set(scoped.body.map((e) => e.app?.name))], ['ledger'])
    const limited = await server.call<AuditEvent[]>('GET', '/audit?limit=2')
    assert.equal(limited.body.length, 2)
    assert.deepEqual(limited.body, (await server.call<AuditEvent[]>('GET', '/audit')).body.slice(-2), 'the newest, newest last')
    assert.equal((await server.call('GET', '/audit?since=yesterday')).status, 422)
    assert.deepEqual((await server.call<AuditEvent[]>('GET', '/audit?since=2999-01-01T00:00:00Z')).body, [])
  })
})
