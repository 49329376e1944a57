import {Args} from '@oclif/core'

import type {PgBackup} from '../../../shared/pg-types.js'
import {appFlags, TugCommand} from '../../../lib/cli/base-command.js'
import {RuntimeError} from '../../../lib/errors.js'
import {databaseArg, pgApi, untilFinished} from '../../../lib/pg/api.js'

export default class PgBackupsCapture extends TugCommand<PgBackup> {
  static override description = `capture a backup of a PostgreSQL database (pg_dump)

DATABASE is the name the add-on is attached as (DATABASE, the default, or DATABASE_URL), or the add-on's name. The backup runs on the control plane with the add-on's own role; this command waits for it, and Ctrl-C stops only the waiting.`

  static override examples = ['<%= config.bin %> pg:backups:capture -a shop', '<%= config.bin %> pg:backups:capture HEROKU_POSTGRESQL_RED -a shop']

  static override args = {
    database: Args.string({description: 'the database: attachment name (default DATABASE) or add-on name'}),
  }

  static override flags = {...appFlags}

  async run(): Promise<PgBackup> {
    const {args, flags} = await this.parse(PgBackupsCapture)
    const app = this.requireApp(flags)
    const database = databaseArg(args.database)
    const api = pgApi(await this.api())
    const started = await this.action(`Starting backup of ${database}`, () => api.capture(app, database), (b) => `done, ${b.name}`)
    const backup = await this.action(`Backing up ${database} to ${started.name}`, async () => {
      const ended = await untilFinished(() => api.backup(app, started.addon.id, started.name), (ms) => this.io.sleep(ms))
      if (ended.status === 'failed') throw new RuntimeError(`The backup ${ended.name} failed: ${ended.error ?? 'no reason given'}`)
      return ended
    })
    return backup
  }
}
