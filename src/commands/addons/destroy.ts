import {Args, Flags} from '@oclif/core'

import type {AddOn} from '../../shared/api-types.js'
import {addonsApi} from '../../lib/addons/api.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {confirmName} from '../../lib/cli/confirm.js'
import {resolveApp} from '../../lib/cli/app-resolution.js'

export default class AddonsDestroy extends TugCommand<AddOn> {
  static override description = `permanently destroy an add-on and all its data

A PostgreSQL add-on's database and role are dropped, a Redis add-on's server and its data removed; the config vars of its attachments are unset in new releases. Asks you to type the owning app's name on a terminal; in scripts, pass --confirm APP.`

  static override examples = ['<%= config.bin %> addons:destroy postgresql-curved-12345 --confirm shop', '<%= config.bin %> addons:destroy DATABASE -a shop']

  static override hiddenAliases = ['addons:remove']

  static override args = {
    addon: Args.string({description: 'the add-on: name, id, or attachment name with -a', required: true}),
  }

  static override flags = {
    ...appFlags,
    confirm: Flags.string({description: "the owning app's name, to confirm without a prompt", helpValue: 'APP'}),
  }

  async run(): Promise<AddOn> {
    const {args, flags} = await this.parse(AddonsDestroy)
    const app = resolveApp({flag: flags.app, env: this.io.env, remote: flags.remote, cwd: this.io.cwd()})
    const api = addonsApi(await this.api())
    const addon = await api.info(args.addon, app)
    const owner = addon.app.name
    await confirmName(this.io, owner, flags.confirm, {
      action: `destroy ${addon.name}`,
      warning: `This will permanently destroy ${addon.name} on ${owner} and all its data.`,
      hint: `Pass --confirm ${owner} to destroy it.`,
      nothing: 'destroyed',
    })
    return this.action(`Destroying ${addon.name} on ${owner}`, () => api.destroy(owner, addon.id))
  }
}
