// The postgresql provider: one database and one role per add-on on a PostgreSQL server, the
// operator's (`tug server --addons-postgres-url`) or the cluster the control plane runs itself
// (postgres-cluster.ts). The role owns its database, nobody else may connect to it (CONNECT is
// revoked from PUBLIC), it is no superuser and may not create databases or roles, and the plan
// caps its connections. Names come from the add-on's id, so a retry or a roll-back after a crash
// finds the same database and role.
import {randomBytes} from 'node:crypto'
import pg from 'pg'
import {databaseFacts, dumpDatabase, restoreDatabase} from './postgres-tools.js'
import type {AddonDataTools, AddonProvider, ProvisionedResource, ProvisionRequest} from './provider.js'

/** Where the provider makes its databases: a superuser's URL, and the host apps reach it at. */
export interface PostgresServer {
  /** Starts the server first when the control plane runs it; rejects when it cannot run. */
  admin(): Promise<{url: string; host: string; port: number}>
  /** Why no database can be made here, or undefined. */
  unavailable(): string | undefined
  close(): Promise<void>
}

/** The operator's server, named by a superuser's URL. */
export function externalPostgres(url: string): PostgresServer {
  const parsed = new URL(url)
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1'
  const port = Number(parsed.port || 5432)
  return {admin: async () => ({url, host, port}), unavailable: () => undefined, close: async () => {}}
}

/** Runs `statements` in order on one connection to `url` (the last one's rows are returned). */
export async function runSql(url: string, statements: string[]): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({connectionString: url, connectionTimeoutMillis: 10_000})
  await client.connect()
  try {
    let rows: Array<Record<string, unknown>> = []
    for (const statement of statements) rows = (await client.query(statement)).rows as Array<Record<string, unknown>>
    return rows
  } finally {
    await client.end()
  }
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/

function checked(name: string): string {
  // Every name is made here from a UUID; this keeps SQL built from it safe if that ever changes.
  if (!IDENTIFIER.test(name)) throw new Error(`not a safe PostgreSQL identifier: ${name}`)
  return `"${name}"`
}

const urlOf = (resource: Record<string, unknown>): string => {
  if (typeof resource.url !== 'string') throw new Error('the add-on has no URL')
  return resource.url
}

export class PostgresProvider implements AddonProvider {
  constructor(private readonly server: PostgresServer) {}

  // The cluster the control plane runs may be stopped between calls: each starts it first.
  readonly data: AddonDataTools = {
    capture: async (resource, file, signal) => {
      await this.server.admin()
      await dumpDatabase(urlOf(resource), file, signal)
    },
    restore: async (resource, file, signal) => {
      await this.server.admin()
      await restoreDatabase(urlOf(resource), file, signal)
    },
    facts: async (resource) => {
      await this.server.admin()
      return databaseFacts(urlOf(resource))
    },
  }

  unavailable(): string | undefined {
    return this.server.unavailable()
  }

  /** Provisioned databases must be reachable: the cluster the control plane runs starts now. */
  async resume(resources: readonly unknown[]): Promise<void> {
    if (resources.length > 0) await this.server.admin()
  }

  async provision(request: ProvisionRequest): Promise<ProvisionedResource> {
    const admin = await this.server.admin()
    const name = checked(request.providerId)
    const password = randomBytes(32).toString('hex')
    const limit = Math.max(1, Math.floor(request.plan.connections))
    const options = `LOGIN PASSWORD '${password}' CONNECTION LIMIT ${limit} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`
    const exists = await runSql(admin.url, [`SELECT 1 FROM pg_roles WHERE rolname = '${request.providerId}'`])
    await runSql(admin.url, [exists.length > 0 ? `ALTER ROLE ${name} ${options}` : `CREATE ROLE ${name} ${options}`])
    const database = await runSql(admin.url, [`SELECT 1 FROM pg_database WHERE datname = '${request.providerId}'`])
    // CREATE DATABASE cannot run in a transaction block: each statement is its own.
    if (database.length === 0) await runSql(admin.url, [`CREATE DATABASE ${name} OWNER ${name} ENCODING 'UTF8' TEMPLATE template0`])
    await runSql(admin.url, [`REVOKE ALL ON DATABASE ${name} FROM PUBLIC`, `GRANT ALL ON DATABASE ${name} TO ${name}`])
    const host = admin.host.includes(':') ? `[${admin.host}]` : admin.host
    return {url: `postgres://${request.providerId}:${password}@${host}:${admin.port}/${request.providerId}`}
  }

  async deprovision(request: {providerId: string}): Promise<void> {
    const admin = await this.server.admin()
    const name = checked(request.providerId)
    // Its sessions end first: a role with a connection open cannot be dropped.
    await runSql(admin.url, [
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${request.providerId}' OR datname = '${request.providerId}'`,
      `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`,
      `DROP ROLE IF EXISTS ${name}`,
    ])
  }

  async close(): Promise<void> {
    await this.server.close()
  }
}
