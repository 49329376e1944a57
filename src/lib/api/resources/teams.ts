import type {Requester} from '../requester.js'
import type {Team, TeamMember, TeamRole} from '../../../shared/api-types.js'
import {pathOf} from './path.js'

export interface TeamsResource {
  list(): Promise<Team[]>
  create(name: string): Promise<Team>
  members(team: string): Promise<TeamMember[]>
  /** Adds the member, or changes the role of one already there (Heroku's PUT). */
  setMember(team: string, email: string, role: TeamRole): Promise<TeamMember>
  removeMember(team: string, email: string): Promise<TeamMember>
}

export function teamsResource(client: Requester): TeamsResource {
  return {
    list: () => client.list<Team>('/teams'),
    create: (name) => client.post<Team>('/teams', {name}),
    members: (team) => client.list<TeamMember>(pathOf('teams', team, 'members')),
    setMember: (team, email, role) => client.put<TeamMember>(pathOf('teams', team, 'members'), {user: email, role}),
    removeMember: (team, email) => client.delete<TeamMember>(pathOf('teams', team, 'members', email)),
  }
}
