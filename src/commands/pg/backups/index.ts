import type {PgBackup, PgRestore} from '../../../shared/pg-types.js'
import {attachedOf} from '../../../lib/addons/attached.js'
import {appFlags, TugCommand} from '../../../lib/cli/base-command.js'
import {pgApi} from '../../../lib/pg/api.js'
import {backupsLines} from '../../../lib/pg/format.js'

export default class PgBackups extends TugCommand<{backups: PgBackup[]; restores: PgRestore[]}> {
  static override description = `list the backups of an app's PostgreSQL databases, and the restores into them

Backups are pg_dump archives kept by the control plane in its data directory; they are removed with their add-on.`

  static override examples = ['<%= config.bin %> pg:backups -a shop']

  static override flags = {...appFlags}

  async run(): Promise<{backups: PgBackup[]; restores: PgRestore[]}> {
    const {flags} = await this.parse(PgBackups)
    const app = this.requireApp(flags)
    const client = await this.api()
    const api = pgApi(client)
    const attached = await attachedOf(client, app, 'postgresql')
    // An add-on attached twice (DATABASE and HEROKU_POSTGRESQL_RED) is listed once.
    const unique = attached.filter((a, i) => attached.findIndex((b) => b.addon.id === a.addon.id) === i)
    const rows = await Promise.all(
      unique.map(async (a) => ({database: a.name, backups: await api.backups(app, a.addon.id), restores: await api.restores(app, a.addon.id)})),
    )
    for (const line of backupsLines(rows)) this.out(line)
    return {backups: rows.flatMap((r) => r.backups), restores: rows.flatMap((r) => r.restores)}
  }
}
