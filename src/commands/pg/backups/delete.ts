import {Args, Flags} from '@oclif/core'

import type {PgBackup} from '../../../shared/pg-types.js'
import {appFlags, TugCommand} from '../../../lib/cli/base-command.js'
import {backupArg, pgApi} from '../../../lib/pg/api.js'
import {confirmApp} from '../../../lib/pg/confirm.js'

export default class PgBackupsDelete extends TugCommand<PgBackup> {
  static override description = `delete a backup

BACKUP is a backup's id (b001) of the database attached as DATABASE, or ADDON::b001 for another add-on's.`

  static override examples = ['<%= config.bin %> pg:backups:delete b001 --confirm shop -a shop']

  static override args = {
    backup: Args.string({description: 'the backup: b001 or ADDON::b001', required: true}),
  }

  static override flags = {
    ...appFlags,
    confirm: Flags.string({description: "the app's name, to confirm without a prompt", helpValue: 'APP'}),
  }

  async run(): Promise<PgBackup> {
    const {args, flags} = await this.parse(PgBackupsDelete)
    const app = this.requireApp(flags)
    const {addon, name} = backupArg(args.backup, 'DATABASE')
    await confirmApp(this.io, app, flags.confirm, `delete the backup ${name} of ${addon} on ${app}`)
    const api = pgApi(await this.api())
    return this.action(`Deleting backup ${name} of ${addon} on ${app}`, () => api.deleteBackup(app, addon, name))
  }
}
