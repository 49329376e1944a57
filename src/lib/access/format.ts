// `tug access`, `tug teams` and `tug members` layouts: Heroku's (an email and a role per line,
// sorted by email), with tug's viewer role among a team's.
import {TEAM_ROLES, type App, type Collaborator, type Team, type TeamMember, type TeamRole} from '../../shared/api-types.js'
import {header} from '../cli/styled.js'
import {table} from '../cli/table.js'
import {UsageError} from '../errors.js'

const byEmail = (a: {email: string}, b: {email: string}): number => a.email.localeCompare(b.email)

/** The owner first, then everyone else by email; a collaborator without a role is a `collaborator`. */
export function formatAccess(app: Pick<App, 'name' | 'team'>, collaborators: Collaborator[]): string[] {
  const rows = collaborators.map((c) => ({email: c.user.email, role: c.role ?? 'collaborator'})).sort(byEmail)
  rows.sort((a, b) => Number(b.role === 'owner') - Number(a.role === 'owner'))
  const lines = [header(`${app.name} Access List`), ...table(rows.map((r) => [r.email, r.role]))]
  if (app.team) lines.push('', `${app.name} belongs to the team ${app.team.name}: its members have access by their role (tug members -t ${app.team.name}).`)
  return lines
}

export function formatTeams(teams: Team[]): string[] {
  const sorted = [...teams].sort((a, b) => a.name.localeCompare(b.name))
  return table([['Team', 'Role'], ...sorted.map((t) => [t.name, t.role ?? '(not a member)'])])
}

export function formatMembers(members: TeamMember[]): string[] {
  return table([...members].sort(byEmail).map((m) => [m.email, m.role ?? '']))
}

export function parseRole(value: string): TeamRole {
  if (!(TEAM_ROLES as readonly string[]).includes(value)) {
    throw new UsageError(`Unknown role ${JSON.stringify(value)}: a team member is an admin, a member or a viewer.`, {
      hint: "admin: everything on the team's apps, and its members; member: reads and changes its apps; viewer: reads them.",
    })
  }
  return value as TeamRole
}
