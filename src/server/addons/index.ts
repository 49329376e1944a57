// The add-on service a control plane runs, with its two providers (issue 16).
import {join} from 'node:path'
import type {LogRouter} from '../logs/index.js'
import type {Store} from '../store/index.js'
import {PostgresCluster} from './postgres-cluster.js'
import {externalPostgres, PostgresProvider} from './postgres.js'
import {RedisProvider} from './redis.js'
import {BackupService} from './backups.js'
import {AddonService} from './service.js'

export {AddonService} from './service.js'
export {SERVICES} from './catalog.js'

export interface AddonSettings {
  /**
   * The operator's PostgreSQL server, as a superuser's URL (`tug server --addons-postgres-url`).
   * Without it: a cluster the control plane makes and runs in <dataDir>/addons/postgres/.
   */
  postgresUrl?: string
  /** Where initdb and postgres are, for that cluster (default: the newest in /usr/lib/postgresql). */
  postgresBinDir?: string
  /** The redis-server binary (default /usr/bin/redis-server). */
  redisServer?: string
}

export function createAddonService(options: AddonSettings & {
  store: Store
  logs: LogRouter
  dataDir: string
  releaseChanged: (appId: string) => Promise<void>
  warn: (message: string) => void
}): AddonService {
  const dir = join(options.dataDir, 'addons')
  const postgres = options.postgresUrl
    ? externalPostgres(options.postgresUrl)
    : new PostgresCluster({dir: join(dir, 'postgres'), warn: options.warn, ...(options.postgresBinDir ? {binDir: options.postgresBinDir} : {})})
  return new AddonService({
    store: options.store,
    logs: options.logs,
    releaseChanged: options.releaseChanged,
    warn: options.warn,
    backups: new BackupService({dir: join(dir, 'backups'), warn: options.warn}),
    providers: {
      postgresql: new PostgresProvider(postgres),
      redis: new RedisProvider({dir: join(dir, 'redis'), warn: options.warn, ...(options.redisServer ? {redisServer: options.redisServer} : {})}),
    },
  })
}
