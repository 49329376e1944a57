import {Args, Flags} from '@oclif/core'

import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {shellQuote} from '../../lib/config/format.js'

export default class ConfigGet extends TugCommand<Record<string, string | null>> {
  static override description = `print the value of one config var

A var that is not set prints an empty line and exits 0, as Heroku's CLI does.`

  static override examples = ['<%= config.bin %> config:get DATABASE_URL -a shop', '<%= config.bin %> config:get PORT -a shop --shell']

  static override args = {
    key: Args.string({description: 'name of the config var', required: true}),
  }

  static override flags = {
    ...appFlags,
    shell: Flags.boolean({char: 's', description: 'print KEY=value, quoted for a shell'}),
  }

  async run(): Promise<Record<string, string | null>> {
    const {args, flags} = await this.parse(ConfigGet)
    const app = this.requireApp(flags)
    const vars = await (await this.api()).config.get(app)
    const value = Object.hasOwn(vars, args.key) ? vars[args.key] : undefined
    this.out(flags.shell ? `${args.key}=${shellQuote(value ?? '')}` : (value ?? ''))
    return {[args.key]: value ?? null}
  }
}
