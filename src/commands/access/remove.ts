import {Args} from '@oclif/core'

import type {Collaborator} from '../../shared/api-types.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'

export default class AccessRemove extends TugCommand<Collaborator> {
  static override description = "take a collaborator's access to an app away (their tokens no longer reach it)"

  static override examples = ['<%= config.bin %> access:remove dev@example.com -a shop']

  static override args = {
    email: Args.string({description: "the collaborator's email", required: true}),
  }

  static override flags = {...appFlags}

  async run(): Promise<Collaborator> {
    const {args, flags} = await this.parse(AccessRemove)
    const app = this.requireApp(flags)
    const api = await this.api()
    return this.action(`Removing ${args.email} access from the app ${app}`, () => api.collaborators.remove(app, args.email))
  }
}
