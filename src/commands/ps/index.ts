import {Args, Flags} from '@oclif/core'

import type {Dyno} from '../../shared/api-types.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {formatPs} from '../../lib/ps/format.js'

export default class Ps extends TugCommand<Dyno[]> {
  static override description = `list an app's dynos

One-off dynos come first, then the formation's dynos grouped by process type, with their state and when it last changed. Give process types to show only those.`

  static override examples = ['<%= config.bin %> ps -a shop', '<%= config.bin %> ps web worker -a shop', '<%= config.bin %> ps -a shop --json']

  static override strict = false

  static override usage = 'ps [TYPE]... [-a APP] [--extended] [--json]'

  static override args = {
    type: Args.string({description: 'process types to show (default: all)'}),
  }

  static override flags = {
    ...appFlags,
    extended: Flags.boolean({char: 'x', description: 'show memory, restarts and exit status (fields a tug control plane adds)'}),
  }

  async run(): Promise<Dyno[]> {
    const {argv, flags} = await this.parse(Ps)
    const app = this.requireApp(flags)
    const types = argv as string[]
    const all = await (await this.api()).dynos.list(app)
    const dynos = types.length === 0 ? all : all.filter((d) => types.includes(d.type))
    if (dynos.length === 0) {
      this.info(types.length === 0 ? `No dynos on ${app}.` : `No ${types.join(', ')} dynos on ${app}.`)
      return dynos
    }
    for (const line of formatPs(dynos, {now: this.io.now(), color: this.colorOn(), extended: flags.extended})) this.out(line)
    return dynos
  }
}
