import type {Schedule} from '../../shared/api-types.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'

export default class Schedules extends TugCommand<Schedule[]> {
  static override description = `list an app's scheduled runs

Each run is a one-off dyno scheduler.N on the current release. A run still going when the next is due is skipped; runs missed while the control plane was down are not replayed.`

  static override examples = ['<%= config.bin %> schedules -a shop', '<%= config.bin %> schedules -a shop --json']

  static override flags = {...appFlags}

  async run(): Promise<Schedule[]> {
    const {flags} = await this.parse(Schedules)
    const app = this.requireApp(flags)
    const schedules = await (await this.api()).schedules.list(app)
    if (schedules.length === 0) {
      this.info(`${app} has no schedules.`)
      return schedules
    }
    this.out(`=== ${app} Schedules`)
    for (const s of schedules) {
      const next = s.next_run_at === null ? '' : `  next ${s.next_run_at}`
      this.out(`${s.id}  ${s.schedule} (${s.timezone})  ${s.command}${next}`)
    }
    return schedules
  }
}
