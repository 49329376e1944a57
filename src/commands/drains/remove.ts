import {Args} from '@oclif/core'

import type {LogDrain} from '../../shared/api-types.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'

export default class DrainsRemove extends TugCommand<LogDrain> {
  static override description = 'remove a log drain from an app, by its URL or its token'

  static override examples = ['<%= config.bin %> drains:remove syslog+tls://logs.example.com:6514 -a shop', '<%= config.bin %> drains:remove d.01234567-89ab-cdef-0123-456789abcdef -a shop']

  static override args = {
    drain: Args.string({description: 'the drain URL or token (d.<uuid>)', required: true}),
  }

  static override flags = {...appFlags}

  async run(): Promise<LogDrain> {
    const {args, flags} = await this.parse(DrainsRemove)
    const app = this.requireApp(flags)
    const drain = await (await this.api()).logDrains.destroy(app, args.drain)
    this.out(`Successfully removed drain ${drain.url}`)
    return drain
  }
}
