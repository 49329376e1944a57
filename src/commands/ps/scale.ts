import type {Formation, FormationUpdate} from '../../shared/api-types.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {RuntimeError} from '../../lib/errors.js'
import {formatFormation, formatScaled} from '../../lib/ps/format.js'
import {explainUnknownType} from '../../lib/ps/process-types.js'
import {parseScaleArgs} from '../../lib/scale-args.js'

export default class PsScale extends TugCommand<Formation[]> {
  static override description = `scale dyno quantity and size, or show the formation

Arguments are TYPE=QTY, TYPE=QTY:SIZE, TYPE+N or TYPE-N, all sent in one request. A bad argument is an error and nothing is changed. Without arguments, prints the formation.`

  static override examples = [
    '<%= config.bin %> ps:scale web=2 worker=4 -a shop',
    '<%= config.bin %> ps:scale web=2:Standard-2X worker+1 -a shop',
    '<%= config.bin %> ps:scale -a shop',
  ]

  // Heroku's spellings, for muscle memory and scripts written for it.
  static override hiddenAliases = ['dyno:scale', 'scale']

  static override strict = false

  static override usage = 'ps:scale [TYPE=QTY[:SIZE] | TYPE+N | TYPE-N]... [-a APP]'

  static override flags = {...appFlags}

  async run(): Promise<Formation[]> {
    const {argv, flags} = await this.parse(PsScale)
    const changes = parseScaleArgs(argv as string[])
    const app = this.requireApp(flags)
    const api = await this.api()
    if (changes.length === 0) {
      const formation = await api.formation.list(app)
      if (formation.length === 0) {
        throw new RuntimeError(`No process types on ${app}.`, {hint: 'Deploy code with a Procfile with `tug deploy` to add process types.'})
      }
      this.out(formatFormation(formation))
      return formation
    }
    const updates: FormationUpdate[] = changes.map((c) => ({
      type: c.type,
      ...(c.quantity === undefined ? {} : {quantity: c.quantity}),
      ...(c.size === undefined ? {} : {size: c.size}),
    }))
    const types = changes.map((c) => c.type)
    const formation = await this.action(
      'Scaling dynos',
      () => api.formation.batchUpdate(app, updates).catch((error: unknown) => explainUnknownType(api, app, types, error)),
      (result) => `done, now running ${formatScaled(result, types)}`,
    )
    return formation.filter((f) => types.includes(f.type))
  }
}
