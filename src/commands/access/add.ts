import {Args} from '@oclif/core'

import type {Collaborator} from '../../shared/api-types.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'

export default class AccessAdd extends TugCommand<Collaborator> {
  static override description = `give a user access to an app, as a collaborator

The user must exist on the control plane (the admin invites people with tug users:invite). A collaborator reads and changes the app (deploys, config, scaling, logs), but cannot manage its access or destroy it.`

  static override examples = ['<%= config.bin %> access:add dev@example.com -a shop']

  static override args = {
    email: Args.string({description: "the user's email", required: true}),
  }

  static override flags = {...appFlags}

  async run(): Promise<Collaborator> {
    const {args, flags} = await this.parse(AccessAdd)
    const app = this.requireApp(flags)
    const api = await this.api()
    return this.action(`Adding ${args.email} access to the app ${app}`, () => api.collaborators.add(app, args.email))
  }
}
