// Issue 17's done-when: against a real control plane process, for every route class, the owner,
// a collaborator, a team viewer, an outsider, a read token, a token for another app and an expired
// token each get the expected answer; lists show nothing an actor may not see; the database holds
// no password or token that could be read back. Plain HTTP (fetch), as any client would.
import assert from 'node:assert/strict'
import {request as httpRequest} from 'node:http'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'mocha'
import type {OAuthAuthorization, UserInvitation} from '../../src/shared/api-types.js'
import {startControlPlane, type ControlPlane} from '../helpers/control-plane.js'
import {waitFor} from '../helpers/wait-for.js'

const ACCEPT = 'application/vnd.heroku+json; version=3'

/** What an answer means for access: it went through (whatever the route then said), or which refusal. */
type Outcome = 'ok' | 'hidden' | 'forbidden' | 'expired' | 'server error'

interface Probe {
  routeClass: string
  need: 'read' | 'write' | 'manage'
  method: string
  path: string
  body?: unknown
  /** git and attach are not JSON API calls. */
  kind?: 'git' | 'attach'
}

const PROBES: Probe[] = [
  {routeClass: 'apps', need: 'read', method: 'GET', path: '/apps/shop'},
  {routeClass: 'apps', need: 'write', method: 'PATCH', path: '/apps/shop', body: {maintenance: false}},
  {routeClass: 'formation', need: 'read', method: 'GET', path: '/apps/shop/formation'},
  {routeClass: 'formation', need: 'write', method: 'PATCH', path: '/apps/shop/formation', body: {updates: []}},
  {routeClass: 'dynos', need: 'read', method: 'GET', path: '/apps/shop/dynos'},
  {routeClass: 'dynos', need: 'write', method: 'DELETE', path: '/apps/shop/dynos'},
  {routeClass: 'config', need: 'read', method: 'GET', path: '/apps/shop/config-vars'},
  {routeClass: 'config', need: 'write', method: 'PATCH', path: '/apps/shop/config-vars', body: {MATRIX: '1'}},
  {routeClass: 'releases', need: 'read', method: 'GET', path: '/apps/shop/releases'},
  {routeClass: 'releases', need: 'write', method: 'POST', path: '/apps/shop/releases', body: {release: '1'}},
  {routeClass: 'builds and sources', need: 'read', method: 'GET', path: '/apps/shop/builds'},
  {routeClass: 'builds and sources', need: 'write', method: 'POST', path: '/apps/shop/sources'},
  {routeClass: 'builds and sources', need: 'write', method: 'POST', path: '/shop.git/info/refs?service=git-receive-pack', kind: 'git'},
  {routeClass: 'builds and sources', need: 'read', method: 'GET', path: '/shop.git/info/refs?service=git-upload-pack', kind: 'git'},
  {routeClass: 'logs', need: 'read', method: 'POST', path: '/apps/shop/log-sessions', body: {}},
  {routeClass: 'attach', need: 'write', method: 'GET', path: '/apps/shop/dynos/run.1/attach', kind: 'attach'},
  {routeClass: 'drains', need: 'read', method: 'GET', path: '/apps/shop/log-drains'},
  {routeClass: 'drains', need: 'write', method: 'DELETE', path: '/apps/shop/log-drains/no-such-drain'},
  {routeClass: 'schedules', need: 'read', method: 'GET', path: '/apps/shop/schedules'},
  {routeClass: 'schedules', need: 'write', method: 'DELETE', path: '/apps/shop/schedules/no-such-schedule'},
  {routeClass: 'add-ons', need: 'read', method: 'GET', path: '/apps/shop/addons'},
  {routeClass: 'add-ons', need: 'write', method: 'DELETE', path: '/apps/shop/addons/no-such-addon'},
  {routeClass: 'access', need: 'read', method: 'GET', path: '/apps/shop/collaborators'},
  {routeClass: 'access', need: 'manage', method: 'POST', path: '/apps/shop/collaborators', body: {user: 'extra@example.com'}},
  // Last: the owner's destroys the app.
  {routeClass: 'apps', need: 'manage', method: 'DELETE', path: '/apps/shop'},
]

type Actor = 'owner' | 'collaborator' | 'team viewer' | 'outsider' | 'read token' | 'token for another app' | 'expired token'

/** The issue's table: what each actor gets per need on shop. */
const EXPECTED: Record<Actor, Record<Probe['need'], Outcome>> = {
  owner: {read: 'ok', write: 'ok', manage: 'ok'},
  collaborator: {read: 'ok', write: 'ok', manage: 'forbidden'},
  'team viewer': {read: 'ok', write: 'forbidden', manage: 'forbidden'},
  outsider: {read: 'hidden', write: 'hidden', manage: 'hidden'},
  'read token': {read: 'ok', write: 'forbidden', manage: 'forbidden'},
  'token for another app': {read: 'hidden', write: 'hidden', manage: 'hidden'},
  'expired token': {read: 'expired', write: 'expired', manage: 'expired'},
}

function classify(status: number, body: string): Outcome {
  if (status >= 500) return 'server error'
  if (status === 401) return 'expired'
  if (status === 403) return 'forbidden'
  // A 404 of the app itself (JSON, or git's text) hides it; a 404 of a thing inside it went through.
  if (status === 404 && (/"message":"Couldn't find that app\."/.test(body) || /^No such app as /.test(body))) return 'hidden'
  return 'ok'
}

describe('e2e: the access matrix (issue 17)', function () {
  this.timeout(180_000)
  let plane: ControlPlane
  const secrets: Record<Actor, string> = {} as Record<Actor, string>
  const passwords: string[] = []

  async function api<T>(method: string, path: string, token: string | null, body?: unknown, headers: Record<string, string> = {}): Promise<{status: number; body: T; text: string}> {
    const response = await fetch(plane.url + path, {
      method,
      headers: {Accept: ACCEPT, ...(token === null ? {} : {Authorization: `Bearer ${token}`}), ...(body === undefined ? {} : {'Content-Type': 'application/json'}), ...headers},
      ...(body === undefined ? {} : {body: JSON.stringify(body)}),
    })
    const text = await response.text()
    return {status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T, text}
  }

  async function user(name: string): Promise<string> {
    const email = `${name}@example.com`
    const password = `${name} has a long password`
    passwords.push(password)
    const invited = await api<UserInvitation>('POST', '/users/invitations', plane.token, {email})
    assert.equal(invited.status, 201)
    assert.equal((await api('POST', '/users/invitations/accept', null, {code: invited.body.code, password})).status, 200)
    const login = await api<OAuthAuthorization>('POST', '/oauth/authorizations', null, {description: name}, {Authorization: `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`})
    assert.equal(login.status, 201, login.text)
    return login.body.access_token?.token ?? ''
  }

  async function token(owner: string, body: unknown): Promise<string> {
    const made = await api<OAuthAuthorization>('POST', '/oauth/authorizations', owner, body)
    assert.equal(made.status, 201, made.text)
    return made.body.access_token?.token ?? ''
  }

  async function probe(p: Probe, secret: string): Promise<{status: number; text: string}> {
    if (p.kind === 'git') {
      const response = await fetch(plane.url + p.path, {headers: {Authorization: `Basic ${Buffer.from(`git:${secret}`).toString('base64')}`}})
      return {status: response.status, text: await response.text()}
    }
    if (p.kind === 'attach') {
      return new Promise((resolve, reject) => {
        const req = httpRequest(plane.url + p.path, {headers: {Connection: 'Upgrade', Upgrade: 'tug-attach/1', Authorization: `Bearer ${secret}`}})
        req.on('response', (response) => {
          let text = ''
          response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve({status: response.statusCode ?? 0, text}))
        })
        req.on('upgrade', (_response, socket) => {
          socket.destroy()
          resolve({status: 101, text: ''})
        })
        req.on('error', reject)
        req.end()
      })
    }
    const answer = await api(p.method, p.path, secret, p.body)
    return {status: answer.status, text: answer.text}
  }

  before(async () => {
    plane = await startControlPlane()
    const owner = await user('owner')
    secrets.owner = owner
    secrets.collaborator = await user('collaborator')
    secrets['team viewer'] = await user('viewer')
    secrets.outsider = await user('outsider')
    await user('extra')
    assert.equal((await api('POST', '/teams', owner, {name: 'shop-team'})).status, 201)
    assert.equal((await api('POST', '/apps', owner, {name: 'shop', team: 'shop-team'})).status, 201)
    assert.equal((await api('POST', '/apps', owner, {name: 'other'})).status, 201)
    assert.equal((await api('PUT', '/teams/shop-team/members', owner, {user: 'viewer@example.com', role: 'viewer'})).status, 200)
    assert.equal((await api('POST', '/apps/shop/collaborators', owner, {user: 'collaborator@example.com'})).status, 201)
    secrets['read token'] = await token(owner, {description: 'dashboard', scope: ['read']})
    secrets['token for another app'] = await token(owner, {description: 'ci for other', scope: ['write'], app: 'other'})
    const brief = await token(owner, {description: 'brief', expires_in: 1})
    await waitFor(async () => (await api('GET', '/account', brief)).status === 401, {what: 'the brief token to expire'})
    secrets['expired token'] = brief
  })

  after(async () => {
    await plane?.close()
  })

  it('gives each actor the expected answer on every route class', async () => {
    const wrong: string[] = []
    const seen = new Set<string>()
    const actors = Object.keys(EXPECTED) as Actor[]
    // The owner last: its destroy of shop must come after everyone else's tries.
    for (const actor of [...actors.filter((a) => a !== 'owner'), 'owner' as const]) {
      for (const p of PROBES) {
        const {status, text} = await probe(p, secrets[actor])
        const got = classify(status, text)
        seen.add(`${got} ${status}`)
        const expected = EXPECTED[actor][p.need]
        if (got !== expected) wrong.push(`${actor} ${p.method} ${p.path} (${p.routeClass}, ${p.need}): expected ${expected}, got ${got} (${status} ${text.slice(0, 160)})`)
        if (got === 'forbidden' && p.kind !== 'git') assert.match(JSON.parse(text).message as string, /\S/, 'a 403 says why')
      }
    }
    assert.deepEqual(wrong, [])
    // The answers that went through were the routes' own: successes, and 404s of things inside shop.
    assert.deepEqual([...seen].filter((s) => s.startsWith('ok')).sort(), ['ok 101', 'ok 200', 'ok 201', 'ok 202', 'ok 404', 'ok 422'].filter((s) => seen.has(s)))
  })

  it('lists nothing an actor may not see', async () => {
    const names = async (path: string, secret: string) => ((await api<Array<{name: string}>>('GET', path, secret)).body ?? []).map((x) => x.name).sort()
    // shop was destroyed by its owner at the end of the matrix: make another for the lists.
    assert.equal((await api('POST', '/apps', secrets.owner, {name: 'shop2', team: 'shop-team'})).status, 201)
    assert.deepEqual(await names('/apps', secrets.owner), ['other', 'shop2'])
    assert.deepEqual(await names('/apps', secrets['team viewer']), ['shop2'])
    assert.deepEqual(await names('/apps', secrets.outsider), [])
    assert.deepEqual(await names('/apps', secrets['token for another app']), ['other'])
    assert.deepEqual(await names('/teams', secrets.outsider), [])
    assert.deepEqual(await names('/teams', secrets['token for another app']), [])
    for (const path of ['/addons', '/addon-attachments', '/audit']) {
      const seen = await api<unknown[]>('GET', path, secrets.outsider)
      assert.equal(seen.status, 200, path)
      assert.ok(!/shop|other/.test(seen.text), `${path} shows the outsider nothing of others: ${seen.text.slice(0, 200)}`)
    }
    assert.equal((await api('GET', '/users', secrets.outsider)).status, 403)
  })

  it('keeps no password or token the database could give back', () => {
    const file = Buffer.concat([join(plane.dataDir, 'tug.db'), join(plane.dataDir, 'tug.db-wal')].map((path) => {
      try {
        return readFileSync(path)
      } catch {
        return Buffer.alloc(0)
      }
    }))
    for (const secret of [...passwords, ...Object.values(secrets), plane.token]) {
      assert.ok(!file.includes(Buffer.from(secret)), `${secret.slice(0, 8)}… is not in the database`)
    }
  })
})
