import {Args, Flags} from '@oclif/core'

import type {PgRestore} from '../../../shared/pg-types.js'
import {appFlags, TugCommand} from '../../../lib/cli/base-command.js'
import {RuntimeError} from '../../../lib/errors.js'
import {backupArg, databaseArg, pgApi, untilFinished} from '../../../lib/pg/api.js'
import {confirmApp} from '../../../lib/pg/confirm.js'

export default class PgBackupsRestore extends TugCommand<PgRestore> {
  static override description = `restore a backup into a PostgreSQL database, replacing what it holds

BACKUP is a backup's id (b001) of DATABASE, or ADDON::b001 for another add-on's backup; by default the latest successful backup of DATABASE. DATABASE is the name the add-on is attached as (default DATABASE) or the add-on's name. The objects in the backup are dropped and made again, owned by the database's own role (pg_restore --clean --if-exists --no-owner --no-acl), in one transaction: a failed restore changes nothing.`

  static override examples = [
    '<%= config.bin %> pg:backups:restore --confirm shop -a shop',
    '<%= config.bin %> pg:backups:restore b001 DATABASE --confirm shop -a shop',
    '<%= config.bin %> pg:backups:restore DATABASE::b003 HEROKU_POSTGRESQL_RED --confirm shop -a shop',
  ]

  static override args = {
    backup: Args.string({description: 'the backup: b001 or ADDON::b001 (default: the latest of DATABASE)'}),
    database: Args.string({description: 'the database to restore into (default DATABASE)'}),
  }

  static override flags = {
    ...appFlags,
    confirm: Flags.string({description: "the app's name, to confirm without a prompt", helpValue: 'APP'}),
  }

  async run(): Promise<PgRestore> {
    const {args, flags} = await this.parse(PgBackupsRestore)
    const app = this.requireApp(flags)
    const database = databaseArg(args.database)
    const api = pgApi(await this.api())
    let from = backupArg(args.backup ?? '', database)
    if (args.backup === undefined) {
      const latest = (await api.backups(app, database)).filter((b) => b.status === 'succeeded').at(-1)
      if (!latest) throw new RuntimeError(`${database} on ${app} has no successful backup to restore.`, {hint: `Capture one with tug pg:backups:capture ${database} -a ${app}`})
      from = {addon: latest.addon.id, name: latest.name}
    }
    await confirmApp(this.io, app, flags.confirm, `replace the data of ${database} on ${app} with ${from.name}`)
    const started = await this.action(`Starting restore of ${from.name} to ${database}`, () => api.restore(app, from.addon, from.name, database))
    return this.action(`Restoring ${from.name} into ${started.addon.name}`, async () => {
      const ended = await untilFinished(() => api.restoreStatus(app, started.addon.id, started.name), (ms) => this.io.sleep(ms))
      if (ended.status === 'failed') throw new RuntimeError(`The restore ${ended.name} failed, and left the database as it was: ${ended.error ?? 'no reason given'}`)
      return ended
    })
  }
}
