// Authentication (platform-api.md 1.3): `Bearer <token>`, or Basic with the token as the password
// (the user part is ignored: clients send '', 'user' or an email there). Basic with an email and
// a password is a login, accepted by POST /oauth/authorizations only (users/login.ts).
import type {FastifyInstance, FastifyRequest} from 'fastify'
import type {Actor} from '../domain/access.js'
import type {AccountRecord, Store, TokenRecord} from '../store/index.js'
import {HttpError, unauthorized} from './errors.js'

/** The token a request presents, or undefined when the header is absent or unusable. */
export function tokenFromAuthorization(header: string | undefined): string | undefined {
  if (!header) return undefined
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(header)
  if (!match) return undefined
  const scheme = (match[1] as string).toLowerCase()
  const value = match[2] as string
  if (scheme === 'bearer') return value
  if (scheme !== 'basic') return undefined
  const decoded = Buffer.from(value, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  const token = colon === -1 ? decoded : decoded.slice(colon + 1)
  return token === '' ? undefined : token
}

export interface Authenticated {
  account: AccountRecord
  token: TokenRecord
}

/** The account and token a request's credentials name; undefined for none, a bad one or a removed user. */
export function authenticateToken(store: Store, header: string | undefined): Authenticated | undefined {
  const secret = tokenFromAuthorization(header)
  if (!secret) return undefined
  const token = store.tokens.authenticate(secret)
  const account = token && store.accounts.get(token.account_id)
  return token && account && account.removed_at === null ? {account, token} : undefined
}

export function actorOf(account: AccountRecord, token: TokenRecord | null): Actor {
  return {
    accountId: account.id,
    admin: account.admin,
    token: token && {scope: token.scope, appId: token.app_id, expiresAt: token.expires_at},
  }
}

/** A token past its expiry, said as such (decide() says the same for every route). */
export function expiredToken(token: TokenRecord, now: Date): HttpError | undefined {
  if (token.expires_at === null || Date.parse(token.expires_at) > now.getTime()) return undefined
  return new HttpError(401, 'unauthorized', `This token expired at ${token.expires_at}. Create a new one with tug authorizations:create.`)
}

export function authPlugin(app: FastifyInstance, store: Store): void {
  app.decorateRequest('account', null)
  app.decorateRequest('token', null)
  app.decorateRequest('actor', null)
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config
    if ((config.public || config.login) && !request.is404) return
    const found = authenticateToken(store, request.headers.authorization)
    if (!found) throw unauthorized()
    const expired = expiredToken(found.token, store.clock())
    if (expired) throw expired
    request.account = found.account
    request.token = found.token
    request.actor = actorOf(found.account, found.token)
  })
}

/** The authenticated account of a (non-public) route. */
export function requireAccount(request: FastifyRequest): AccountRecord {
  if (!request.account) throw unauthorized()
  return request.account
}

export function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw unauthorized()
  return request.actor
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The token the request authenticated with; null on public routes (and on a password login). */
    token: TokenRecord | null
    /** Who acts, for decide(); null only on public routes. */
    actor: Actor | null
  }
}
