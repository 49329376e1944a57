import {Args} from '@oclif/core'

import type {Schedule} from '../../shared/api-types.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'

export default class SchedulesRemove extends TugCommand<Schedule> {
  static override description = 'remove a schedule (a run in progress goes on)'

  static override examples = ['<%= config.bin %> schedules:remove 01234567-89ab-cdef-0123-456789abcdef -a shop']

  static override args = {
    id: Args.string({description: 'the schedule id (see tug schedules)', required: true}),
  }

  static override flags = {...appFlags}

  async run(): Promise<Schedule> {
    const {args, flags} = await this.parse(SchedulesRemove)
    const app = this.requireApp(flags)
    const schedule = await (await this.api()).schedules.destroy(app, args.id)
    this.out(`Removed the schedule ${schedule.id} (\`${schedule.command}\` at ${schedule.schedule})`)
    return schedule
  }
}
