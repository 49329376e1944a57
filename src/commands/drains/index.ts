import type {LogDrain} from '../../shared/api-types.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'

export default class Drains extends TugCommand<LogDrain[]> {
  static override description = `list an app's log drains

Every line of the app's log stream is also sent to each drain: syslog://, syslog+tls:// or https://.`

  static override examples = ['<%= config.bin %> drains -a shop', '<%= config.bin %> drains -a shop --json']

  static override flags = {...appFlags}

  async run(): Promise<LogDrain[]> {
    const {flags} = await this.parse(Drains)
    const app = this.requireApp(flags)
    const drains = await (await this.api()).logDrains.list(app)
    if (drains.length === 0) {
      this.info(`${app} has no log drains.`)
      return drains
    }
    this.out('=== Drains')
    for (const drain of drains) this.out(`${drain.url} (${drain.token})`)
    return drains
  }
}
