// Who may do what (issue 17), decided in one pure function. The HTTP edge builds the actor from
// the request's token and the target from the app the route is for, and answers the decision.
import type {TeamRole, TokenScope} from '../store/index.js'

/**
 * What a route needs: read or change an app (or the things everyone reads), manage an app's
 * access or destroy it, act on the caller's own account (tokens), or administer the control plane.
 */
export type Need = 'read' | 'write' | 'manage' | 'account' | 'admin'
export const NEEDS: readonly Need[] = ['read', 'write', 'manage', 'account', 'admin']

export interface ActorToken {
  scope: TokenScope
  /** The one app the token may act on. */
  appId: string | null
  expiresAt: string | null
}

export interface Actor {
  accountId: string
  admin: boolean
  /** null when the request authenticated with a password (only POST /oauth/authorizations does). */
  token: ActorToken | null
}

/** An app as access sees it: its owner, and the actor's ties to it. */
export interface AccessTarget {
  name: string
  appId: string
  ownerId: string
  /** The actor's role in the app's team, if the app has one and the actor is in it. */
  teamRole: TeamRole | null
  collaborator: boolean
}

export type Decision =
  | {allowed: true}
  | {allowed: false; status: 401 | 403 | 404; message: string}

const deny = (status: 401 | 403 | 404, message: string): Decision => ({allowed: false, status, message})
const ALLOWED: Decision = {allowed: true}
export const APP_NOT_FOUND_MESSAGE = "Couldn't find that app."

/** Why the actor sees the app, in words for messages; undefined when it does not. */
function relation(actor: Actor, target: AccessTarget): string | undefined {
  if (actor.admin) return 'admin'
  if (target.ownerId === actor.accountId) return 'owner'
  if (target.teamRole) return `team ${target.teamRole}`
  if (target.collaborator) return 'collaborator'
  return undefined
}

function mayAsUser(via: string, need: Need): boolean {
  if (need === 'read') return true
  if (need === 'write') return via !== 'team viewer'
  return via === 'admin' || via === 'owner' || via === 'team admin'
}

function tokenMay(scope: TokenScope, need: Need): boolean {
  if (scope === 'global') return true
  if (scope === 'write') return need === 'read' || need === 'write' || need === 'manage'
  return need === 'read'
}

function scopeMessage(token: ActorToken, need: Need, what: string): string {
  // A write token would not help with tokens, the account or the control plane: say global there.
  if (token.scope === 'read' && tokenMay('write', need)) return `This token is read-only (scope read): it cannot ${what}. Use a token with scope write (tug authorizations:create --scope write).`
  return `This token has scope ${token.scope}: it cannot ${what}. That needs a global token or a password login (tug authorizations:create --scope global).`
}

function needWords(need: Need, name: string): string {
  switch (need) {
    case 'read':
      return `read ${name}`
    case 'write':
      return `change ${name}`
    case 'manage':
      return `manage ${name}'s access or destroy it`
    case 'account':
      return 'manage tokens or the account'
    case 'admin':
      return 'administer the control plane'
  }
}

/**
 * The decision for `actor` wanting `need` on `target` (an app) or on no app (`null`: lists, the
 * catalogue, the caller's account, users). An app the actor may not see is a 404 exactly like a
 * missing one, so names do not leak; one it sees but may not change is a 403 with the reason.
 */
export function decide(actor: Actor, target: AccessTarget | null, need: Need, now: Date): Decision {
  const token = actor.token
  if (token?.expiresAt && Date.parse(token.expiresAt) <= now.getTime()) {
    return deny(401, `This token expired at ${token.expiresAt}. Create a new one with tug authorizations:create.`)
  }
  if (target === null || need === 'account' || need === 'admin') {
    if (need === 'read') return ALLOWED
    if (token?.appId) return deny(403, 'This token is limited to one app: it can act on that app only, not create apps or teams, manage tokens or users.')
    if (token && !tokenMay(token.scope, need)) return deny(403, scopeMessage(token, need, needWords(need, 'anything')))
    if (need === 'admin' && !actor.admin) return deny(403, "Only the control plane's admin may do this (manage users, see every app).")
    return ALLOWED
  }
  const via = relation(actor, target)
  if (via === undefined) return deny(404, APP_NOT_FOUND_MESSAGE)
  // A token for another app does not even see this one: a leaked CI token lists nothing else.
  if (token?.appId && token.appId !== target.appId) return deny(404, APP_NOT_FOUND_MESSAGE)
  if (!mayAsUser(via, need)) {
    if (need === 'write') return deny(403, `You have read-only access to ${target.name} (${via}).`)
    return deny(403, `Only ${target.name}'s owner, a team admin or the control plane's admin may ${needWords(need, target.name)}; you are a ${via}.`)
  }
  if (token && !tokenMay(token.scope, need)) return deny(403, scopeMessage(token, need, needWords(need, target.name)))
  return ALLOWED
}
