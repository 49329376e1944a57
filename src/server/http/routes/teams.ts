// Teams (Heroku's /teams): a team owns apps beside their owner; its admins and members read and
// change them, its viewers read them (domain/access.ts). Team admins manage the members.
import type {FastifyRequest} from 'fastify'
import type {TeamAppPermission} from '../../../shared/api-types.js'
import {APP_NAME_PATTERN} from '../../domain/names.js'
import {findUser} from '../../users/index.js'
import {TEAM_ROLES, type TeamRecord, type TeamRole} from '../../store/index.js'
import {viewerOf} from '../access.js'
import {requireActor} from '../auth.js'
import {objectBody} from '../body.js'
import {params} from '../context.js'
import type {AppDeps, RouteModule} from '../deps.js'
import {HttpError, invalidParams, notFound} from '../errors.js'
import {appToWire} from '../wire.js'
import {memberToWire, teamToWire} from './users-wire.js'

/**
 * Heroku's four app permissions, as tug's roles grant them: viewers view; members and collaborators
 * also deploy and operate; a team admin (and an app's owner) holds all four. Heroku's CLI shows
 * them beside a team's admins in `heroku access`.
 */
const APP_PERMISSIONS: readonly TeamAppPermission[] = [
  {name: 'view', description: "See the app: its config, dynos, releases, logs and add-ons."},
  {name: 'deploy', description: 'Deploy the app: builds, releases, rollbacks, config vars and add-ons.'},
  {name: 'operate', description: 'Operate the app: scale, restart and stop dynos, run one-off dynos.'},
  {name: 'manage', description: 'Manage the app: its collaborators, its name, its destruction.'},
]

const teamNotFound = () => notFound('team', "Couldn't find that team.")
const memberNotFound = () => notFound('team member', "Couldn't find that team member.")

/** A team the caller sees (a member, or the admin), or the same 404 as a missing one; and the caller's role in it. */
export function loadTeam(deps: AppDeps, request: FastifyRequest, identity: string): {team: TeamRecord; role: TeamRole | null} {
  const actor = requireActor(request)
  const team = deps.store.teams.resolve(identity)
  const role = team ? deps.store.teams.member(team.id, actor.accountId)?.role ?? null : null
  if (!team || (role === null && !actor.admin)) throw teamNotFound()
  return {team, role}
}

function requireTeamAdmin(request: FastifyRequest, team: TeamRecord, role: TeamRole | null): void {
  if (role === 'admin' || requireActor(request).admin) return
  throw new HttpError(403, 'forbidden', `Only admins of team ${team.name} may change its members; you are a ${role ?? 'viewer'}.`)
}

function roleOf(value: unknown): TeamRole {
  if (typeof value === 'string' && (TEAM_ROLES as readonly string[]).includes(value)) return value as TeamRole
  throw invalidParams(`role must be one of ${TEAM_ROLES.join(', ')}.`)
}

export const teamsRoutes: RouteModule = (app, deps) => {
  const {store} = deps

  app.get('/teams', {config: {access: 'read'}}, async (request) => {
    const actor = requireActor(request)
    // A token for one app lists that app only; teams are not apps.
    if (actor.token?.appId) return []
    const teams = actor.admin ? store.teams.list() : store.teams.list(actor.accountId)
    return teams.map((t) => teamToWire(t, store.teams.member(t.id, actor.accountId)?.role ?? null))
  })

  app.post('/teams', {config: {access: 'write'}}, async (request, reply) => {
    const actor = requireActor(request)
    const name = objectBody(request.body).name
    if (typeof name !== 'string' || !APP_NAME_PATTERN.test(name)) {
      throw invalidParams('name is required: lowercase letters, digits and dashes, starting with a letter (e.g. "payments").')
    }
    const team = store.transaction(() => {
      if (store.teams.resolve(name)) throw invalidParams(`Name ${name} is already taken.`)
      const created = store.teams.create(name)
      // Its creator administers it.
      store.teams.setMember(created.id, actor.accountId, 'admin')
      return created
    })
    reply.code(201)
    return teamToWire(team, 'admin')
  })

  // A static route: find-my-way matches it before /teams/:team whatever the order.
  app.get('/teams/permissions', {config: {access: 'read'}}, async () => APP_PERMISSIONS)

  app.get('/teams/:team', {config: {access: 'read'}}, async (request) => {
    const {team, role} = loadTeam(deps, request, params(request).team ?? '')
    return teamToWire(team, role)
  })

  app.get('/teams/:team/apps', {config: {access: 'read'}}, async (request) => {
    const {team} = loadTeam(deps, request, params(request).team ?? '')
    return store.apps
      .listVisible(viewerOf(request))
      .filter((a) => a.team_id === team.id)
      .map((a) => appToWire(store, a, deps.publicUrl(), deps.webUrl))
  })

  // No team features: Heroku's CLI reads them before `access:add` (org-access-controls) and
  // `members` (team-invite-acceptance), and without them uses /apps/{app}/collaborators and PUT members.
  app.get('/teams/:team/features', {config: {access: 'read'}}, async (request) => {
    loadTeam(deps, request, params(request).team ?? '')
    return []
  })

  app.get('/teams/:team/members', {config: {access: 'read'}}, async (request) => {
    const {team} = loadTeam(deps, request, params(request).team ?? '')
    return store.teams.members(team.id).map(memberToWire)
  })

  app.get('/teams/:team/members/:member', {config: {access: 'read'}}, async (request) => {
    const {team} = loadTeam(deps, request, params(request).team ?? '')
    const user = findUser(store, params(request).member ?? '')
    const member = user && store.teams.member(team.id, user.id)
    if (!member) throw memberNotFound()
    return memberToWire(member)
  })

  // Heroku's CLI adds with PUT (create or update) and changes roles with PATCH; POST for clients that create.
  for (const method of ['PUT', 'PATCH', 'POST'] as const) {
    app.route({
      method,
      url: '/teams/:team/members',
      config: {access: 'write'},
      handler: async (request) => {
        const {team, role} = loadTeam(deps, request, params(request).team ?? '')
        requireTeamAdmin(request, team, role)
        const body = objectBody(request.body)
        const email = typeof body.user === 'string' ? body.user : body.email
        if (typeof email !== 'string' || email.trim() === '') throw invalidParams('user is required: the email of the user, e.g. {"user": "dev@example.com", "role": "member"}.')
        const wanted = roleOf(body.role)
        const user = findUser(store, email)
        if (!user) throw notFound('user', `Couldn't find that user (${email.trim()}). The control plane's admin invites users first (tug users:invite EMAIL).`)
        const member = store.transaction(() => {
          const current = store.teams.member(team.id, user.id)
          if (current?.role === 'admin' && wanted !== 'admin' && store.teams.members(team.id).filter((m) => m.role === 'admin').length === 1) {
            throw invalidParams(`${user.email} is the last admin of ${team.name}: make another member admin first.`)
          }
          return store.teams.setMember(team.id, user.id, wanted)
        })
        return memberToWire(member)
      },
    })
  }

  app.delete('/teams/:team/members/:member', {config: {access: 'write'}}, async (request) => {
    const {team, role} = loadTeam(deps, request, params(request).team ?? '')
    requireTeamAdmin(request, team, role)
    const user = findUser(store, params(request).member ?? '')
    const member = user && store.teams.member(team.id, user.id)
    if (!user || !member) throw memberNotFound()
    store.transaction(() => {
      if (member.role === 'admin' && store.teams.members(team.id).filter((m) => m.role === 'admin').length === 1) {
        throw invalidParams(`${user.email} is the last admin of ${team.name}: make another member admin first.`)
      }
      store.teams.removeMember(team.id, user.id)
    })
    return memberToWire(member)
  })
}
