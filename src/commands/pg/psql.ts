import {Args, Flags} from '@oclif/core'

import {attachedUrl, resolveAttached} from '../../lib/addons/attached.js'
import {psqlClient, runLocalClient} from '../../lib/addons/local-client.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {RemoteExitError} from '../../lib/errors.js'

export default class PgPsql extends TugCommand<{database: string; status: number}> {
  static override description = `open a psql shell on a PostgreSQL database, or run SQL with -c

Runs this machine's psql with the URL the app has for the database (its DATABASE_URL, or the NAME_URL of the attachment given), attached to the terminal, and exits with psql's status. The machine must reach the database's host.`

  static override examples = ['<%= config.bin %> pg:psql -a shop', '<%= config.bin %> pg:psql -a shop -c "select count(*) from users"', '<%= config.bin %> pg:psql HEROKU_POSTGRESQL_RED -a shop -f schema.sql']

  static override handlesSignals = true

  static override args = {
    database: Args.string({description: 'the database: attachment name (default DATABASE) or add-on name'}),
  }

  static override flags = {
    ...appFlags,
    command: Flags.string({char: 'c', description: 'SQL to run (may be given more than once), instead of a shell', helpValue: 'SQL', multiple: true}),
    file: Flags.string({char: 'f', description: 'a file of SQL to run', helpValue: 'FILE'}),
  }

  async run(): Promise<{database: string; status: number}> {
    const {args, flags} = await this.parse(PgPsql)
    const app = this.requireApp(flags)
    const client = await this.api()
    const attached = await resolveAttached(client, app, 'postgresql', args.database)
    const url = await attachedUrl(client, app, attached)
    if (!flags.command && !flags.file) this.info(`--> Connecting to ${attached.addon.name}`)
    const status = await runLocalClient(psqlClient(url, {...(flags.command ? {commands: flags.command} : {}), ...(flags.file === undefined ? {} : {file: flags.file})}), this.io.env)
    if (status !== 0) throw new RemoteExitError(status)
    return {database: attached.name, status}
  }
}
