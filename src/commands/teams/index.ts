import type {Team} from '../../shared/api-types.js'
import {formatTeams} from '../../lib/access/format.js'
import {TugCommand} from '../../lib/cli/base-command.js'

export default class Teams extends TugCommand<Team[]> {
  static override description = `list the teams you are in, with your role in each

A team owns apps (tug apps:create --team TEAM); its admins manage them and its members, members read and change them, viewers read them.`

  static override examples = ['<%= config.bin %> teams', '<%= config.bin %> teams --json']

  async run(): Promise<Team[]> {
    await this.parse(Teams)
    const teams = await (await this.api()).teams.list()
    if (teams.length === 0) {
      this.info('You are not in any team. Create one with tug teams:create NAME.')
      return teams
    }
    for (const line of formatTeams(teams)) this.out(line)
    return teams
  }
}
