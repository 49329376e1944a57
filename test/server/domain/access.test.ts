import assert from 'node:assert/strict'
import {describe, it} from 'mocha'
import {decide, NEEDS, type AccessTarget, type Actor, type ActorToken, type Need} from '../../../src/server/domain/access.js'

const NOW = new Date('2026-12-01T12:00:00Z')
const OWNER = 'owner-id'
const ME = 'me-id'
const APP = 'app-id'

type Relation = 'admin' | 'owner' | 'team admin' | 'team member' | 'team viewer' | 'collaborator' | 'outsider'
const RELATIONS: Relation[] = ['admin', 'owner', 'team admin', 'team member', 'team viewer', 'collaborator', 'outsider']

function actorFor(relation: Relation, token: ActorToken | null = null): Actor {
  return {accountId: relation === 'owner' ? OWNER : ME, admin: relation === 'admin', token}
}

function targetFor(relation: Relation): AccessTarget {
  const teamRole = relation === 'team admin' ? 'admin' : relation === 'team member' ? 'member' : relation === 'team viewer' ? 'viewer' : null
  return {name: 'shop', appId: APP, ownerId: OWNER, teamRole, collaborator: relation === 'collaborator'}
}

/** What a user (a password, or a global token) may do on an app, by relation: the table. */
const EXPECTED: Record<Relation, Record<'read' | 'write' | 'manage', 200 | 403 | 404>> = {
  admin: {read: 200, write: 200, manage: 200},
  owner: {read: 200, write: 200, manage: 200},
  'team admin': {read: 200, write: 200, manage: 200},
  'team member': {read: 200, write: 200, manage: 403},
  'team viewer': {read: 200, write: 403, manage: 403},
  collaborator: {read: 200, write: 200, manage: 403},
  outsider: {read: 404, write: 404, manage: 404},
}

const status = (actor: Actor, target: AccessTarget | null, need: Need): number => {
  const decision = decide(actor, target, need, NOW)
  return decision.allowed ? 200 : decision.status
}

describe('access decisions (pure)', () => {
  const global: ActorToken = {scope: 'global', appId: null, expiresAt: null}

  it('an app: every relation × need, with a password and with a global token alike', () => {
    for (const relation of RELATIONS) {
      for (const need of ['read', 'write', 'manage'] as const) {
        for (const token of [null, global]) {
          assert.equal(status(actorFor(relation, token), targetFor(relation), need), EXPECTED[relation][need], `${relation} ${need} ${token ? 'token' : 'password'}`)
        }
      }
    }
  })

  it('a write token may do what its user may on apps; a read token only reads', () => {
    const write: ActorToken = {scope: 'write', appId: null, expiresAt: null}
    const read: ActorToken = {scope: 'read', appId: null, expiresAt: null}
    for (const relation of RELATIONS) {
      for (const need of ['read', 'write', 'manage'] as const) {
        assert.equal(status(actorFor(relation, write), targetFor(relation), need), EXPECTED[relation][need], `${relation} ${need} write token`)
        const expected = EXPECTED[relation][need] === 200 && need !== 'read' ? 403 : EXPECTED[relation][need]
        assert.equal(status(actorFor(relation, read), targetFor(relation), need), expected, `${relation} ${need} read token`)
      }
    }
    const denied = decide(actorFor('owner', read), targetFor('owner'), 'write', NOW)
    assert.deepEqual(denied, {allowed: false, status: 403, message: 'This token is read-only (scope read): it cannot change shop. Use a token with scope write (tug authorizations:create --scope write).'})
    // Tokens and the account need a global token: a read token is not sent to make a write one that cannot either.
    assert.deepEqual(decide(actorFor('owner', read), null, 'account', NOW), {
      allowed: false,
      status: 403,
      message: 'This token has scope read: it cannot manage tokens or the account. That needs a global token or a password login (tug authorizations:create --scope global).',
    })
  })

  it("a token for one app acts on it as its user may, and does not see any other app (404, like a missing one)", () => {
    const mine: ActorToken = {scope: 'global', appId: APP, expiresAt: null}
    const other: ActorToken = {scope: 'global', appId: 'other-app', expiresAt: null}
    for (const relation of RELATIONS) {
      for (const need of ['read', 'write', 'manage'] as const) {
        assert.equal(status(actorFor(relation, mine), targetFor(relation), need), EXPECTED[relation][need])
        assert.equal(status(actorFor(relation, other), targetFor(relation), need), 404, `${relation} ${need}`)
      }
    }
    // Beyond apps: it reads (lists, filtered by the store) but creates or manages nothing.
    assert.equal(status(actorFor('owner', mine), null, 'read'), 200)
    for (const need of ['write', 'manage', 'account', 'admin'] as const) assert.equal(status(actorFor('admin', mine), null, need), 403, need)
  })

  it('an expired token is a 401 saying when and what to do, whatever it asks; one not yet expired works', () => {
    const expired: ActorToken = {scope: 'global', appId: null, expiresAt: '2026-12-01T11:59:59Z'}
    for (const need of NEEDS) {
      for (const target of [null, targetFor('owner')]) {
        assert.deepEqual(decide(actorFor('owner', expired), target, need, NOW), {
          allowed: false,
          status: 401,
          message: 'This token expired at 2026-12-01T11:59:59Z. Create a new one with tug authorizations:create.',
        })
      }
    }
    assert.equal(status(actorFor('owner', {...expired, expiresAt: '2026-12-01T12:00:01Z'}), targetFor('owner'), 'write'), 200)
    assert.equal(status(actorFor('owner', {...expired, expiresAt: '2026-12-01T12:00:00Z'}), targetFor('owner'), 'read'), 401, 'expiry is exclusive')
  })

  it('no app: everyone reads; writes need a token not limited to an app nor read-only; account needs global; admin needs the admin', () => {
    const tokens: Array<[string, ActorToken | null]> = [
      ['password', null],
      ['global', global],
      ['write', {scope: 'write', appId: null, expiresAt: null}],
      ['read', {scope: 'read', appId: null, expiresAt: null}],
    ]
    const table: Record<string, Record<Need, [number, number]>> = {
      // [as a user, as the admin]
      password: {read: [200, 200], write: [200, 200], manage: [200, 200], account: [200, 200], admin: [403, 200]},
      global: {read: [200, 200], write: [200, 200], manage: [200, 200], account: [200, 200], admin: [403, 200]},
      write: {read: [200, 200], write: [200, 200], manage: [200, 200], account: [403, 403], admin: [403, 403]},
      read: {read: [200, 200], write: [403, 403], manage: [403, 403], account: [403, 403], admin: [403, 403]},
    }
    for (const [name, token] of tokens) {
      for (const need of NEEDS) {
        assert.equal(status(actorFor('outsider', token), null, need), table[name]?.[need][0], `${name} ${need} user`)
        assert.equal(status(actorFor('admin', token), null, need), table[name]?.[need][1], `${name} ${need} admin`)
      }
    }
  })

  it('says why a seen app may not be changed', () => {
    assert.deepEqual(decide(actorFor('team viewer'), targetFor('team viewer'), 'write', NOW), {allowed: false, status: 403, message: 'You have read-only access to shop (team viewer).'})
    const manage = decide(actorFor('collaborator'), targetFor('collaborator'), 'manage', NOW)
    assert.equal(manage.allowed ? '' : manage.message, "Only shop's owner, a team admin or the control plane's admin may manage shop's access or destroy it; you are a collaborator.")
    assert.deepEqual(decide(actorFor('outsider'), targetFor('outsider'), 'read', NOW), {allowed: false, status: 404, message: "Couldn't find that app."})
  })
})
