import {Args, Flags} from '@oclif/core'

import type {User} from '../../shared/api-types.js'
import {TugCommand} from '../../lib/cli/base-command.js'
import {confirmApp} from '../../lib/pg/confirm.js'

/** tug's answer also names the apps that went to the admin. */
type RemovedUser = User & {apps_transferred?: string[]}

export default class UsersRemove extends TugCommand<RemovedUser> {
  static override description = `remove a user from the control plane (admin only)

Their tokens stop working at once; the apps they owned stay, owned by the admin. Asks you to type the email on a terminal; scripts pass --confirm EMAIL.`

  static override examples = ['<%= config.bin %> users:remove dev@example.com', '<%= config.bin %> users:remove dev@example.com --confirm dev@example.com']

  static override args = {
    email: Args.string({description: "the user's email (or id)", required: true}),
  }

  static override flags = {
    confirm: Flags.string({description: 'the email again, to confirm without a prompt', helpValue: 'EMAIL'}),
  }

  async run(): Promise<RemovedUser> {
    const {args, flags} = await this.parse(UsersRemove)
    await confirmApp(this.io, args.email, flags.confirm, `remove ${args.email} and revoke their tokens`)
    const api = await this.api()
    const user: RemovedUser = await this.action(`Removing ${args.email}`, () => api.users.remove(args.email))
    const apps = user.apps_transferred ?? []
    this.info(`Their tokens are revoked; ${apps.length === 0 ? 'the apps they owned now belong to the admin' : `their apps now belong to you, the admin: ${apps.join(', ')}`}.`)
    return user
  }
}
