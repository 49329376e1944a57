import {Args} from '@oclif/core'

import type {UserInvitation} from '../../shared/api-types.js'
import {TugCommand} from '../../lib/cli/base-command.js'
import {formatInvitation, inviteCommand} from '../../lib/users/format.js'

export default class UsersInvite extends TugCommand<UserInvitation & {command: string}> {
  static override description = `invite a user to the control plane (admin only)

Prints a one-time code and the exact command the invitee runs (tug login URL --invite CODE): it asks them for a password and logs them in. The code works once, for 7 days; inviting the same email again makes a new one.`

  static override examples = ['<%= config.bin %> users:invite dev@example.com', '<%= config.bin %> users:invite dev@example.com --json']

  static override args = {
    email: Args.string({description: "the new user's email", required: true}),
  }

  async run(): Promise<UserInvitation & {command: string}> {
    const {args} = await this.parse(UsersInvite)
    const api = await this.api()
    const invitation = await this.action(`Inviting ${args.email}`, () => api.users.invite(args.email))
    for (const line of formatInvitation(api.baseUrl, invitation)) this.out(line)
    return {...invitation, command: inviteCommand(api.baseUrl, invitation)}
  }
}
