// How handlers reach the app they are for: through the access check of the HTTP edge
// (access.ts), so that an app the caller cannot see is answered exactly like one that does not
// exist (404, not 403), and one it may only read refuses a change (403, with the reason).
import type {FastifyRequest} from 'fastify'
import type {Need} from '../domain/access.js'
import type {AppRecord} from '../store/index.js'
import {authorizeApp} from './access.js'
import type {AppDeps} from './deps.js'
import {appNotFound} from './errors.js'

export function loadApp(deps: AppDeps, request: FastifyRequest, identity: string, need?: Need): AppRecord {
  const app = deps.store.apps.resolve(identity)
  if (!app) throw appNotFound()
  authorizeApp(deps.store, request, app, need)
  return app
}

/** Path parameters as fastify decoded them. */
export function params(request: FastifyRequest): Record<string, string> {
  return request.params as Record<string, string>
}
