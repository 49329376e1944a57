// Users and logins (issue 17): the admin invites, an invitee sets a password with its one-time
// code, and POST /oauth/authorizations makes tokens, with a password (Basic email:password, as
// Heroku's CLI logs in) or a global token; every token's scope, app and lifetime are its own.
import type {FastifyReply, FastifyRequest} from 'fastify'
import {TOKEN_SCOPES, type TokenScope} from '../../../shared/api-types.js'
import {LoginFailed, LoginThrottle, LoginThrottled, Users, WRONG_LOGIN} from '../../users/index.js'
import {authorizeApp, authorizeNoApp} from '../access.js'
import {actorOf, authenticateToken, expiredToken, requireAccount, requireActor, tokenFromAuthorization} from '../auth.js'
import {objectBody} from '../body.js'
import {params} from '../context.js'
import type {RouteModule} from '../deps.js'
import {appNotFound, HttpError, invalidParams, notFound, unauthorized} from '../errors.js'
import {optionalInteger, optionalString} from '../validate.js'
import {authorizationToWire, userToWire} from './users-wire.js'

/** Ten years: past that a token should be a global one without expiry, said as such. */
const MAX_EXPIRES_IN = 10 * 365 * 24 * 3600

const authorizationNotFound = () => notFound('authorization', "Couldn't find that authorization.")

/** The broadest of the scopes asked for (Heroku's are additive: read, write = write). */
function scopeOf(value: unknown): TokenScope {
  if (value === undefined || value === null) return 'global'
  const list = Array.isArray(value) ? value : [value]
  if (list.length === 0 || !list.every((s): s is TokenScope => typeof s === 'string' && (TOKEN_SCOPES as readonly string[]).includes(s))) {
    throw invalidParams('scope must be one of read, write or global (as an array, e.g. ["read"]).')
  }
  return TOKEN_SCOPES.filter((s) => list.includes(s)).at(-1) as TokenScope
}

/** The body with the field as a number when it is a string of digits (other values are left for the check to refuse). */
function digitsAsNumber(body: Record<string, unknown>, field: string): Record<string, unknown> {
  const value = body[field]
  return typeof value === 'string' && /^\d{1,15}$/.test(value.trim()) ? {...body, [field]: Number(value.trim())} : body
}

function basicCredentials(header: string | undefined): {user: string; password: string} | undefined {
  const match = /^\s*basic\s+(\S+)\s*$/i.exec(header ?? '')
  if (!match) return undefined
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon === -1 ? undefined : {user: decoded.slice(0, colon), password: decoded.slice(colon + 1)}
}

export const usersRoutes: RouteModule = (app, deps) => {
  const {store} = deps
  const users = new Users(store, new LoginThrottle(store.clock))

  /** A token (global, or a password) or an email and password: the route authenticates itself. */
  async function loginOrToken(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const found = authenticateToken(store, request.headers.authorization)
    if (found) {
      const expired = expiredToken(found.token, store.clock())
      if (expired) throw expired
      request.account = found.account
      request.token = found.token
      request.actor = actorOf(found.account, found.token)
      authorizeNoApp(store, request, 'account')
      return
    }
    const basic = basicCredentials(request.headers.authorization)
    if (!basic || !basic.user.includes('@')) throw unauthorized()
    request.loginEmail = basic.user.trim().toLowerCase()
    try {
      const account = await users.login(basic.user.trim(), basic.password, request.ip)
      request.account = account
      request.actor = actorOf(account, null)
      request.auditAction = 'login'
    } catch (error) {
      request.auditAction = 'login.failed'
      if (error instanceof LoginThrottled) {
        reply.header('Retry-After', String(error.retryAfterSeconds))
        throw new HttpError(429, 'rate_limit', error.message)
      }
      if (error instanceof LoginFailed) throw new HttpError(401, 'unauthorized', WRONG_LOGIN)
      throw error
    }
  }

  app.post('/oauth/authorizations', {config: {access: 'account', login: true}}, async (request, reply) => {
    await loginOrToken(request, reply)
    const account = requireAccount(request)
    const body = objectBody(request.body)
    const description = optionalString(body, 'description')
    if (description !== undefined && description.length > 200) throw invalidParams('description must be at most 200 characters.')
    const scope = scopeOf(body.scope)
    // Heroku's CLI sends its --expires-in flag as it was typed: a string of digits.
    const expiresIn = optionalInteger(digitsAsNumber(body, 'expires_in'), 'expires_in', 1, MAX_EXPIRES_IN)
    const appName = optionalString(body, 'app')
    let appId: string | null = null
    if (appName !== undefined) {
      const target = store.apps.resolve(appName)
      if (!target) throw appNotFound()
      // The token may only name an app its user sees; what it may do there is decided at each use.
      authorizeApp(store, request, target, 'read')
      appId = target.id
    }
    const now = store.clock()
    const {token, secret} = store.tokens.create(account.id, description ?? null, {
      scope,
      appId,
      // Stored to the second, rounded up: a token never ends before the time asked for.
      expiresAt: expiresIn === undefined ? null : new Date(Math.ceil((now.getTime() + expiresIn * 1000) / 1000) * 1000),
    })
    request.auditToken = token
    reply.code(201)
    return authorizationToWire(store, token, now, secret)
  })

  /**
   * The token the request presented is shown with its secret (the caller has it already): Heroku's
   * `auth:token` finds its own token in the list that way, to warn of its expiry. No other secret exists.
   */
  const presented = (request: FastifyRequest, id: string): string | undefined =>
    request.token?.id === id ? tokenFromAuthorization(request.headers.authorization) : undefined

  app.get('/oauth/authorizations', {config: {access: 'account'}}, async (request) => {
    const now = store.clock()
    return store.tokens.list(requireAccount(request).id).map((t) => authorizationToWire(store, t, now, presented(request, t.id)))
  })

  /** One of the caller's own tokens (the admin's: anyone's). */
  const ownToken = (request: FastifyRequest) => {
    const token = store.tokens.get((params(request).id ?? '').toLowerCase())
    const actor = requireActor(request)
    if (!token || (token.account_id !== actor.accountId && !actor.admin)) throw authorizationNotFound()
    return token
  }

  app.get('/oauth/authorizations/:id', {config: {access: 'account'}}, async (request) => {
    const token = ownToken(request)
    return authorizationToWire(store, token, store.clock(), presented(request, token.id))
  })

  app.delete('/oauth/authorizations/:id', {config: {access: 'account'}}, async (request) => {
    const token = ownToken(request)
    const wire = authorizationToWire(store, token, store.clock())
    store.tokens.revoke(token.id)
    request.auditToken = token
    return wire
  })

  // tug has no sessions (Heroku's SSO logins). `heroku logout` deletes `~` beside revoking its token,
  // and waits for that revoke only when this answers as Heroku's does for none: a 404 naming `session`.
  app.delete('/oauth/sessions/:id', {config: {access: 'read'}}, async () => {
    throw notFound('session', "Couldn't find that session.")
  })

  app.post('/users/invitations', {config: {access: 'admin'}}, async (request, reply) => {
    const {account, invitation, code} = users.invite(objectBody(request.body).email)
    reply.code(201)
    return {id: account.id, email: invitation.email, code, expires_at: invitation.expires_at}
  })

  // The one-time code is the credential: no token yet.
  app.post('/users/invitations/accept', {config: {public: true}}, async (request) => {
    const account = await users.accept(objectBody(request.body))
    request.account = account
    request.auditAction = 'user.activate'
    return {id: account.id, email: account.email}
  })

  app.get('/users', {config: {access: 'admin'}}, async () => store.accounts.list().map(userToWire))

  app.delete('/users/:account', {config: {access: 'admin'}}, async (request) => {
    const identity = params(request).account ?? ''
    const {account, apps} = users.remove(identity, requireAccount(request))
    // Said in the answer: the removed user's apps were not lost, they are the admin's now.
    return {...userToWire(account), apps_transferred: apps}
  })
}
