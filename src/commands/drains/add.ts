import {Args} from '@oclif/core'

import type {LogDrain} from '../../shared/api-types.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'

export default class DrainsAdd extends TugCommand<LogDrain> {
  static override description = `add a log drain to an app

The URL is syslog://HOST:PORT, syslog+tls://HOST:PORT or https://HOST/PATH. Syslog drains get RFC 5424 messages with octet-counted framing; HTTPS drains get batched POSTs (application/logplex-1). The drain's token (d.<uuid>) is the syslog hostname of every message.`

  static override examples = ['<%= config.bin %> drains:add syslog+tls://logs.example.com:6514 -a shop', '<%= config.bin %> drains:add https://user:pass@logs.example.com/drain -a shop']

  static override args = {
    url: Args.string({description: 'where to send the logs', required: true}),
  }

  static override flags = {...appFlags}

  async run(): Promise<LogDrain> {
    const {args, flags} = await this.parse(DrainsAdd)
    const app = this.requireApp(flags)
    const drain = await (await this.api()).logDrains.create(app, args.url)
    this.out(`Successfully added drain ${drain.url}`)
    return drain
  }
}
