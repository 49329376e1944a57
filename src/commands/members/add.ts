import {Args, Flags} from '@oclif/core'

import type {TeamMember} from '../../shared/api-types.js'
import {parseRole} from '../../lib/access/format.js'
import {TEAM_ROLES} from '../../shared/api-types.js'
import {teamFlag} from '../../lib/access/flags.js'
import {TugCommand} from '../../lib/cli/base-command.js'

export default class MembersAdd extends TugCommand<TeamMember> {
  static override description = `add a user to a team, or change their role

admin: everything on the team's apps, and the team's members; member: reads and changes the team's apps; viewer: reads them (a change is refused with 403). Only the team's admins (and the control plane's admin) may do this.`

  static override examples = ['<%= config.bin %> members:add dev@example.com -t payments --role member', '<%= config.bin %> members:add ops@example.com -t payments --role viewer']

  static override args = {
    email: Args.string({description: "the user's email", required: true}),
  }

  static override flags = {
    team: teamFlag,
    role: Flags.string({description: `the member's role: ${TEAM_ROLES.join(', ')}`, required: true, helpValue: 'ROLE'}),
  }

  async run(): Promise<TeamMember> {
    const {args, flags} = await this.parse(MembersAdd)
    const role = parseRole(flags.role)
    const api = await this.api()
    return this.action(`Adding ${args.email} to ${flags.team} as ${role}`, () => api.teams.setMember(flags.team, args.email, role))
  }
}
