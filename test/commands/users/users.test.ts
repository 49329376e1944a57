import assert from 'node:assert/strict'
import nock from 'nock'

import Users from '../../../src/commands/users/index.js'
import UsersInvite from '../../../src/commands/users/invite.js'
import UsersRemove from '../../../src/commands/users/remove.js'
import type {User} from '../../../src/shared/api-types.js'
import {API, runCommand, useNock} from '../../helpers/capture.js'
import {terminalStdin} from '../../helpers/terminal-stdin.js'

function user(email: string, fields: Partial<User> = {}): User {
  return {id: `id-${email}`, email, admin: false, state: 'active', created_at: '2026-11-27T10:00:00Z', ...fields}
}

describe('users commands', () => {
  useNock()

  it('users lists everyone by email with state and role', async () => {
    nock(API).get('/users').reply(200, [user('zed@example.com', {state: 'invited'}), user('admin@tug.local', {admin: true})])
    const result = await runCommand(Users, [])
    assert.equal(result.stdout, [
      'Email            State    Role   Since',
      'admin@tug.local  active   admin  2026/11/27 10:00:00 +0000',
      'zed@example.com  invited  user   2026/11/27 10:00:00 +0000',
      '',
    ].join('\n'))
    nock(API).get('/users').reply(200, [user('a@example.com')])
    assert.deepEqual(JSON.parse((await runCommand(Users, ['--json'])).stdout), [user('a@example.com')])
  })

  it("users shows the server's 403 for someone who is not the admin", async () => {
    nock(API).get('/users').reply(403, {id: 'forbidden', message: "Only the control plane's admin may do this (manage users, see every app)."})
    const result = await runCommand(Users, [])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /^Error: Only the control plane's admin may do this/)
  })

  it('users:invite prints the code inside the exact command the invitee runs', async () => {
    const invitation = {id: 'inv1', email: 'dev@example.com', code: 'K7QX-M2PD-9RTA', expires_at: '2026-12-04T11:20:29Z'}
    nock(API).post('/users/invitations', {email: 'dev@example.com'}).reply(201, invitation)
    const result = await runCommand(UsersInvite, ['dev@example.com'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stderr, 'Inviting dev@example.com... done\n')
    assert.equal(result.stdout, [
      'Invited dev@example.com. Send them this command (it works once, until 2026/12/04 11:20:29 +0000):',
      '',
      `  tug login ${API} --invite K7QX-M2PD-9RTA`,
      '',
      'It asks them for a new password, then logs them in. They see no app until you give them access (tug access:add EMAIL -a APP, or tug members:add EMAIL -t TEAM --role member).',
      '',
    ].join('\n'))
    nock(API).post('/users/invitations').reply(201, invitation)
    const json = await runCommand(UsersInvite, ['dev@example.com', '--json'])
    assert.deepEqual(JSON.parse(json.stdout), {...invitation, command: `tug login ${API} --invite K7QX-M2PD-9RTA`})
  })

  it("users:invite shows the server's 422 (already a user)", async () => {
    nock(API).post('/users/invitations').reply(422, {id: 'invalid_params', message: 'dev@example.com is already a user.'})
    const result = await runCommand(UsersInvite, ['dev@example.com'])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /Error: dev@example\.com is already a user\./)
  })

  it('users:remove with --confirm deletes and says what happens to their tokens and apps', async () => {
    nock(API).delete('/users/dev%40example.com').reply(200, user('dev@example.com'))
    const result = await runCommand(UsersRemove, ['dev@example.com', '--confirm', 'dev@example.com'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stderr, 'Removing dev@example.com... done\nTheir tokens are revoked; the apps they owned now belong to the admin.\n')
    nock(API).delete('/users/dev%40example.com').reply(200, {...user('dev@example.com'), apps_transferred: ['shop', 'blog']})
    const named = await runCommand(UsersRemove, ['dev@example.com', '--confirm', 'dev@example.com'])
    assert.equal(named.stderr, 'Removing dev@example.com... done\nTheir tokens are revoked; their apps now belong to you, the admin: shop, blog.\n')
  })

  it('users:remove without a matching confirmation removes no one', async () => {
    const wrong = await runCommand(UsersRemove, ['dev@example.com', '--confirm', 'other@example.com'])
    assert.equal(wrong.code, 2)
    assert.match(wrong.stderr, /Confirmation "other@example\.com" did not match dev@example\.com\. Nothing was done\./)
    const none = await runCommand(UsersRemove, ['dev@example.com'], {stdin: ''})
    assert.equal(none.code, 2)
    assert.match(none.stderr, /Refusing to remove dev@example\.com and revoke their tokens without confirmation\.\nPass --confirm dev@example\.com/)
  })

  it('users:remove asks for the email on a terminal', async () => {
    nock(API).delete('/users/dev%40example.com').reply(200, user('dev@example.com'))
    const stdin = terminalStdin(['dev@example.com'])
    const result = await runCommand(UsersRemove, ['dev@example.com'], {stdinStream: stdin})
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stderr, /WARNING: This will remove dev@example\.com and revoke their tokens\./)
  })
})
