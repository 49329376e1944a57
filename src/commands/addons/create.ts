import {Args, Flags} from '@oclif/core'

import type {AddOn} from '../../shared/api-types.js'
import {addonsApi} from '../../lib/addons/api.js'
import {createdLine} from '../../lib/addons/format.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'

export default class AddonsCreate extends TugCommand<AddOn> {
  static override description = `create an add-on and attach it to an app

SERVICE is postgresql or redis (Heroku's heroku-postgresql and heroku-redis work too), with an optional :PLAN (tug addons:plans is not there yet; the plans are postgresql:mini (default), basic, standard-0 and redis:mini (default), premium-0, premium-1). The add-on's URL is set as DATABASE_URL (postgresql) or REDIS_URL (redis), or NAME_URL with --as NAME, in a new release that restarts the app's dynos.`

  static override examples = [
    '<%= config.bin %> addons:create postgresql -a shop',
    '<%= config.bin %> addons:create heroku-postgresql:basic -a shop',
    '<%= config.bin %> addons:create redis --as CACHE -a shop',
  ]

  static override args = {
    service: Args.string({description: 'SERVICE[:PLAN], e.g. postgresql or redis:premium-0', required: true}),
  }

  static override flags = {
    ...appFlags,
    as: Flags.string({description: 'name of the attachment: its config var is NAME_URL', helpValue: 'NAME'}),
    name: Flags.string({description: 'name of the add-on (default: a random one, postgresql-curved-12345)', helpValue: 'NAME'}),
  }

  async run(): Promise<AddOn> {
    const {args, flags} = await this.parse(AddonsCreate)
    const app = this.requireApp(flags)
    const api = addonsApi(await this.api())
    const body = {plan: {name: args.service}, ...(flags.as === undefined ? {} : {attachment: {name: flags.as}}), ...(flags.name === undefined ? {} : {name: flags.name})}
    const addon = await this.action(`Creating ${args.service} on ${app}`, () => api.create(app, body))
    if (addon.provision_message) this.out(addon.provision_message)
    this.out(createdLine(addon))
    return addon
  }
}
