import type {ConfigVars} from '../../lib/api/types.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {unsetBody} from '../../lib/config/format.js'

export default class ConfigUnset extends TugCommand<ConfigVars> {
  static override description = `unset config vars and restart the app's dynos

Each change makes a new release.`

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
    const {config} = await this.action(
      `Unsetting ${keys.join(', ')} and restarting ${app}`,
      async () => {
        const config = await api.config.update(app, body)
        const latest = await api.releases.latest(app)
        return {config, version: latest?.version}
      },
      (r) => (r.version === undefined ? 'done' : `done, v${r.version}`),
    )
    return config
  }
}
