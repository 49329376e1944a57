// pg_dump and pg_restore for backups, and the facts `pg:info` shows, run with the add-on's own
// credentials (its role owns its database, so it can dump and restore everything in it): never the
// superuser's, so a backup or restore can reach no other database. The tools run without a shell
// (execFile), the password goes in PGPASSWORD, never on a command line others can read in ps.
import {execFile} from 'node:child_process'
import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import pg from 'pg'

/** Where an add-on's database is and who it connects as: read from its URL. */
export interface PgTarget {
  host: string
  port: number
  user: string
  password: string
  database: string
}

export function pgTarget(url: string): PgTarget {
  const parsed = new URL(url)
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')),
  }
}

/**
 * The newest installed PostgreSQL client tools (Debian's layout, then PATH's): a pg_dump must be
 * at least as new as the server it dumps, and the newest one reads every older server.
 */
export function findPgTool(tool: 'pg_dump' | 'pg_restore', root = '/usr/lib/postgresql'): string | undefined {
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', tool)))
      .sort((a, b) => Number(b) - Number(a))
    if (versions[0] !== undefined) return join(root, versions[0], 'bin', tool)
  }
  for (const dir of ['/usr/local/bin', '/usr/bin', '/bin']) if (existsSync(join(dir, tool))) return join(dir, tool)
  return undefined
}

function connectionArgs(target: PgTarget): string[] {
  return ['--host', target.host, '--port', String(target.port), '--username', target.user, '--no-password', '--dbname', target.database]
}

function runTool(tool: 'pg_dump' | 'pg_restore', args: string[], target: PgTarget, signal?: AbortSignal): Promise<void> {
  const binary = findPgTool(tool)
  if (!binary) return Promise.reject(new Error(`${tool} is not installed on the control plane's machine (apt-get install postgresql-client)`))
  return new Promise((resolve, reject) => {
    const env = {PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', PGPASSWORD: target.password, PGCONNECT_TIMEOUT: '10'}
    execFile(binary, args, {env, maxBuffer: 16 * 1024 * 1024, ...(signal ? {signal} : {})}, (error, _stdout, stderr) => {
      if (!error) return resolve()
      if (signal?.aborted) return reject(new Error(`${tool} was stopped: ${String(signal.reason ?? 'aborted')}`))
      // The last lines say why (pg_restore lists each failed statement before its summary).
      const why = stderr.trim().split('\n').slice(-4).join(' | ') || error.message
      reject(new Error(`${tool} failed: ${why}`))
    })
  })
}

/** `pg_dump -Fc` of the database `url` names into `file`. */
export function dumpDatabase(url: string, file: string, signal?: AbortSignal): Promise<void> {
  const target = pgTarget(url)
  return runTool('pg_dump', ['--format=custom', '--file', file, ...connectionArgs(target)], target, signal)
}

/**
 * Replaces what the dump holds in the database `url` names: its objects are dropped first
 * (--clean --if-exists), made again owned by that URL's role (--no-owner --role), without the
 * grants of the database it came from (--no-acl: their roles are another add-on's).
 */
export function restoreDatabase(url: string, file: string, signal?: AbortSignal): Promise<void> {
  const target = pgTarget(url)
  const args = ['--clean', '--if-exists', '--no-owner', '--no-acl', `--role=${target.user}`, '--single-transaction', '--exit-on-error', ...connectionArgs(target), file]
  return runTool('pg_restore', args, target, signal)
}

export interface DatabaseFacts {
  pg_version: string
  connections_used: number
  data_size_bytes: number
  tables: number
}

/** Measured through the add-on's own role, on its own database (the session asking is not counted). */
export async function databaseFacts(url: string): Promise<DatabaseFacts> {
  const client = new pg.Client({connectionString: url, connectionTimeoutMillis: 10_000})
  await client.connect()
  try {
    const {rows} = await client.query<{version: string; used: string; size: string; tables: string}>(`
      SELECT current_setting('server_version') AS version,
        (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()) AS used,
        pg_database_size(current_database()) AS size,
        (SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')) AS tables`)
    const row = rows[0]
    if (!row) throw new Error('the database answered no row')
    return {pg_version: row.version, connections_used: Number(row.used), data_size_bytes: Number(row.size), tables: Number(row.tables)}
  } finally {
    await client.end()
  }
}
