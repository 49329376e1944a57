import type {TeamMember} from '../../shared/api-types.js'
import {teamFlag} from '../../lib/access/flags.js'
import {formatMembers} from '../../lib/access/format.js'
import {TugCommand} from '../../lib/cli/base-command.js'

export default class Members extends TugCommand<TeamMember[]> {
  static override description = "list a team's members and their roles (admin, member, viewer)"

  static override examples = ['<%= config.bin %> members -t payments', '<%= config.bin %> members -t payments --json']

  static override flags = {team: teamFlag}

  async run(): Promise<TeamMember[]> {
    const {flags} = await this.parse(Members)
    const members = await (await this.api()).teams.members(flags.team)
    if (members.length === 0) {
      this.info(`${flags.team} has no members.`)
      return members
    }
    for (const line of formatMembers(members)) this.out(line)
    return members
  }
}
