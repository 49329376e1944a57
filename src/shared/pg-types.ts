// The wire shapes of tug's PostgreSQL data routes (issue 16): backups, restores and pg:info.
// Heroku serves these from a separate data API of its own; tug's routes sit under the add-on
// (docs/data.md, "The backups API"), in these shapes, shared by the control plane and the CLI.

export type TransferStatus = 'running' | 'succeeded' | 'failed'

export interface AddonRef {
  id: string
  name: string
}

/** A `pg_dump -Fc` of an add-on's database: `b001`, `b002`... numbered per add-on, never reused. */
export interface PgBackup {
  id: string
  num: number
  /** `b001` */
  name: string
  addon: AddonRef
  status: TransferStatus
  started_at: string
  finished_at: string | null
  /** The dump's size once it succeeded. */
  size_bytes: number | null
  /** Why it failed. */
  error: string | null
}

/** A `pg_restore` of a backup into an add-on's database: `r001`... numbered per target add-on. */
export interface PgRestore {
  id: string
  num: number
  /** `r001` */
  name: string
  /** The database restored into. */
  addon: AddonRef
  backup: {name: string; addon: AddonRef}
  status: TransferStatus
  started_at: string
  finished_at: string | null
  error: string | null
}

/** A short-lived capability URL that downloads a backup's dump without credentials. */
export interface PgBackupUrl {
  url: string
  expires_at: string
}

/** What `tug pg:info` shows, measured on the database when asked. */
export interface PgInfo {
  addon: AddonRef & {plan: string; created_at: string}
  /** `Available`, or `Unavailable: why`. */
  status: string
  pg_version: string | null
  connections: {used: number | null; limit: number}
  data_size_bytes: number | null
  tables: number | null
}
