import assert from 'node:assert/strict'
import nock from 'nock'

import Access from '../../../src/commands/access/index.js'
import AccessAdd from '../../../src/commands/access/add.js'
import AccessRemove from '../../../src/commands/access/remove.js'
import Members from '../../../src/commands/members/index.js'
import MembersAdd from '../../../src/commands/members/add.js'
import MembersRemove from '../../../src/commands/members/remove.js'
import Teams from '../../../src/commands/teams/index.js'
import TeamsCreate from '../../../src/commands/teams/create.js'
import type {Collaborator, CollaboratorRole, Team, TeamMember, TeamRole} from '../../../src/shared/api-types.js'
import {app} from '../../helpers/fixtures.js'
import {API, runCommand, useNock} from '../../helpers/capture.js'

const APP = {id: '01234567-89ab-cdef-0123-456789abcdef', name: 'shop'}
const TEAM = {id: '00000000-0000-0000-0000-0000000000c1', name: 'payments'}

function collaborator(email: string, role: CollaboratorRole | null): Collaborator {
  return {
    app: APP, created_at: '2026-11-27T11:15:29Z', id: `id-${email}`, role, updated_at: '2026-11-27T11:15:29Z',
    user: {email, federated: false, id: `user-${email}`},
  }
}

function member(email: string, role: TeamRole): TeamMember {
  return {
    created_at: '2026-11-27T11:15:29Z', email, federated: false, id: `id-${email}`, role, updated_at: '2026-11-27T11:15:29Z',
    user: {email, id: `user-${email}`, name: null},
  }
}

function team(name: string, role: TeamRole | null): Team {
  return {id: `id-${name}`, name, created_at: '2026-11-27T11:15:29Z', updated_at: '2026-11-27T11:15:29Z', role}
}

describe('access, teams and members commands', () => {
  useNock()

  describe('access', () => {
    it('lists the owner first, then collaborators by email, with their roles', async () => {
      nock(API).get('/apps/shop').reply(200, app('shop'))
      nock(API).get('/apps/shop/collaborators').reply(200, [collaborator('zed@example.com', 'collaborator'), collaborator('you@example.com', 'owner'), collaborator('amy@example.com', null)])
      const result = await runCommand(Access, ['-a', 'shop'])
      assert.equal(result.code, 0, result.stderr)
      assert.equal(result.stdout, [
        '=== shop Access List',
        'you@example.com  owner',
        'amy@example.com  collaborator',
        'zed@example.com  collaborator',
        '',
      ].join('\n'))
    })

    it("says where a team app's members come from; --json gives the collaborators", async () => {
      nock(API).get('/apps/shop').reply(200, app('shop', {team: TEAM}))
      nock(API).get('/apps/shop/collaborators').reply(200, [collaborator('you@example.com', 'owner')])
      const result = await runCommand(Access, ['-a', 'shop'])
      assert.match(result.stdout, /\n\nshop belongs to the team payments: its members have access by their role \(tug members -t payments\)\.\n$/)
      nock(API).get('/apps/shop').reply(200, app('shop'))
      nock(API).get('/apps/shop/collaborators').reply(200, [collaborator('you@example.com', 'owner')])
      const json = await runCommand(Access, ['-a', 'shop', '--json'])
      assert.deepEqual(JSON.parse(json.stdout), [collaborator('you@example.com', 'owner')])
    })

    it('shows the 404 of an app the caller may not see, as for a missing one', async () => {
      nock(API).get('/apps/secret').reply(404, {id: 'not_found', message: "Couldn't find that app.", resource: 'app'})
      nock(API).get('/apps/secret/collaborators').reply(404, {id: 'not_found', message: "Couldn't find that app.", resource: 'app'})
      const result = await runCommand(Access, ['-a', 'secret'])
      assert.equal(result.code, 1)
      assert.match(result.stderr, /^Error: Couldn't find that app\./)
    })

    it('access:add posts {user: email}', async () => {
      nock(API).post('/apps/shop/collaborators', {user: 'dev@example.com'}).reply(201, collaborator('dev@example.com', 'collaborator'))
      const result = await runCommand(AccessAdd, ['dev@example.com', '-a', 'shop'])
      assert.equal(result.code, 0, result.stderr)
      assert.equal(result.stderr, 'Adding dev@example.com access to the app shop... done\n')
      assert.equal(result.stdout, '')
    })

    it("access:add shows the server's 403 and 422", async () => {
      nock(API).post('/apps/shop/collaborators').reply(403, {id: 'forbidden', message: "Only shop's owner, a team admin or the control plane's admin may manage shop's access or destroy it; you are a collaborator."})
      const forbidden = await runCommand(AccessAdd, ['dev@example.com', '-a', 'shop'])
      assert.equal(forbidden.code, 1)
      assert.match(forbidden.stderr, /Error: Only shop's owner/)
      nock(API).post('/apps/shop/collaborators').reply(422, {id: 'invalid_params', message: 'There is no user dev@example.com: invite them first (tug users:invite).'})
      const unknown = await runCommand(AccessAdd, ['dev@example.com', '-a', 'shop'])
      assert.match(unknown.stderr, /Error: There is no user dev@example\.com/)
    })

    it('access:remove deletes by email, encoded', async () => {
      nock(API).delete('/apps/shop/collaborators/dev%2Bci%40example.com').reply(200, collaborator('dev+ci@example.com', 'collaborator'))
      const result = await runCommand(AccessRemove, ['dev+ci@example.com', '-a', 'shop'])
      assert.equal(result.code, 0, result.stderr)
      assert.equal(result.stderr, 'Removing dev+ci@example.com access from the app shop... done\n')
    })

    it('needs an app and an email', async () => {
      assert.equal((await runCommand(Access, [])).code, 2)
      assert.equal((await runCommand(AccessAdd, ['-a', 'shop'])).code, 2)
    })
  })

  describe('teams', () => {
    it('lists teams by name with the role', async () => {
      nock(API).get('/teams').reply(200, [team('web', 'viewer'), team('payments', 'admin'), team('ops', null)])
      const result = await runCommand(Teams, [])
      assert.equal(result.stdout, ['Team      Role', 'ops       (not a member)', 'payments  admin', 'web       viewer', ''].join('\n'))
    })

    it('says how to make one when there are none', async () => {
      nock(API).get('/teams').reply(200, [])
      const result = await runCommand(Teams, [])
      assert.equal(result.stderr, 'You are not in any team. Create one with tug teams:create NAME.\n')
    })

    it('teams:create posts the name and says what comes next', async () => {
      nock(API).post('/teams', {name: 'payments'}).reply(201, team('payments', 'admin'))
      const result = await runCommand(TeamsCreate, ['payments'])
      assert.equal(result.code, 0, result.stderr)
      assert.equal(result.stderr, 'Creating team payments... done\nAdd people with tug members:add EMAIL -t payments --role member, and apps with tug apps:create --team payments.\n')
    })
  })

  describe('members', () => {
    it('lists members by email with their role', async () => {
      nock(API).get('/teams/payments/members').reply(200, [member('zed@example.com', 'viewer'), member('amy@example.com', 'admin')])
      const result = await runCommand(Members, ['-t', 'payments'])
      assert.equal(result.stdout, 'amy@example.com  admin\nzed@example.com  viewer\n')
      nock(API).get('/teams/payments/members').reply(200, [member('amy@example.com', 'admin')])
      const json = await runCommand(Members, ['-t', 'payments', '--json'])
      assert.deepEqual(JSON.parse(json.stdout), [member('amy@example.com', 'admin')])
    })

    it('needs a team', async () => {
      const result = await runCommand(Members, [])
      assert.equal(result.code, 2)
      assert.match(result.stderr, /team/)
    })

    it('members:add PUTs {user, role}', async () => {
      nock(API).put('/teams/payments/members', {user: 'dev@example.com', role: 'viewer'}).reply(200, member('dev@example.com', 'viewer'))
      const result = await runCommand(MembersAdd, ['dev@example.com', '-t', 'payments', '--role', 'viewer'])
      assert.equal(result.code, 0, result.stderr)
      assert.equal(result.stderr, 'Adding dev@example.com to payments as viewer... done\n')
    })

    it('members:add refuses an unknown role before sending', async () => {
      const result = await runCommand(MembersAdd, ['dev@example.com', '-t', 'payments', '--role', 'owner'])
      assert.equal(result.code, 2)
      assert.match(result.stderr, /^Error: Unknown role "owner": a team member is an admin, a member or a viewer\.\nadmin: /)
    })

    it('members:remove deletes by email', async () => {
      nock(API).delete('/teams/payments/members/dev%40example.com').reply(200, member('dev@example.com', 'member'))
      const result = await runCommand(MembersRemove, ['dev@example.com', '-t', 'payments'])
      assert.equal(result.stderr, 'Removing dev@example.com from payments... done\n')
    })
  })
})
