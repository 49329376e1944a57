import type {User} from '../../shared/api-types.js'
import {TugCommand} from '../../lib/cli/base-command.js'
import {formatUsers} from '../../lib/users/format.js'

export default class Users extends TugCommand<User[]> {
  static override description = `list the control plane's users (admin only)

A user is invited (tug users:invite) until they choose a password with tug login URL --invite CODE, then active.`

  static override examples = ['<%= config.bin %> users', '<%= config.bin %> users --json']

  async run(): Promise<User[]> {
    await this.parse(Users)
    const users = await (await this.api()).users.list()
    for (const line of formatUsers(users)) this.out(line)
    return users
  }
}
