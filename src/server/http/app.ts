// Builds the fastify app of the Platform API (no listening here: tests may `inject`, and
// `startServer` listens). Conventions are one plugin function each; routes are one module per resource.
import {randomUUID} from 'node:crypto'
import Fastify, {type FastifyInstance, type FastifyReply} from 'fastify'
import {accessPlugin} from './access.js'
import {auditPlugin} from './access-audit.js'
import {authPlugin} from './auth.js'
import {bodyPlugin, DEFAULT_BODY_LIMIT} from './body.js'
import type {AppDeps, RouteModule} from './deps.js'
import {frameworkErrorBody, installErrorHandlers} from './errors.js'
import {headersPlugin, RATE_LIMIT_REMAINING} from './headers.js'
import {accountRoutes} from './routes/account.js'
import {addonsRoutes} from './routes/addons.js'
import {addonsBackupsRoutes} from './routes/addons-backups.js'
import {appsRoutes} from './routes/apps.js'
import {auditRoutes} from './routes/audit.js'
import {collaboratorsRoutes} from './routes/collaborators.js'
import {teamsRoutes} from './routes/teams.js'
import {usersRoutes} from './routes/users.js'
import {buildpackInstallationsRoutes} from './routes/buildpack-installations.js'
import {buildsRoutes} from './routes/builds.js'
import {configVarsRoutes} from './routes/config-vars.js'
import {dynoSizesRoutes} from './routes/dyno-sizes.js'
import {dynosRoutes} from './routes/dynos.js'
import {featuresRoutes} from './routes/features.js'
import {formationRoutes} from './routes/formation.js'
import {healthRoutes} from './routes/health.js'
import {logDrainsRoutes} from './routes/log-drains.js'
import {logSessionsRoutes} from './routes/log-sessions.js'
import {pipelineCouplingsRoutes} from './routes/pipeline-couplings.js'
import {regionsRoutes} from './routes/regions.js'
import {releasesRoutes} from './routes/releases.js'
import {runtimeSettingsRoutes} from './routes/runtime-settings.js'
import {schedulesRoutes} from './routes/schedules.js'
import {slugsRoutes} from './routes/slugs.js'
import {stacksRoutes} from './routes/stacks.js'
import {versionPlugin} from './version.js'

export type {AppDeps, RouteModule} from './deps.js'

/**
 * Every resource's routes. A route module is `(app, deps) => void` and is called on the root
 * instance, so the conventions (version, auth, errors, headers) apply to it. Every route declares
 * its access need (`config: {access: 'read'}`, access.ts); routes that must be reachable without
 * credentials (capability URLs) declare `config: {public: true}` instead.
 */
const ROUTES: RouteModule[] = [
  accountRoutes,
  usersRoutes,
  appsRoutes,
  collaboratorsRoutes,
  teamsRoutes,
  auditRoutes,
  addonsRoutes,
  addonsBackupsRoutes,
  featuresRoutes,
  pipelineCouplingsRoutes,
  formationRoutes,
  dynoSizesRoutes,
  dynosRoutes,
  configVarsRoutes,
  releasesRoutes,
  schedulesRoutes,
  runtimeSettingsRoutes,
  logSessionsRoutes,
  logDrainsRoutes,
  regionsRoutes,
  stacksRoutes,
  buildpackInstallationsRoutes,
  // With the sources routes: they share one BuildService.
  buildsRoutes,
  healthRoutes,
  slugsRoutes,
]

/** The request headers a client may send in all. */
export const MAX_HEADER_BYTES = 64 * 1024

export function buildApp(deps: AppDeps): FastifyInstance {
  const bodyLimit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit,
    genReqId: () => randomUUID(),
    // Never read the client's Request-Id as ours: the CLI sends a growing comma-joined list.
    requestIdHeader: false,
    routerOptions: {ignoreTrailingSlash: true, maxParamLength: 1000},
    // Node's default (16 KiB) is too tight for a CLI that keeps appending ids to Request-Id.
    http: {maxHeaderSize: MAX_HEADER_BYTES},
    exposeHeadRoutes: true,
    frameworkErrors: (error, request, reply) => {
      const {status, body} = frameworkErrorBody(error.code)
      // The option's reply type is generic over route schemas; this one answers like any other.
      const plain = reply as FastifyReply
      plain.header('Request-Id', request.id).header('RateLimit-Remaining', String(RATE_LIMIT_REMAINING))
      plain.code(status).send(body)
    },
  })
  installErrorHandlers(app, bodyLimit)
  // The conventions are installed on the root instance itself (not registered as encapsulated
  // plugins), so every route, the 404 handler included, goes through them.
  headersPlugin(app)
  versionPlugin(app)
  authPlugin(app, deps.store)
  // Before any route: its onRoute check refuses a route that declares no access need.
  accessPlugin(app, deps.store)
  auditPlugin(app, deps.store)
  bodyPlugin(app)
  for (const routes of ROUTES) routes(app, deps)
  return app
}
