import {Args, Flags} from '@oclif/core'

import type {User} from '../../shared/api-types.js'
import {TugCommand} from '../../lib/cli/base-command.js'
import {confirmApp} from '../../lib/pg/confirm.js'

export default class UsersRemove extends TugCommand<User> {
  static override description = `remove a user from the control plane (admin only)

Their tokens stop working at once; the apps they owned stay, owned by the admin. Asks you to type the email on a terminal; scripts pass --confirm EMAIL.`

  static override examples = ['<%= config.bin %> users:remove dev@example.com', '<%= config.bin %> users:remove dev@example.com --confirm dev@example.com']

  static override args = {
    email: Args.string({description: "the user's email (or id)", required: true}),
  }

  static override flags = {
    confirm: Flags.string({description: 'the email again, to confirm without a prompt', helpValue: 'EMAIL'}),
  }

  async run(): Promise<User> {
    const {args, flags} = await this.parse(UsersRemove)
    await confirmApp(this.io, args.email, flags.confirm, `remove ${args.email} and revoke their tokens`)
    const api = await this.api()
    const user = await this.action(`Removing ${args.email}`, () => api.users.remove(args.email))
    this.info("Their tokens are revoked; the apps they owned now belong to the admin (tug access -a APP shows who has access).")
    return user
  }
}
