// Issue 17's CLI against a real control plane, with the real `tug` binary: the admin invites a
// user, the user accepts at the prompts of `tug login URL --invite` on a real pty, sees only the
// apps given to them with access:add, and a read token made with authorizations:create cannot
// scale. Each step needs the one before it, so this is one journey.
import assert from 'node:assert/strict'
import {mkdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {runTug, startControlPlane, type ControlPlane} from '../helpers/control-plane.js'
import {tugOnPty, type Pty} from '../helpers/pty.js'
import {waitFor, withDeadline} from '../helpers/wait-for.js'

const PASSWORD = 'correct horse battery'

describe('e2e: users, access and scoped tokens from the CLI (issue 17)', function () {
  this.timeout(240_000)
  let plane: ControlPlane
  let devHome: string
  let term: Pty | undefined

  before(async () => {
    plane = await startControlPlane()
    devHome = join(plane.home, '..', 'dev-home')
    mkdirSync(devHome, {recursive: true})
  })

  after(async () => {
    term?.kill('SIGKILL')
    await plane?.close()
  })

  /** The invited user's own tug: their HOME, their saved login, nothing of the admin's. */
  const asDev = (args: string[], env: Record<string, string | undefined> = {}) =>
    runTug(args, {env: {HOME: devHome, TUG_API_URL: undefined, TUG_API_KEY: undefined, ...env}})

  it('invite, login --invite at the prompts, access:add, and a read token that cannot scale', async () => {
    for (const name of ['shop', 'other']) {
      const created = await plane.run(['apps:create', name, '--no-remote'])
      assert.equal(created.code, 0, created.stderr)
    }

    const invited = await plane.run(['users:invite', 'dev@example.com', '--json'])
    assert.equal(invited.code, 0, invited.stderr)
    const invitation = JSON.parse(invited.stdout) as {code: string; command: string}
    assert.equal(invitation.command, `tug login ${plane.url} --invite ${invitation.code}`)

    // The command the admin handed over, typed on a terminal: two password prompts.
    const login = tugOnPty(['login', plane.url, '--invite', invitation.code], {cols: 100, rows: 30, env: {HOME: devHome}})
    term = login
    await waitFor(() => login.output().includes('New password'), {what: () => `the first password prompt in ${JSON.stringify(login.output())}`, timeoutMs: 60_000})
    login.write(`${PASSWORD}\r`)
    await waitFor(() => login.output().includes('The same password again'), {what: () => `the second password prompt in ${JSON.stringify(login.output())}`, timeoutMs: 30_000})
    login.write(`${PASSWORD}\r`)
    const exit = await withDeadline(login.exited, 60_000, 'tug login --invite to finish')
    term = undefined
    const output = login.output()
    assert.equal(exit.exitCode, 0, output)
    assert.match(output, /Logged in as dev@example\.com/)
    assert.ok(!output.includes(PASSWORD), 'the password is never echoed')
    assert.match(readFileSync(join(devHome, '.netrc'), 'utf8'), /login dev@example\.com/)

    const whoami = await asDev(['auth:whoami'])
    assert.equal(whoami.stdout, 'dev@example.com\n', whoami.stderr)
    const noApps = await asDev(['apps', '--json'])
    assert.deepEqual(JSON.parse(noApps.stdout), [])
    const hidden = await asDev(['ps', '-a', 'shop'])
    assert.equal(hidden.code, 1)
    assert.match(hidden.stderr, /Couldn't find that app\./)

    const added = await plane.run(['access:add', 'dev@example.com', '-a', 'shop'])
    assert.equal(added.code, 0, added.stderr)
    const access = await plane.run(['access', '-a', 'shop'])
    assert.match(access.stdout, /^=== shop Access List\nadmin@tug\.local {2}owner\ndev@example\.com {2}collaborator\n$/)

    const visible = await asDev(['apps', '--json'])
    assert.deepEqual((JSON.parse(visible.stdout) as Array<{name: string}>).map((a) => a.name), ['shop'])
    assert.equal((await asDev(['ps', '-a', 'other'])).code, 1, 'other stays hidden')

    const created = await asDev(['authorizations:create', '--description', 'read shop', '--scope', 'read', '--app', 'shop', '--short'])
    assert.equal(created.code, 0, created.stderr)
    const readToken = created.stdout.trim()
    assert.match(readToken, /^\S{20,}$/)
    const withRead = (args: string[]) => asDev(args, {TUG_API_URL: plane.url, TUG_API_KEY: readToken})
    const config = await withRead(['config', '-a', 'shop', '--json'])
    assert.equal(config.code, 0, config.stderr)
    const scale = await withRead(['ps:scale', 'web=1', '-a', 'shop'])
    assert.equal(scale.code, 1)
    assert.match(scale.stderr, /This token is read-only \(scope read\): it cannot change shop\./)
    const formation = await plane.run(['ps', '-a', 'shop', '--json'])
    assert.deepEqual(JSON.parse(formation.stdout), [], 'nothing was scaled')

    const listed = await asDev(['authorizations', '--json'])
    const descriptions = (JSON.parse(listed.stdout) as Array<{description: string; scope: string[]; app: {name: string} | null}>).map((a) => `${a.description}:${a.scope.join(',')}:${a.app?.name ?? '-'}`).sort()
    assert.equal(descriptions.length, 2, listed.stdout)
    assert.match(descriptions[0] as string, /^read shop:read:shop$/)
    assert.match(descriptions[1] as string, /^tug CLI on .+:global:-$/)

    // A password login from a script, and a wrong one.
    const scripted = await asDev(['login', plane.url, '--email', 'dev@example.com'], {TUG_PASSWORD: PASSWORD})
    assert.equal(scripted.code, 0, scripted.stderr)
    const wrong = await asDev(['login', plane.url, '--email', 'dev@example.com'], {TUG_PASSWORD: 'not the password'})
    assert.equal(wrong.code, 1)
    assert.match(wrong.stderr, /Wrong email or password/)

    // The second password login replaced the first one's token; logout revokes its own.
    const afterSecond = await asDev(['authorizations', '--json'])
    assert.equal((JSON.parse(afterSecond.stdout) as unknown[]).length, 2, afterSecond.stdout)
    const loginToken = /password (\S+)/.exec(readFileSync(join(devHome, '.netrc'), 'utf8'))?.[1] as string
    const loggedOut = await asDev(['logout', '--json'])
    assert.equal(JSON.parse(loggedOut.stdout).revokedToken, true, loggedOut.stderr)
    const revoked = await asDev(['auth:whoami'], {TUG_API_URL: plane.url, TUG_API_KEY: loginToken})
    assert.equal(revoked.code, 1, 'the revoked token no longer works')
    assert.equal((await withRead(['config', '-a', 'shop'])).code, 0, 'the read token made with authorizations:create stays')

    const users = await plane.run(['users', '--json'])
    const states = (JSON.parse(users.stdout) as Array<{email: string; state: string; admin: boolean}>).map((u) => `${u.email}:${u.state}:${u.admin}`).sort()
    assert.deepEqual(states, ['admin@tug.local:active:true', 'dev@example.com:active:false'])

    const audit = await plane.run(['audit', '-a', 'shop', '--json'])
    assert.equal(audit.code, 0, audit.stderr)
    const actions = (JSON.parse(audit.stdout) as Array<{action: string; actor: {email: string} | null}>).map((e) => `${e.actor?.email}:${e.action}`)
    assert.ok(actions.includes('admin@tug.local:collaborator.create'), actions.join('\n'))
    assert.ok(!actions.some((a) => a.endsWith('formation.update')), 'the refused scale is not recorded as a change')
    const table = await plane.run(['audit', '-a', 'shop'])
    assert.match(table.stdout, /^Time +Who +App +Action +Token\n/)
  })
})
