// `tug authorizations` layouts, Heroku's fields (Client, ID, Description, Scope, Token, Expires
// at, Updated at) plus tug's App: the one app a scoped token may act on.
import {TOKEN_SCOPES, type OAuthAuthorization, type TokenScope} from '../../shared/api-types.js'
import {formatUtc, timeAgo} from '../cli/ago.js'
import {styledObject} from '../cli/styled.js'
import {table} from '../cli/table.js'
import {UsageError} from '../errors.js'

function scopeOf(auth: OAuthAuthorization): string {
  return Array.isArray(auth.scope) ? auth.scope.join(',') : ''
}

/** `in 59m`, `in 3h`, `in 2d`: a rough time to an expiry, or `expired` once past it. */
export function timeUntil(ms: number): string {
  if (ms <= 0) return 'expired'
  const seconds = Math.ceil(ms / 1000)
  if (seconds < 60) return `in ${seconds}s`
  if (seconds < 3600) return `in ${Math.floor(seconds / 60)}m`
  if (seconds < 48 * 3600) return `in ${Math.floor(seconds / 3600)}h`
  return `in ${Math.floor(seconds / 86_400)}d`
}

/** When the token expires, from the seconds it has left as the server counts them now. */
export function expiresAt(auth: OAuthAuthorization, now: number): string {
  const left = auth.access_token?.expires_in
  if (left === null || left === undefined) return 'never'
  const at = now + left * 1000
  return `${formatUtc(new Date(at))} (${timeUntil(at - now)})`
}

export function formatAuthorization(auth: OAuthAuthorization, now: number): string[] {
  const entries: Array<[string, string]> = [
    ['Client', auth.client?.name ?? '<none>'],
    ['ID', auth.id],
    ['Description', auth.description],
    ['Scope', scopeOf(auth)],
    ['App', auth.app?.name ?? '(every app of the user)'],
  ]
  const token = auth.access_token?.token
  if (token) entries.push(['Token', token])
  entries.push(['Expires at', expiresAt(auth, now)], ['Updated at', timeAgo(auth.updated_at, now)])
  return styledObject(entries)
}

/** Sorted by description, as Heroku's CLI lists them. */
export function formatAuthorizations(auths: OAuthAuthorization[]): string[] {
  const sorted = [...auths].sort((a, b) => a.description.localeCompare(b.description))
  return table([
    ['Description', 'ID', 'Scope', 'App', 'Expires'],
    ...sorted.map((auth) => [auth.description, auth.id, scopeOf(auth), auth.app?.name ?? '', auth.access_token?.expires_in == null ? 'never' : timeUntil(auth.access_token.expires_in * 1000)]),
  ])
}

/** --expires-in: whole seconds, at least one. */
export function parseExpiresIn(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) {
    throw new UsageError(`--expires-in must be a whole number of seconds, 1 or more; got ${JSON.stringify(value)}.`, {hint: 'For example --expires-in 3600 for an hour, 2592000 for 30 days.'})
  }
  return Number(value)
}

/** Heroku's CLI takes a comma-separated list; tug's tokens have exactly one scope. */
export function parseScope(value: string): TokenScope {
  const scope = value.trim()
  if (!(TOKEN_SCOPES as readonly string[]).includes(scope)) {
    throw new UsageError(`Unknown scope ${JSON.stringify(value)}: a token's scope is one of read, write or global.`, {
      hint: 'read: reads only; write: reads and changes apps; global: everything its user may do, tokens, users and teams too. --app APP limits a token to one app.',
    })
  }
  return scope as TokenScope
}
