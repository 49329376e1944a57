import {Flags} from '@oclif/core'

import type {RuntimeSettings} from '../../shared/api-types.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {formatSettings, ROLLING_RESTART_VALUES, settingsUpdate} from '../../lib/ps/settings.js'

export default class PsSettings extends TugCommand<RuntimeSettings> {
  static override description = `show or change how the app's dynos are restarted and stopped

Rolling restart: with two or more web dynos, \`ps:restart\` restarts them one at a time, so that some dyno always serves (on by default). Stop grace: how long a dyno has between SIGTERM and SIGKILL (1 to 300 seconds; 30 by default). These are not config vars: changing them makes no release, restarts nothing, and the dynos never see them. Without flags, prints the settings.`

  static override examples = [
    '<%= config.bin %> ps:settings -a shop',
    '<%= config.bin %> ps:settings --rolling-restart off -a shop',
    '<%= config.bin %> ps:settings --stop-grace 60 -a shop',
    '<%= config.bin %> ps:settings --rolling-restart default --stop-grace default -a shop',
  ]

  static override flags = {
    ...appFlags,
    'rolling-restart': Flags.option({description: 'restart web dynos one at a time (default: on)', options: ROLLING_RESTART_VALUES})(),
    'stop-grace': Flags.string({description: 'seconds between SIGTERM and SIGKILL, 1 to 300 (default: 30)', helpValue: 'SECONDS|default'}),
  }

  async run(): Promise<RuntimeSettings> {
    const {flags} = await this.parse(PsSettings)
    const update = settingsUpdate({rollingRestart: flags['rolling-restart'], stopGrace: flags['stop-grace']})
    const app = this.requireApp(flags)
    const api = await this.api()
    const settings = update
      ? await this.action(`Updating dyno settings on ${app}`, () => api.runtimeSettings.update(app, update))
      : await api.runtimeSettings.info(app)
    for (const line of formatSettings(app, settings)) this.out(line)
    return settings
  }
}
