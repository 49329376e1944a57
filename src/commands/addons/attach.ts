import {Args, Flags} from '@oclif/core'

import type {AddOnAttachment} from '../../shared/api-types.js'
import {addonsApi} from '../../lib/addons/api.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'

export default class AddonsAttach extends TugCommand<AddOnAttachment> {
  static override description = `attach an existing add-on to an app

Its URL is set as NAME_URL on the app (default DATABASE_URL or REDIS_URL) in a new release that restarts the app's dynos. An add-on may be attached to several apps, which then share its data.`

  static override examples = ['<%= config.bin %> addons:attach postgresql-curved-12345 -a reports', '<%= config.bin %> addons:attach postgresql-curved-12345 --as SHOP_DB -a reports']

  static override args = {
    addon: Args.string({description: 'the add-on: name or id', required: true}),
  }

  static override flags = {
    ...appFlags,
    as: Flags.string({description: 'name of the attachment: its config var is NAME_URL', helpValue: 'NAME'}),
  }

  async run(): Promise<AddOnAttachment> {
    const {args, flags} = await this.parse(AddonsAttach)
    const app = this.requireApp(flags)
    const api = addonsApi(await this.api())
    const label = flags.as === undefined ? args.addon : `${args.addon} as ${flags.as.toUpperCase()}`
    const attachment = await this.action(`Attaching ${label} to ${app}`, () => api.attach(args.addon, app, flags.as))
    this.out(`Set ${attachment.name}_URL on ${app}; its dynos restart.`)
    return attachment
  }
}
