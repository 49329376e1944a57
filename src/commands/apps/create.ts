import {Args, Flags} from '@oclif/core'

import type {App, AppCreateBody} from '../../lib/api/types.js'
import {formatCreated} from '../../lib/apps/format.js'
import {TugCommand} from '../../lib/cli/base-command.js'

export default class AppsCreate extends TugCommand<App> {
  static override description = `create an app

Without NAME the control plane picks a random one.`

  static override examples = [
    '<%= config.bin %> apps:create shop',
    '<%= config.bin %> apps:create shop --region eu',
    '<%= config.bin %> apps:create --json',
  ]

  // Heroku's spellings, for muscle memory and scripts written for it.
  static override hiddenAliases = ['create']

  static override args = {
    name: Args.string({description: 'name of the app (lower-case letters, digits and dashes)'}),
  }

  static override flags = {
    region: Flags.string({description: 'region to create the app in', helpValue: 'REGION'}),
    stack: Flags.string({description: 'stack to build the app on', helpValue: 'STACK'}),
  }

  async run(): Promise<App> {
    const {args, flags} = await this.parse(AppsCreate)
    const api = await this.api()
    const body: AppCreateBody = {}
    if (args.name) body.name = args.name
    if (flags.region) body.region = flags.region
    if (flags.stack) body.stack = flags.stack
    const title = args.name ? `Creating ${args.name}` : 'Creating app'
    const app = await this.action(title, () => api.apps.create(body), (created) => (args.name ? 'done' : `done, ${created.name}`))
    this.out(formatCreated(app))
    return app
  }
}
