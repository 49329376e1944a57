import {resolve} from 'node:path'
import {Args, Flags} from '@oclif/core'

import {appFlags, TugCommand} from '../../../lib/cli/base-command.js'
import {formatBytes} from '../../../lib/deploy.js'
import {RuntimeError} from '../../../lib/errors.js'
import {backupArg, pgApi} from '../../../lib/pg/api.js'
import {downloadTo} from '../../../lib/pg/download.js'

export default class PgBackupsDownload extends TugCommand<{backup: string; file: string; bytes: number}> {
  static override description = `download a backup's dump (a pg_dump -Fc archive, for pg_restore)

BACKUP is a backup's id (b001) of the database attached as DATABASE, or ADDON::b001 for another add-on's; by default the latest successful backup of DATABASE.`

  static override examples = ['<%= config.bin %> pg:backups:download -a shop', '<%= config.bin %> pg:backups:download b002 -o shop.dump -a shop']

  static override args = {
    backup: Args.string({description: 'the backup: b001 or ADDON::b001 (default: the latest of DATABASE)'}),
  }

  static override flags = {
    ...appFlags,
    output: Flags.string({char: 'o', description: 'file to write (default latest.dump)', helpValue: 'FILE'}),
  }

  async run(): Promise<{backup: string; file: string; bytes: number}> {
    const {args, flags} = await this.parse(PgBackupsDownload)
    const app = this.requireApp(flags)
    const api = pgApi(await this.api())
    let from = backupArg(args.backup ?? '', 'DATABASE')
    if (args.backup === undefined) {
      const latest = (await api.backups(app, 'DATABASE')).filter((b) => b.status === 'succeeded').at(-1)
      if (!latest) throw new RuntimeError(`DATABASE on ${app} has no successful backup to download.`, {hint: `Capture one with tug pg:backups:capture -a ${app}`})
      from = {addon: latest.addon.id, name: latest.name}
    }
    const file = resolve(this.io.cwd(), flags.output ?? 'latest.dump')
    const link = await api.downloadUrl(app, from.addon, from.name)
    const bytes = await this.action(`Downloading ${from.name} to ${file}`, () => downloadTo(link.url, file), (n) => `done, ${formatBytes(n)}`)
    return {backup: from.name, file, bytes}
  }
}
