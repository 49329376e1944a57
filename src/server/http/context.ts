// The one authorization check at the HTTP edge: an app is visible to its owner only, and an app
// the caller cannot see is answered exactly like one that does not exist (404, not 403).
import type {FastifyRequest} from 'fastify'
import type {AppRecord} from '../store/index.js'
import {requireAccount} from './auth.js'
import type {AppDeps} from './deps.js'
import {appNotFound} from './errors.js'

export function loadApp(deps: AppDeps, request: FastifyRequest, identity: string): AppRecord {
  const account = requireAccount(request)
  const app = deps.store.apps.resolve(identity)
  if (!app || app.owner_id !== account.id) throw appNotFound()
  return app
}

/** Path parameters as fastify decoded them. */
export function params(request: FastifyRequest): Record<string, string> {
  return request.params as Record<string, string>
}
