// Authentication (platform-api.md 1.3): `Bearer <token>`, or Basic with the token as the password
// (the user part is ignored: clients send '', 'user' or an email there).
import type {Store} from '../store/index.js'
import type {AccountRecord} from '../store/index.js'
import {unauthorized} from './errors.js'
import type {FastifyInstance, FastifyRequest} from 'fastify'

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

export function authenticate(store: Store, header: string | undefined): AccountRecord | undefined {
  const secret = tokenFromAuthorization(header)
  if (!secret) return undefined
  const token = store.tokens.authenticate(secret)
  return token ? store.accounts.get(token.account_id) : undefined
}

export function authPlugin(app: FastifyInstance, store: Store): void {
  app.decorateRequest('account', null)
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public && !request.is404) return
    const account = authenticate(store, request.headers.authorization)
    if (!account) throw unauthorized()
    request.account = account
  })
}

/** The authenticated account of a (non-public) route. */
export function requireAccount(request: FastifyRequest): AccountRecord {
  if (!request.account) throw unauthorized()
  return request.account
}
