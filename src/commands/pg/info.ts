import {Args} from '@oclif/core'

import type {PgInfo} from '../../shared/pg-types.js'
import {attachedOf, resolveAttached} from '../../lib/addons/attached.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {pgApi} from '../../lib/pg/api.js'
import {infoLines} from '../../lib/pg/format.js'

export default class PgInfoCommand extends TugCommand<PgInfo[]> {
  static override description = `show an app's PostgreSQL databases: plan, status, connections, size, tables, version

Without DATABASE, every PostgreSQL add-on attached to the app. The figures are measured on the database when asked, through its own role.`

  static override examples = ['<%= config.bin %> pg:info -a shop', '<%= config.bin %> pg:info DATABASE -a shop --json']

  static override args = {
    database: Args.string({description: 'the database: attachment name (DATABASE) or add-on name'}),
  }

  static override flags = {...appFlags}

  async run(): Promise<PgInfo[]> {
    const {args, flags} = await this.parse(PgInfoCommand)
    const app = this.requireApp(flags)
    const client = await this.api()
    const attached = args.database === undefined ? await attachedOf(client, app, 'postgresql') : [await resolveAttached(client, app, 'postgresql', args.database)]
    if (attached.length === 0) this.info(`${app} has no PostgreSQL databases.`)
    const infos: PgInfo[] = []
    for (const [index, each] of attached.entries()) {
      const info = await pgApi(client).info(app, each.addon.id)
      infos.push(info)
      if (index > 0) this.out()
      for (const line of infoLines(each.name, info)) this.out(line)
    }
    return infos
  }
}
