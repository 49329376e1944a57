// The control plane as a library: `startServer(options)` opens the store under `dataDir`, makes
// sure an admin account and token exist, builds the app and listens. `tug server` only wraps it.
import {chmodSync, existsSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {AddressInfo} from 'node:net'
import {createAddonService, type AddonService, type AddonSettings} from './addons/index.js'
import {AttachHub} from './attach/hub.js'
import {secureDataDir} from './data-dir.js'
import {attachUpgradeHandler} from './http/attach-upgrade.js'
import {buildApp} from './http/app.js'
import type {AppDeps, DrainSettings} from './http/deps.js'
import {webUrl} from './http/wire.js'
import {API_HEADERS_TIMEOUT_MS, connectionCaps, raiseFileLimit, type ConnectionCaps, type FileLimit} from './limits.js'
import {LogRouter} from './logs/index.js'
import {startAppRouter, type RunningRouter} from './router/index.js'
import type {RouterConnectionLimits} from './router/connections.js'
import {ensureRendezvousCert} from './rendezvous/certs.js'
import {startRendezvous, type RunningRendezvous} from './rendezvous/server.js'
import {createLocalRuntime, type Runtime} from './runtime/index.js'
// Only its type here: the runtime (and @kubernetes/client-node, ~1 s to load on a busy machine) is
// imported when a server runs on Kubernetes, not by every CLI command that loads this entry.
import type {KubernetesServerOptions} from './runtime/kubernetes/index.js'
import {ensurePlaneId} from './runtime/plane-tag.js'
import {LocalBuildpackResolver} from './builds/buildpack-resolver.js'
import type {BuildpackResolver} from './builds/buildpack-contract.js'
import {Sandbox} from './runtime/sandbox.js'
import {Store, type AccountRecord} from './store/index.js'

// The store, for the CLI's server:tokens, which works on a data directory whether or not a server runs.
export {Store} from './store/index.js'
// `tug server` checks the sandbox before it starts one.
export {checkSandbox} from './runtime/sandbox.js'
// For `tug server`'s start lines.
export {describeFileLimit} from './limits.js'

export interface ServerOptions {
  dataDir: string
  host?: string
  port?: number
  bodyLimit?: number
  publicUrl?: string
  logger?: boolean
  /** Lines of history kept per app by the log router (default 10,000). */
  logHistoryLines?: number
  /**
   * Makes the runtime the formation and dyno endpoints call. Default: the dyno manager running
   * local processes (`createLocalRuntime`).
   * `logs` is the log router: dyno output and platform events go into it.
   */
  runtime?: (store: Store, logs: LogRouter) => Runtime
  /** The HTTP router in front of the apps' web dynos (issue 7); none when not given. */
  router?: {host?: string; port: number; domains?: string[]; connections?: RouterConnectionLimits}
  /**
   * The rendezvous listener for attached one-offs (issue 6, platform-api.md section 3); none when
   * not given (`tug run` then attaches over the API's port only). `publicHost` goes into attach
   * URLs (default: the listen host, or the API URL's host when that is a wildcard).
   */
  rendezvous?: {host?: string; port: number; publicHost?: string}
  /** How long an attached one-off waits for its client (default 2 minutes). */
  attachExpiryMs?: number
  /** Releases per app whose code stays on disk (default 10); older code is pruned (builds/disk.ts). */
  keepReleases?: number
  /** Seconds a build may run before it is killed and fails (default 900, Heroku's 15 minutes). */
  buildTimeoutSeconds?: number
  /** Largest slug a build may make, in MB (default 500, Heroku's). */
  maxSlugMegabytes?: number
  /** Log drains: `allowPrivate` lets them reach loopback and private addresses (default public only); `perApp` caps them (default 10). */
  drains?: DrainSettings
  /** Where the listeners say they refused connections (default: stderr). */
  warn?: (message: string) => void
  /**
   * Every process of an app runs in the bubblewrap sandbox (runtime/sandbox.ts; needs root and
   * bwrap). Default off here: `tug server` decides (it checks that bubblewrap works first).
   */
  sandbox?: boolean
  /**
   * Where builds get their buildpacks (issue 15). Default: tug's built-in ones and fetched URLs
   * under `<dataDir>/buildpacks/`, unless `runtime` is given (a runtime made for a test may not
   * run builds; such a test passes a resolver when it wants one).
   */
  buildpacks?: BuildpackResolver
  /** The default resolver fetches buildpacks from loopback, link-local and private addresses too (`--allow-private-buildpacks`). */
  allowPrivateBuildpacks?: boolean
  /**
   * Add-ons (issue 16): `postgresUrl` names the operator's PostgreSQL (a superuser's URL); without
   * it the control plane runs a cluster of its own in <dataDir>/addons/postgres when PostgreSQL's
   * binaries are installed. Redis add-ons are redis-server processes it runs.
   */
  addons?: AddonSettings
  /** Dynos run as pods of a Kubernetes cluster (issue 18; runtime/kubernetes/) instead of local processes. */
  kubernetes?: KubernetesServerOptions
}

export interface RunningServer {
  url: string
  adminTokenPath: string
  /** The router's port once it listens; `routerError` says why it does not (a port in use is not fatal). */
  routerPort?: number
  routerError?: string
  /** The rendezvous listener's port and the CA file clients trust it with; or why it does not run. */
  rendezvousPort?: number
  rendezvousCaFile?: string
  rendezvousError?: string
  /** The descriptor limit after the raise at start, and the listeners' caps derived from it (limits.ts). */
  fileLimit: FileLimit
  connectionCaps: ConnectionCaps
  close(): Promise<void>
}

export const DEFAULT_HOST = '127.0.0.1'
export const DEFAULT_PORT = 5055
export const ADMIN_EMAIL = 'admin@tug.local'
export const DATABASE_FILE = 'tug.db'
export const ADMIN_TOKEN_FILE = 'admin-token'
export const LOGS_DIR = 'logs'

/**
 * The default account, and the admin token in `<dataDir>/admin-token` (mode 0600): created on
 * the first start, and again whenever the file is missing or no longer names a valid token (the
 * database was replaced), so that the local CLI can always authenticate.
 */
export function ensureAdmin(store: Store, dataDir: string): {account: AccountRecord; tokenPath: string} {
  const tokenPath = join(dataDir, ADMIN_TOKEN_FILE)
  return store.transaction(() => {
    const account = store.accounts.findByEmail(ADMIN_EMAIL) ?? store.accounts.create({email: ADMIN_EMAIL, name: 'tug admin', admin: true})
    const existing = existsSync(tokenPath) ? readFileSync(tokenPath, 'utf8').trim() : ''
    if (existing === '' || !store.tokens.authenticate(existing)) {
      const {secret} = store.tokens.create(account.id, 'admin token (created on first start)')
      const temp = `${tokenPath}.${process.pid}.tmp`
      writeFileSync(temp, secret, {mode: 0o600})
      chmodSync(temp, 0o600)
      renameSync(temp, tokenPath)
    }
    return {account, tokenPath}
  })
}

function formatUrl(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return `http://${host}:${address.port}`
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  if (options.keepReleases !== undefined && !(Number.isSafeInteger(options.keepReleases) && options.keepReleases >= 1)) {
    throw new RangeError(`keepReleases must be a whole number of at least 1, got ${options.keepReleases}.`)
  }
  for (const name of ['buildTimeoutSeconds', 'maxSlugMegabytes'] as const) {
    const value = options[name]
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be a positive number, got ${value}.`)
  }
  // Before anything opens a file there: refuses another user's directory, makes tug's files private.
  secureDataDir(options.dataDir)
  const fileLimit = raiseFileLimit()
  const caps = connectionCaps(fileLimit.soft)
  const warn = options.warn ?? ((message: string) => void process.stderr.write(`${message}\n`))
  const store = new Store({path: join(options.dataDir, DATABASE_FILE)})
  let runtime: Runtime | undefined
  let logs: LogRouter | undefined
  let addons: AddonService | undefined
  try {
    const {tokenPath} = ensureAdmin(store, options.dataDir)
    logs = await LogRouter.open({
      persist: {dir: join(options.dataDir, LOGS_DIR)},
      ...(options.logHistoryLines === undefined ? {} : {historyLines: options.logHistoryLines}),
    })
    let rendezvous: RunningRendezvous | undefined
    let url = ''
    const activeStore = store
    const logRouter = logs
    const hub = new AttachHub({
      rendezvous: () => {
        if (!rendezvous) return undefined
        const wildcard = rendezvous.host === '0.0.0.0' || rendezvous.host === '::'
        const host = options.rendezvous?.publicHost ?? (wildcard ? new URL(url).hostname.replace(/^\[(.*)\]$/, '$1') : rendezvous.host)
        return {host, port: rendezvous.port}
      },
      stopDyno: async (appId, dynoId) => {
        if (activeStore.dynos.get(appId, dynoId)?.ended_at === null) await runtime?.stop(appId, {kind: 'dyno', dynoId})
      },
      event: (appId, dyno, message) => logRouter.write(appId, {source: 'tug', dyno, message}),
      ...(options.attachExpiryMs === undefined ? {} : {expiryMs: options.attachExpiryMs}),
    })
    const sandbox = options.sandbox && !options.runtime && !options.kubernetes ? new Sandbox({dataDir: options.dataDir}) : undefined
    const apiUrl = (): string => (options.publicUrl ?? url).replace(/\/+$/, '')
    runtime = options.runtime
      ? options.runtime(store, logs)
      : options.kubernetes
        ? await (await import('./runtime/kubernetes/index.js')).createKubernetesRuntime(options.kubernetes, {store, logs, attach: hub, dataDir: options.dataDir, apiUrl, onError: (error) => process.emitWarning(`kubernetes runtime: ${(error as Error).message}`)})
        : createLocalRuntime(store, logs, {attach: hub, plane: ensurePlaneId(options.dataDir), ...(sandbox ? {sandbox} : {})})
    const addonRuntime = runtime
    addons = createAddonService({...options.addons, store, logs, dataDir: options.dataDir, warn, releaseChanged: (appId) => addonRuntime.releaseChanged(appId)})
    // Before the API answers: what a crash left midway is finished, the Redis servers run again.
    await addons.start()
    let appRouter: RunningRouter | undefined
    const deps: AppDeps = {
      store,
      runtime,
      logs,
      dataDir: options.dataDir,
      publicUrl: () => (options.publicUrl ?? url).replace(/\/+$/, ''),
      ...(options.router ? {webUrl: (name: string) => appRouter?.url(name) ?? webUrl(name)} : {}),
      bodyLimit: options.bodyLimit,
      logger: options.logger,
      builds: {
        ...(options.keepReleases === undefined ? {} : {keepReleases: options.keepReleases}),
        ...(options.buildTimeoutSeconds === undefined ? {} : {buildTimeoutMs: options.buildTimeoutSeconds * 1000}),
        ...(options.maxSlugMegabytes === undefined ? {} : {maxSlugBytes: Math.round(options.maxSlugMegabytes * 1024 * 1024)}),
      },
      ...(options.drains ? {drains: options.drains} : {}),
      addons,
      // On Kubernetes builds run no buildpack yet (the Procfile as is): nothing runs them in the cluster.
      buildpacks: options.buildpacks ?? (options.runtime || options.kubernetes ? undefined : new LocalBuildpackResolver({dataDir: options.dataDir, allowPrivate: options.allowPrivateBuildpacks === true})),
    }
    const app = buildApp(deps)
    const attachSockets = new Set<import('node:stream').Duplex>()
    app.server.on('upgrade', attachUpgradeHandler({store, hub, sockets: attachSockets}))
    // Over its cap node closes a new connection as it accepts it; a client has 10 s to send its headers.
    app.server.maxConnections = caps.api
    app.server.headersTimeout = API_HEADERS_TIMEOUT_MS
    try {
      await app.listen({host: options.host ?? DEFAULT_HOST, port: options.port ?? DEFAULT_PORT})
    } catch (error) {
      await app.close()
      throw error
    }
    url = formatUrl(app.server.address() as AddressInfo)
    let routerError: string | undefined
    if (options.router) {
      try {
        const connections = {maxConnections: caps.router, maxPerAddress: caps.routerPerAddress, ...options.router.connections}
        appRouter = await startAppRouter({store, runtime, logs}, {...options.router, connections, warn})
      } catch (error) {
        routerError = (error as Error).message
      }
    }
    let rendezvousCaFile: string | undefined
    let rendezvousError: string | undefined
    if (options.rendezvous) {
      try {
        const cert = ensureRendezvousCert(options.dataDir, options.rendezvous.host)
        rendezvousCaFile = cert.caFile
        rendezvous = await startRendezvous({hub, cert, host: options.rendezvous.host ?? DEFAULT_HOST, port: options.rendezvous.port, maxConnections: caps.rendezvous})
      } catch (error) {
        rendezvousError = (error as Error).message
      }
    }
    let closing: Promise<void> | undefined
    const activeRuntime = runtime
    const activeLogs = logs
    const activeAddons = addons
    return {
      url,
      adminTokenPath: tokenPath,
      ...(appRouter ? {routerPort: appRouter.port} : {}),
      ...(routerError === undefined ? {} : {routerError}),
      ...(rendezvous ? {rendezvousPort: rendezvous.port} : {}),
      ...(rendezvousCaFile === undefined ? {} : {rendezvousCaFile}),
      ...(rendezvousError === undefined ? {} : {rendezvousError}),
      fileLimit,
      connectionCaps: caps,
      close() {
        closing ??= (async () => {
          try {
            await appRouter?.close()
            hub.close()
            for (const socket of attachSockets) socket.destroy()
            await app.close()
            // The runtime stops its dynos first, so their last lines still reach the log router.
            await activeRuntime.close()
            // Once no dyno uses them: the add-ons' servers stop cleanly (their data stays).
            await activeAddons.close()
            // Every dyno has stopped and unmounted its own overlay; this is for one whose clean-up failed.
            await sandbox?.cleanLeftovers()
            hub.close()
            await rendezvous?.close()
            await activeLogs.close()
          } finally {
            store.close()
          }
        })()
        return closing
      },
    }
  } catch (error) {
    await runtime?.close()
    await addons?.close()
    await logs?.close()
    store.close()
    throw error
  }
}
