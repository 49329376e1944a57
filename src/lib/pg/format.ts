// How pg:backups and pg:info read in the terminal, after Heroku's CLI.
import type {PgBackup, PgInfo, PgRestore} from '../../shared/pg-types.js'
import {formatBytes} from '../deploy.js'
import {header, styledObject} from '../cli/styled.js'
import {table} from '../cli/table.js'

function statusOf(transfer: PgBackup | PgRestore): string {
  if (transfer.status === 'running') return 'Running'
  if (transfer.status === 'failed') return `Failed ${transfer.finished_at ?? ''}`.trim()
  return `Completed ${transfer.finished_at ?? ''}`.trim()
}

/** `tug pg:backups`: each database's backups (with where they came from), then its restores. */
export function backupsLines(rows: Array<{database: string; backups: PgBackup[]; restores: PgRestore[]}>): string[] {
  const backups = rows.flatMap((r) => r.backups.map((b) => [b.name, b.started_at, statusOf(b), b.size_bytes === null ? '' : formatBytes(b.size_bytes), r.database]))
  const restores = rows.flatMap((r) => r.restores.map((t) => [t.name, t.started_at, statusOf(t), `${t.backup.addon.name}::${t.backup.name}`, r.database]))
  const lines = [header('Backups')]
  lines.push(...(backups.length === 0 ? ['No backups. Capture one with tug pg:backups:capture'] : table([['ID', 'Created at', 'Status', 'Size', 'Database'], ...backups])))
  lines.push('', header('Restores'))
  lines.push(...(restores.length === 0 ? ['No restores found. Use tug pg:backups:restore to restore a backup'] : table([['ID', 'Started at', 'Status', 'From', 'Database'], ...restores])))
  return lines
}

/** `tug pg:info`: one block per database. */
export function infoLines(attachment: string, info: PgInfo): string[] {
  const known = <T>(value: T | null, show: (v: T) => string) => (value === null ? 'unknown' : show(value))
  return [
    header(`${attachment}_URL`),
    ...styledObject([
      ['Plan', info.addon.plan.replace(/^[^:]*:/, '')],
      ['Status', info.status],
      ['Connections', `${known(info.connections.used, String)}/${info.connections.limit}`],
      ['PG Version', known(info.pg_version, String)],
      ['Created', info.addon.created_at],
      ['Data Size', known(info.data_size_bytes, formatBytes)],
      ['Tables', known(info.tables, String)],
      ['Add-on', info.addon.name],
    ]),
  ]
}
