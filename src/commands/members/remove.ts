import {Args} from '@oclif/core'

import type {TeamMember} from '../../shared/api-types.js'
import {teamFlag} from '../../lib/access/flags.js'
import {TugCommand} from '../../lib/cli/base-command.js'

export default class MembersRemove extends TugCommand<TeamMember> {
  static override description = "remove a user from a team: they lose access to the team's apps"

  static override examples = ['<%= config.bin %> members:remove dev@example.com -t payments']

  static override args = {
    email: Args.string({description: "the member's email", required: true}),
  }

  static override flags = {team: teamFlag}

  async run(): Promise<TeamMember> {
    const {args, flags} = await this.parse(MembersRemove)
    const api = await this.api()
    return this.action(`Removing ${args.email} from ${flags.team}`, () => api.teams.removeMember(flags.team, args.email))
  }
}
