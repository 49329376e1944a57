import {Args} from '@oclif/core'

import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {explainUnknownType, namesOneDyno, typesNamedBy} from '../../lib/ps/process-types.js'

export default class PsRestart extends TugCommand<{app: string; dyno?: string; type?: string}> {
  static override description = `restart dynos

With DYNO (web.1) restarts that dyno, with TYPE (web) every dyno of that type, and without an argument every dyno of the app.

With two or more web dynos, the web dynos restart one at a time, each once the one before is up again, and the router drains each before it stops, so the app keeps answering. The command returns when the restart has begun. \`tug ps:settings --rolling-restart off\` restarts them all at once instead.`

  static override examples = ['<%= config.bin %> ps:restart -a shop', '<%= config.bin %> ps:restart web -a shop', '<%= config.bin %> ps:restart web.1 -a shop']

  // Heroku's spellings, for muscle memory and scripts written for it.
  static override hiddenAliases = ['dyno:restart', 'restart']

  static override args = {
    target: Args.string({description: 'a dyno name (web.1) or a process type (web)'}),
  }

  static override flags = {...appFlags}

  async run(): Promise<{app: string; dyno?: string; type?: string}> {
    const {args, flags} = await this.parse(PsRestart)
    const app = this.requireApp(flags)
    const api = await this.api()
    const target = args.target
    if (target === undefined) {
      await this.action(`Restarting dynos on ${app}`, () => api.dynos.restartAll(app))
      return {app}
    }
    const unknownType = (error: unknown) => explainUnknownType(api, app, typesNamedBy(target), error)
    if (namesOneDyno(target)) {
      await this.action(`Restarting dyno ${target} on ${app}`, () => api.dynos.restart(app, target).catch(unknownType))
      return {app, dyno: target}
    }
    await this.action(`Restarting ${target} dynos on ${app}`, () => api.dynos.restartType(app, target).catch(unknownType))
    return {app, type: target}
  }
}
