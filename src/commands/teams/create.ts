import {Args} from '@oclif/core'

import type {Team} from '../../shared/api-types.js'
import {TugCommand} from '../../lib/cli/base-command.js'

export default class TeamsCreate extends TugCommand<Team> {
  static override description = 'create a team; you become its admin'

  static override examples = ['<%= config.bin %> teams:create payments', '<%= config.bin %> members:add dev@example.com -t payments --role member']

  static override args = {
    name: Args.string({description: 'name of the team (lower-case letters, digits and dashes)', required: true}),
  }

  async run(): Promise<Team> {
    const {args} = await this.parse(TeamsCreate)
    const api = await this.api()
    const team = await this.action(`Creating team ${args.name}`, () => api.teams.create(args.name))
    this.info(`Add people with tug members:add EMAIL -t ${team.name} --role member, and apps with tug apps:create --team ${team.name}.`)
    return team
  }
}
