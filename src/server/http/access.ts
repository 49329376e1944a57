// Access at the HTTP edge (issue 17): every route declares what it needs (`config: {access}`),
// a route without one is refused at startup, and one preHandler resolves the route's app (the
// `:app` parameter, or the route's own `appOf`, e.g. an add-on's app) and applies decide().
// Handlers that reach an app another way go through loadApp (context.ts), which applies the same.
import type {FastifyInstance, FastifyRequest} from 'fastify'
import {decide, NEEDS, type AccessTarget, type Actor, type Need} from '../domain/access.js'
import type {AppRecord, Store} from '../store/index.js'
import {requireActor} from './auth.js'
import {appNotFound, HttpError} from './errors.js'

/** The target decide() sees: the relation is read only when ownership or admin does not settle it. */
export function accessTarget(store: Store, app: AppRecord, actor: Actor): AccessTarget {
  const settled = actor.admin || app.owner_id === actor.accountId
  const relation = settled ? {collaborator: false, teamRole: null} : store.apps.relation(app.id, app.team_id, actor.accountId)
  return {name: app.name, appId: app.id, ownerId: app.owner_id, ...relation}
}

function refuse(status: 401 | 403 | 404, message: string, notFound: () => Error = appNotFound): Error {
  if (status === 404) return notFound()
  return new HttpError(status, status === 401 ? 'unauthorized' : 'forbidden', message)
}

/** The route's declared need (a handler may ask for another, e.g. git's push). */
export function routeNeed(request: FastifyRequest): Need {
  return request.routeOptions.config.access ?? 'admin'
}

/** Throws the decision's answer unless the request's actor may do `need` (default: the route's) on `app`. */
export function authorizeApp(store: Store, request: FastifyRequest, app: AppRecord, need: Need = routeNeed(request), notFound?: () => Error): void {
  // The edge checked it already (a handler's loadApp of the same app asks again).
  if (request.accessApp?.id === app.id && request.accessNeed === need) return
  const actor = requireActor(request)
  const decision = decide(actor, accessTarget(store, app, actor), need, store.clock())
  if (!decision.allowed) throw refuse(decision.status, decision.message, notFound ?? request.routeOptions.config.notFound)
  // The audit trail names the app a change was for: the first one authorized.
  if (request.accessApp === null) {
    request.accessApp = app
    request.accessNeed = need
  }
}

/** The same for a request on no app (lists, the account, users, teams). */
export function authorizeNoApp(store: Store, request: FastifyRequest, need: Need = routeNeed(request)): void {
  const decision = decide(requireActor(request), null, need, store.clock())
  if (!decision.allowed) throw refuse(decision.status, decision.message)
}

/** What the store's list queries filter on for this request. */
export function viewerOf(request: FastifyRequest): {accountId: string; admin: boolean; appId: string | null} {
  const actor = requireActor(request)
  return {accountId: actor.accountId, admin: actor.admin, appId: actor.token?.appId ?? null}
}

export function accessPlugin(app: FastifyInstance, store: Store): void {
  app.decorateRequest('accessApp', null)
  app.decorateRequest('accessNeed', null)
  app.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as {access?: unknown; public?: boolean}
    if (config.public) return
    if (typeof config.access !== 'string' || !(NEEDS as readonly string[]).includes(config.access)) {
      const methods = Array.isArray(route.method) ? route.method.join(',') : route.method
      throw new Error(`${methods} ${route.url} declares no access need: add config: {access: 'read' | 'write' | 'manage' | 'account' | 'admin'} (or public: true for a capability URL).`)
    }
  })
  app.addHook('preHandler', async (request) => {
    const config = request.routeOptions.config
    if (config.public || config.login || request.is404) return
    const identity = config.appOf ? config.appOf(request) : (request.params as Record<string, string | undefined>).app
    if (identity === undefined) {
      // appOf found nothing: the handler answers 404 or finds the app another way, through loadApp.
      if (!config.appOf) authorizeNoApp(store, request)
      return
    }
    const target = store.apps.resolve(identity)
    if (!target) throw (config.notFound ?? appNotFound)()
    authorizeApp(store, request, target)
  })
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The app the request was authorized for (for the audit trail); null before, or for none. */
    accessApp: AppRecord | null
    /** What accessApp was authorized for. */
    accessNeed: Need | null
  }
  interface FastifyContextConfig {
    /** What the route needs (domain/access.ts); required on every route that is not public. */
    access?: Need
    /** The route authenticates itself (POST /oauth/authorizations takes a password too). */
    login?: boolean
    /**
     * Where the route's app is named when not in `:app` (an add-on's app, a body field); undefined
     * when the thing is not there (the handler answers, and checks any app it finds through loadApp).
     */
    appOf?: (request: FastifyRequest) => string | undefined
    /** The 404 of the route's own resource, given for an app the caller may not see (no leak of what exists). */
    notFound?: () => Error
  }
}
