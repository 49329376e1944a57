import type {FastifyInstance} from 'fastify'
import type {AddonService} from '../addons/service.js'
import type {BuildpackResolver} from '../builds/buildpack-contract.js'
import type {BuildServiceOptions} from '../builds/index.js'
import type {LogRouter} from '../logs/index.js'
import type {Runtime} from '../runtime/index.js'
import type {AccountRecord, Store} from '../store/index.js'

/** What the HTTP layer needs; `buildApp(deps)` takes it and every route module receives it. */
export interface AppDeps {
  store: Store
  runtime: Runtime
  /** The log router: one ordered stream per app, read by log sessions. */
  logs: LogRouter
  /** The data directory: sources and release code live under it. */
  dataDir: string
  /** The base URL clients reach this server at (capability URLs are built on it). A function,
   * because with port 0 it is known only once the server listens. */
  publicUrl: () => string
  /** The app's address through the HTTP router (issue 7); default `http://<app>.localhost:5080/`. */
  webUrl?: (appName: string) => string
  /** Limits of the sources and builds (tests use small ones); default BuildService's. */
  builds?: BuildServiceOptions
  /** Where builds get their buildpacks; without one, builds run no buildpack (the Procfile says it all). */
  buildpacks?: BuildpackResolver
  /** Lifetimes of log sessions (tests use short ones); default Heroku's. */
  logSessions?: LogSessionSettings
  /** Where drains may send, and how many an app may have (issue 14); default public addresses, 10. */
  drains?: DrainSettings
  /** Add-ons (issue 16): without it the add-on routes list nothing and create answers 503. */
  addons?: AddonService
  /** Largest JSON body accepted; default 1 MiB. */
  bodyLimit?: number
  logger?: boolean
}

export interface DrainSettings {
  /** Drains to loopback, link-local and private addresses too (`tug server --allow-private-drains`). */
  allowPrivate?: boolean
  /** Most drains per app (default 10). */
  perApp?: number
}

export interface LogSessionSettings {
  unusedTtlMs?: number
  connectedTtlMs?: number
  /** SSE keep-alive comment period (default 15 s). */
  keepAliveMs?: number
}

/** A resource's routes: one file per resource in ./routes, each exporting one of these. */
export type RouteModule = (app: FastifyInstance, deps: AppDeps) => void

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated account; null only on routes declared `config: {public: true}`. */
    account: AccountRecord | null
  }
  interface FastifyContextConfig {
    /** Capability URLs (log streams, source uploads): no Accept version check, no auth. */
    public?: boolean
  }
}
