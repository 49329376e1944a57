import {Args} from '@oclif/core'

import type {AddOn} from '../../shared/api-types.js'
import {addonsApi} from '../../lib/addons/api.js'
import {addonInfoLines} from '../../lib/addons/format.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {resolveApp} from '../../lib/cli/app-resolution.js'

export default class AddonsInfo extends TugCommand<AddOn> {
  static override description = `show an add-on: its plan, attachments, owning app and state

ADDON is its name or id; with an app, also the name it is attached as there (DATABASE).`

  static override examples = ['<%= config.bin %> addons:info postgresql-curved-12345', '<%= config.bin %> addons:info DATABASE -a shop']

  static override args = {
    addon: Args.string({description: 'the add-on: name, id, or attachment name with -a', required: true}),
  }

  static override flags = {...appFlags}

  async run(): Promise<AddOn> {
    const {args, flags} = await this.parse(AddonsInfo)
    const app = resolveApp({flag: flags.app, env: this.io.env, remote: flags.remote, cwd: this.io.cwd()})
    const api = addonsApi(await this.api())
    const addon = await api.info(args.addon, app)
    const attachments = (await api.attachments()).filter((a) => a.addon.id === addon.id)
    for (const line of addonInfoLines(addon, attachments)) this.out(line)
    return addon
  }
}
