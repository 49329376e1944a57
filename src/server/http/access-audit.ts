// The audit trail's one writer (issue 17): an onResponse hook records every change that
// succeeded (a route whose need is more than read, answered below 400), every login and failed
// login, and git pushes; with who, which token, which app, and an action named after the route.
// Nothing of the request's body is kept (no secrets, no config values).
import type {FastifyInstance, FastifyRequest} from 'fastify'
import type {Store, TokenRecord} from '../store/index.js'

const VERBS: Record<string, string> = {POST: 'create', PATCH: 'update', PUT: 'update', DELETE: 'destroy'}

/** Resource words of the API, as the action names them. */
const NOUNS: Record<string, string> = {
  'config-vars': 'config',
  members: 'team-member',
  formations: 'formation',
  invitations: 'user-invitation',
  'runtime-settings': 'runtime-settings',
  'buildpack-installations': 'buildpacks',
}

const SPECIAL: Record<string, string> = {
  'DELETE /apps/:app/dynos': 'dyno.restart',
  'DELETE /apps/:app/dynos/:dyno': 'dyno.restart',
  'DELETE /apps/:app/formations/:type': 'dyno.restart',
  'POST /teams/apps': 'app.create',
  'POST /users/invitations': 'user.invite',
  'POST /:app.git/git-receive-pack': 'git.push',
}

function noun(word: string): string {
  return NOUNS[word] ?? (word.endsWith('s') ? word.slice(0, -1) : word)
}

/** 'formation.update', 'config.update', 'collaborator.create', 'dyno.stop', ... from the method and route pattern. */
export function actionOf(method: string, url: string, body?: unknown): string {
  const special = SPECIAL[`${method} ${url}`]
  if (special) return special
  if (method === 'POST' && url === '/apps/:app/releases') {
    const rollback = typeof body === 'object' && body !== null && 'release' in body
    return rollback ? 'release.rollback' : 'release.create'
  }
  const words = url.split('/').filter((w) => w !== '' && !w.startsWith(':'))
  let verb = VERBS[method] ?? method.toLowerCase()
  if (words.at(-2) === 'actions') {
    verb = words.pop() as string
    words.pop()
  } else if (words.at(-1) === 'restore') {
    verb = words.pop() as string
  }
  return `${noun(words.at(-1) ?? 'app')}.${verb}`
}

function isChange(request: FastifyRequest, status: number): boolean {
  if (status >= 400 || request.is404) return false
  const url = request.routeOptions.url ?? ''
  if (url.endsWith('/git-receive-pack')) return request.account !== null
  // A read changes nothing, whatever it takes to be allowed it (GET /users needs an admin).
  if (request.method === 'GET' || request.method === 'HEAD') return false
  const need = request.routeOptions.config.access
  return need !== undefined && need !== 'read' && request.account !== null
}

export function auditPlugin(app: FastifyInstance, store: Store): void {
  app.decorateRequest('auditAction', undefined)
  app.decorateRequest('auditToken', undefined)
  app.decorateRequest('loginEmail', undefined)
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode
    const action = request.auditAction ?? (isChange(request, status) ? actionOf(request.method, request.routeOptions.url ?? '', request.body) : undefined)
    if (action === undefined) return
    const account = request.account ?? (request.loginEmail === undefined ? undefined : store.accounts.findByEmail(request.loginEmail))
    const token = request.auditToken ?? request.token
    const target = request.accessApp
    try {
      store.audit.record({
        actor_id: account?.id ?? null,
        actor_email: account?.email ?? request.loginEmail ?? null,
        token_id: token?.id ?? null,
        token_description: token?.description ?? null,
        app_id: target?.id ?? null,
        app_name: target?.name ?? null,
        action,
        method: request.method,
        // The path without its query (a query may carry anything).
        path: request.url.split('?')[0] ?? '',
        status,
      })
    } catch (error) {
      request.log.error({err: error}, 'audit event not recorded')
    }
  })
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The email a password login tried (the audit trail records failed logins with it). */
    loginEmail?: string
    /** The route's own name for what happened, where the route pattern does not say it. */
    auditAction?: string
    /** The token a request made or revoked (the audit trail names it). */
    auditToken?: TokenRecord
  }
}
