import {Args} from '@oclif/core'

import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {explainUnknownType, namesOneDyno, typesNamedBy} from '../../lib/ps/process-types.js'

export default class PsStop extends TugCommand<{app: string; dyno?: string; type?: string}> {
  static override description = `stop a dyno, or every dyno of a process type

A formation dyno that is stopped is started again; scale to 0 to keep it down. A stopped one-off dyno ends.`

  static override examples = ['<%= config.bin %> ps:stop run.4821 -a shop', '<%= config.bin %> ps:stop worker -a shop']

  // Heroku's spellings, for muscle memory and scripts written for it.
  static override hiddenAliases = ['ps:kill', 'dyno:kill', 'dyno:stop', 'stop', 'kill']

  static override args = {
    target: Args.string({description: 'a dyno name (run.4821) or a process type (worker)', required: true}),
  }

  static override flags = {...appFlags}

  async run(): Promise<{app: string; dyno?: string; type?: string}> {
    const {args, flags} = await this.parse(PsStop)
    const app = this.requireApp(flags)
    const api = await this.api()
    const target = args.target
    const unknownType = (error: unknown) => explainUnknownType(api, app, typesNamedBy(target), error)
    if (namesOneDyno(target)) {
      await this.action(`Stopping dyno ${target} on ${app}`, () => api.dynos.stop(app, target).catch(unknownType))
      return {app, dyno: target}
    }
    await this.action(`Stopping ${target} dynos on ${app}`, () => api.dynos.stopType(app, target).catch(unknownType))
    return {app, type: target}
  }
}
