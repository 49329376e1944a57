import {Args} from '@oclif/core'

import type {AddOnAttachment} from '../../shared/api-types.js'
import {addonsApi} from '../../lib/addons/api.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'

export default class AddonsDetach extends TugCommand<AddOnAttachment> {
  static override description = `detach an add-on from an app

ATTACHMENT is the name it is attached as (DATABASE) or the attachment's id. Its config var is unset in a new release that restarts the app's dynos; the add-on and its data stay.`

  static override examples = ['<%= config.bin %> addons:detach SHOP_DB -a reports']

  static override args = {
    attachment: Args.string({description: 'the attachment: its name on the app, or its id', required: true}),
  }

  static override flags = {...appFlags}

  async run(): Promise<AddOnAttachment> {
    const {args, flags} = await this.parse(AddonsDetach)
    const app = this.requireApp(flags)
    const api = addonsApi(await this.api())
    const attachment = await api.attachment(app, args.attachment)
    return this.action(`Detaching ${attachment.name} to ${attachment.addon.name} from ${app}`, () => api.detach(attachment.id))
  }
}
