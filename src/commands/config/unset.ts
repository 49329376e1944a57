import type {ConfigVars} from '../../shared/api-types.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {changeConfig} from '../../lib/config/change.js'
import {unsetBody} from '../../lib/config/format.js'

export default class ConfigUnset extends TugCommand<ConfigVars> {
  static override description = `unset config vars and restart the app's dynos

Each change makes a new release. With a \`release:\` process type in the Procfile, tug shows the release phase's output and waits for it: the change is in effect when it returns, and a failed release phase exits 1 with the vars still set.`

  static override examples = ['<%= config.bin %> config:unset FOO -a shop', '<%= config.bin %> config:unset FOO BAR -a shop']

  // Heroku's spellings, for muscle memory and scripts written for it.
  static override hiddenAliases = ['config:remove']

  static override strict = false

  static override usage = 'config:unset KEY... [-a APP]'

  static override flags = {...appFlags}

  async run(): Promise<ConfigVars> {
    const {argv, flags} = await this.parse(ConfigUnset)
    const keys = argv as string[]
    const body = unsetBody(keys)
    const app = this.requireApp(flags)
    const api = await this.api()
    const {config} = await changeConfig(api, app, body, `Unsetting ${keys.join(', ')} and restarting ${app}`, this.releaseSteps(api, app), {
      effect: 'the config change did not take effect',
      advice: `Fix the release command, then unset them again; \`tug config -a ${app}\` shows the values in effect.`,
    })
    return config
  }
}
