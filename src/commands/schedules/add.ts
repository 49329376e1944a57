import {Args, Flags} from '@oclif/core'

import type {Schedule} from '../../shared/api-types.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {commandLine} from '../../lib/run/dyno-body.js'

export default class SchedulesAdd extends TugCommand<Schedule> {
  static override description = `run a command on a schedule, as one-off dynos

SCHEDULE is a five-field cron expression (minute hour day-of-month month day-of-week) or @hourly, @daily, @weekly, @monthly, @yearly. Put the command after --.`

  static override examples = [
    '<%= config.bin %> schedules:add "*/10 * * * *" -a shop -- rake cleanup',
    '<%= config.bin %> schedules:add "0 3 * * *" --tz Europe/Berlin -a shop -- node jobs/nightly.js',
  ]

  static override strict = false

  static override usage = 'schedules:add SCHEDULE [--tz ZONE] [--size SIZE] [-a APP] -- COMMAND...'

  static override args = {
    schedule: Args.string({description: 'cron expression, e.g. "*/10 * * * *"', required: true}),
  }

  static override flags = {
    ...appFlags,
    tz: Flags.string({description: 'IANA time zone the schedule is read in (default UTC)', helpValue: 'ZONE'}),
    size: Flags.string({char: 's', description: 'dyno size of each run', helpValue: 'SIZE'}),
  }

  async run(): Promise<Schedule> {
    const {args, argv, flags} = await this.parse(SchedulesAdd)
    const rest = (argv as string[]).slice(1)
    const command = commandLine(rest)
    const app = this.requireApp(flags)
    const api = await this.api()
    const schedule = await api.schedules.create(app, {
      schedule: args.schedule,
      command,
      ...(flags.tz === undefined ? {} : {timezone: flags.tz}),
      ...(flags.size === undefined ? {} : {size: flags.size}),
    })
    this.out(`Scheduled \`${schedule.command}\` at ${schedule.schedule} (${schedule.timezone}) on ${app}: ${schedule.id}`)
    if (schedule.next_run_at !== null) this.info(`Next run: ${schedule.next_run_at}`)
    return schedule
  }
}
