// tug's PostgreSQL data routes (pg:backups, pg:info): see src/server/http/routes/addons-backups.ts.
import type {Requester} from '../api/requester.js'
import {pathOf} from '../api/resources/path.js'
import type {PgBackup, PgBackupUrl, PgInfo, PgRestore} from '../../shared/pg-types.js'

export interface PgApi {
  backups(app: string, addon: string): Promise<PgBackup[]>
  backup(app: string, addon: string, name: string): Promise<PgBackup>
  capture(app: string, addon: string): Promise<PgBackup>
  /** Restores `backup` of `from` into `into` (default: `from` itself). */
  restore(app: string, from: string, backup: string, into?: string): Promise<PgRestore>
  restores(app: string, addon: string): Promise<PgRestore[]>
  restoreStatus(app: string, addon: string, name: string): Promise<PgRestore>
  deleteBackup(app: string, addon: string, name: string): Promise<PgBackup>
  downloadUrl(app: string, addon: string, name: string): Promise<PgBackupUrl>
  info(app: string, addon: string): Promise<PgInfo>
}

export function pgApi(client: Requester): PgApi {
  const backups = (app: string, addon: string, ...rest: string[]) => pathOf('apps', app, 'addons', addon, 'backups', ...rest)
  return {
    backups: (app, addon) => client.get<PgBackup[]>(backups(app, addon)),
    backup: (app, addon, name) => client.get<PgBackup>(backups(app, addon, name)),
    capture: (app, addon) => client.post<PgBackup>(backups(app, addon)),
    restore: (app, from, backup, into) => client.post<PgRestore>(backups(app, from, backup, 'restore'), into === undefined ? {} : {addon: into}),
    restores: (app, addon) => client.get<PgRestore[]>(pathOf('apps', app, 'addons', addon, 'restores')),
    restoreStatus: (app, addon, name) => client.get<PgRestore>(pathOf('apps', app, 'addons', addon, 'restores', name)),
    deleteBackup: (app, addon, name) => client.delete<PgBackup>(backups(app, addon, name)),
    downloadUrl: (app, addon, name) => client.post<PgBackupUrl>(backups(app, addon, name, 'download-url')),
    info: (app, addon) => client.get<PgInfo>(pathOf('apps', app, 'addons', addon, 'database-info')),
  }
}

/** Polls a transfer until it is no longer running. */
export async function untilFinished<T extends {status: string}>(read: () => Promise<T>, sleep: (ms: number) => Promise<void>, intervalMs = 500): Promise<T> {
  for (;;) {
    const transfer = await read()
    if (transfer.status !== 'running') return transfer
    await sleep(intervalMs)
  }
}

/**
 * What pg commands take as DATABASE: an attachment name (DATABASE, HEROKU_POSTGRESQL_RED), the
 * same with _URL (as Heroku's CLI accepts), or an add-on's name or id. Default DATABASE.
 */
export function databaseArg(value: string | undefined): string {
  if (value === undefined || value.trim() === '') return 'DATABASE'
  const trimmed = value.trim()
  return /^[A-Za-z][A-Za-z0-9_]*_URL$/.test(trimmed) ? trimmed.slice(0, -4).toUpperCase() : trimmed
}

/** `b001`, or `DATABASE::b001` / `postgresql-curved-12345::b001` for another add-on's backup. */
export function backupArg(value: string, database: string): {addon: string; name: string} {
  const at = value.lastIndexOf('::')
  if (at === -1) return {addon: database, name: value.trim()}
  return {addon: databaseArg(value.slice(0, at)), name: value.slice(at + 2).trim()}
}
