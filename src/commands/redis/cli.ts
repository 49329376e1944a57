import {Args, Flags} from '@oclif/core'

import {attachedUrl, resolveAttached} from '../../lib/addons/attached.js'
import {redisClient, runLocalClient} from '../../lib/addons/local-client.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {RemoteExitError} from '../../lib/errors.js'

export default class RedisCli extends TugCommand<{redis: string; status: number}> {
  static override description = `open a redis-cli shell on a Redis add-on, or run commands with -c

Runs this machine's redis-cli with the URL the app has for the add-on (its REDIS_URL, or the NAME_URL of the attachment given), attached to the terminal, and exits with redis-cli's status. Each -c is one command line, in redis-cli's quoting. The machine must reach the add-on's host.`

  static override examples = ['<%= config.bin %> redis:cli -a shop', '<%= config.bin %> redis:cli -a shop -c "SET greeting hello" -c "GET greeting"']

  static override handlesSignals = true

  static override args = {
    redis: Args.string({description: 'the add-on: attachment name (default REDIS) or add-on name'}),
  }

  static override flags = {
    ...appFlags,
    command: Flags.string({char: 'c', description: 'a command to run (may be given more than once), instead of a shell', helpValue: 'COMMAND', multiple: true}),
  }

  async run(): Promise<{redis: string; status: number}> {
    const {args, flags} = await this.parse(RedisCli)
    const app = this.requireApp(flags)
    const client = await this.api()
    const attached = await resolveAttached(client, app, 'redis', args.redis)
    const url = await attachedUrl(client, app, attached)
    if (!flags.command) this.info(`--> Connecting to ${attached.addon.name}`)
    const status = await runLocalClient(redisClient(url, flags.command ?? []), this.io.env)
    if (status !== 0) throw new RemoteExitError(status)
    return {redis: attached.name, status}
  }
}
