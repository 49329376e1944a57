import {Flags} from '@oclif/core'

import type {ConfigVars} from '../../shared/api-types.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {header} from '../../lib/cli/styled.js'
import {notInEffectNote} from '../../lib/config/change.js'
import {formatConfig, formatShell} from '../../lib/config/format.js'

export default class Config extends TugCommand<ConfigVars> {
  static override description = `show an app's config vars

\`KEY: value\` lines, aligned; --shell prints \`KEY=value\` lines quoted for a POSIX shell. These are the values in effect (the current release's): while a newer release waits for its release phase, or after it failed, a line on stderr says so.`

  static override examples = ['<%= config.bin %> config -a shop', '<%= config.bin %> config -a shop --shell > .env', '<%= config.bin %> config -a shop --json']

  static override flags = {
    ...appFlags,
    shell: Flags.boolean({char: 's', description: 'print KEY=value lines for a shell or a .env file'}),
  }

  async run(): Promise<ConfigVars> {
    const {flags} = await this.parse(Config)
    const app = this.requireApp(flags)
    const api = await this.api()
    const [vars, note] = await Promise.all([api.config.get(app), notInEffectNote(api, app)])
    if (note) this.info(note)
    if (flags.shell) {
      for (const line of formatShell(vars)) this.out(line)
      return vars
    }
    if (Object.keys(vars).length === 0) {
      this.info(`${app} has no config vars.`)
      return vars
    }
    this.out(header(`${app} Config Vars`))
    for (const line of formatConfig(vars)) this.out(line)
    return vars
  }
}
