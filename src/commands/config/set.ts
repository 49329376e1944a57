import type {ConfigVars} from '../../shared/api-types.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {changeConfig} from '../../lib/config/change.js'
import {formatConfig, parseConfigArgs} from '../../lib/config/format.js'

export default class ConfigSet extends TugCommand<ConfigVars> {
  static override description = `set config vars and restart the app's dynos

Each change makes a new release. With a \`release:\` process type in the Procfile, tug shows the release phase's output and waits for it: the change is in effect when it returns, and a failed release phase exits 1 with the previous values still in effect. Prints the vars that were set.`

  static override examples = [
    '<%= config.bin %> config:set RAILS_ENV=production -a shop',
    "<%= config.bin %> config:set FOO=bar 'GREETING=hello world' -a shop",
  ]

  // Heroku's spellings, for muscle memory and scripts written for it.
  static override hiddenAliases = ['config:add']

  static override strict = false

  static override usage = 'config:set KEY=VALUE... [-a APP]'

  static override flags = {...appFlags}

  async run(): Promise<ConfigVars> {
    const {argv, flags} = await this.parse(ConfigSet)
    const vars = parseConfigArgs(argv as string[])
    const app = this.requireApp(flags)
    const api = await this.api()
    const keys = Object.keys(vars)
    const {config} = await changeConfig(api, app, vars, `Setting ${keys.join(', ')} and restarting ${app}`, this.releaseSteps(api, app), {
      effect: 'the config change did not take effect',
      advice: `Fix the release command or the values, then set them again; \`tug config -a ${app}\` shows the values in effect.`,
    })
    const changed: ConfigVars = {}
    for (const key of keys) changed[key] = config[key] ?? vars[key] ?? ''
    for (const line of formatConfig(changed)) this.out(line)
    return changed
  }
}
