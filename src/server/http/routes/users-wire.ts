// Wire shapes of issue 17: users, Heroku's OAuthAuthorization, Collaborator, Team, TeamMember,
// and tug's audit events.
import type {AuditEvent, Collaborator, OAuthAuthorization, Team, TeamMember, User} from '../../../shared/api-types.js'
import type {AccountRecord, AppRecord, AuditEventRecord, CollaboratorRecord, Store, TeamMemberRecord, TeamRecord, TeamRole, TokenRecord} from '../../store/index.js'
import {userState} from '../../users/index.js'

export function userToWire(account: AccountRecord): User {
  return {id: account.id, email: account.email, admin: account.admin, state: userState(account), created_at: account.created_at}
}

export function authorizationToWire(store: Store, token: TokenRecord, now: Date, secret?: string): OAuthAuthorization {
  const account = store.accounts.get(token.account_id)
  const app = token.app_id === null ? undefined : store.apps.get(token.app_id)
  const expiresIn = token.expires_at === null ? null : Math.max(0, Math.floor((Date.parse(token.expires_at) - now.getTime()) / 1000))
  return {
    id: token.id,
    description: token.description ?? '',
    scope: [token.scope],
    created_at: token.created_at,
    updated_at: token.last_used_at ?? token.created_at,
    access_token: {id: token.id, ...(secret === undefined ? {} : {token: secret}), expires_in: expiresIn},
    app: app ? {id: app.id, name: app.name} : null,
    user: {id: token.account_id, email: account?.email ?? '', full_name: account?.name ?? null},
    client: null,
    grant: null,
    refresh_token: null,
    session: null,
  }
}

function collaboratorShape(app: AppRecord, row: {id: string; created_at: string; updated_at: string}, user: {id: string; email: string}, role: 'owner' | 'collaborator'): Collaborator {
  return {
    app: {id: app.id, name: app.name},
    created_at: row.created_at,
    id: row.id,
    permissions: [],
    role,
    updated_at: row.updated_at,
    user: {email: user.email, federated: false, id: user.id},
  }
}

export function collaboratorToWire(app: AppRecord, collaborator: CollaboratorRecord): Collaborator {
  return collaboratorShape(app, collaborator, {id: collaborator.account_id, email: collaborator.email}, 'collaborator')
}

/** The owner, listed first as Heroku's CLI shows it; the id is the app's (the owner has no collaborator row). */
export function ownerToWire(app: AppRecord, owner: AccountRecord | undefined): Collaborator {
  return collaboratorShape(app, app, {id: app.owner_id, email: owner?.email ?? ''}, 'owner')
}

export function teamToWire(team: TeamRecord, role: TeamRole | null): Team {
  return {id: team.id, name: team.name, created_at: team.created_at, updated_at: team.updated_at, role, type: 'team', default: false}
}

export function memberToWire(member: TeamMemberRecord): TeamMember {
  return {
    created_at: member.created_at,
    email: member.email,
    federated: false,
    id: member.account_id,
    role: member.role,
    updated_at: member.updated_at,
    user: {email: member.email, id: member.account_id, name: member.name},
  }
}

export function auditToWire(event: AuditEventRecord): AuditEvent {
  return {
    id: event.id,
    created_at: event.created_at,
    // A failed login names the email it tried, known or not (the admin reads the audit).
    actor: event.actor_id === null && event.actor_email === null ? null : {id: event.actor_id ?? '', email: event.actor_email ?? ''},
    token: event.token_id === null ? null : {id: event.token_id, description: event.token_description ?? ''},
    app: event.app_id === null ? null : {id: event.app_id, name: event.app_name ?? ''},
    action: event.action,
    method: event.method,
    path: event.path,
  }
}
