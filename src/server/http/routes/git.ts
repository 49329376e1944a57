// git's smart HTTP protocol at `/<app>.git/...` (Heroku's `https://git.heroku.com/<app>.git`, and
// the apps' `git_url`), served by `git http-backend` (src/server/git). git is not an API client:
// no Accept version, HTTP basic with the API token as the password (any user name, so the netrc
// entry of `tug login` works), a 401 with a Basic challenge so that git asks its credential
// helpers or netrc, and text/plain errors, which git shows the user as `remote: ...` lines.
import {PassThrough, type Readable} from 'node:stream'
import type {FastifyReply, FastifyRequest} from 'fastify'

import type {BuildService} from '../../builds/index.js'
import {DEFAULT_MAX_SOURCE_BYTES} from '../../builds/service.js'
import {DomainError} from '../../domain/errors.js'
import {GitEndpoint} from '../../git/index.js'
import {actorOf, authenticateToken, expiredToken, tokenFromAuthorization} from '../auth.js'
import {loadApp, params} from '../context.js'
import {HttpError} from '../errors.js'
import type {AppDeps} from '../deps.js'
import type {FastifyInstance} from 'fastify'

const SERVICES = new Set(['git-upload-pack', 'git-receive-pack'])

function plain(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).header('Content-Type', 'text/plain; charset=utf-8').send(`${message}\n`)
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/** Where this control plane answers on the connection the request came in on: the hook calls back there. */
function localBaseUrl(request: FastifyRequest, fallback: string): string {
  const {localAddress, localPort} = request.raw.socket
  if (!localAddress || !localPort) return fallback
  const host = localAddress.includes(':') ? `[${localAddress}]` : localAddress
  return `http://${host}:${localPort}`
}

/** Registered by the builds routes: a push builds through their one BuildService (one queue per app). */
export function gitRoutes(app: FastifyInstance, deps: AppDeps, builds: BuildService): void {
  const endpoint = new GitEndpoint({
    store: deps.store,
    builds,
    dataDir: deps.dataDir,
    maxBodyBytes: deps.builds?.maxSourceBytes ?? DEFAULT_MAX_SOURCE_BYTES,
    log: (message, error) => console.error(`tug server: ${message}`, error ?? ''),
  })

  const handle = async (request: FastifyRequest, reply: FastifyReply, path: string): Promise<FastifyReply> => {
    const found = authenticateToken(deps.store, request.headers.authorization)
    const expired = found && expiredToken(found.token, deps.store.clock())
    if (expired) return plain(reply, 401, expired.message)
    const account = found?.account
    if (!found || !account) {
      reply.header('WWW-Authenticate', 'Basic realm="tug"')
      return plain(reply, 401, tokenFromAuthorization(request.headers.authorization) === undefined
        ? 'Authentication required: use your tug API token as the password (tug login writes it to ~/.netrc).'
        : 'Invalid credentials provided: the password must be a tug API token (tug auth:token shows yours).')
    }
    const name = params(request).app ?? ''
    request.account = account
    request.token = found.token
    request.actor = actorOf(account, found.token)
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : ''
    // A push changes the app; a fetch or clone reads it.
    const pushing = path === '/git-receive-pack' || new URLSearchParams(query).get('service') === 'git-receive-pack'
    let target
    try {
      target = loadApp(deps, request, name, pushing ? 'write' : 'read')
    } catch (error) {
      if (error instanceof DomainError && error.code === 'not_found') {
        return plain(reply, 404, `No such app as ${name}: check the remote's URL (tug apps lists your apps, tug git:remote -a APP sets the remote).`)
      }
      if (error instanceof HttpError) return plain(reply, error.statusCode, error.message)
      throw error
    }
    if (path === '/info/refs') {
      const service = new URLSearchParams(query).get('service')
      if (service === null || !SERVICES.has(service)) {
        return plain(reply, 403, 'tug serves git over the smart HTTP protocol only: use git 1.6.6 or newer.')
      }
    }
    const length = first(request.headers['content-length'])
    const contentType = first(request.headers['content-type'])
    const contentEncoding = first(request.headers['content-encoding'])
    const gitProtocol = first(request.headers['git-protocol'])
    let response
    try {
      response = await endpoint.serve({
        app: target,
        account,
        method: request.method === 'POST' ? 'POST' : 'GET',
        path,
        query,
        headers: {
          ...(contentType === undefined ? {} : {contentType}),
          ...(length === undefined || !/^\d+$/.test(length) ? {} : {contentLength: Number(length)}),
          ...(contentEncoding === undefined ? {} : {contentEncoding}),
          ...(gitProtocol === undefined ? {} : {gitProtocol}),
        },
        remoteAddr: request.ip,
        ...(request.method === 'POST' ? {body: (request.body as Readable | undefined) ?? request.raw} : {}),
        hookBaseUrl: localBaseUrl(request, deps.publicUrl()),
      })
    } catch (error) {
      // The rest of the body is not read: the connection cannot carry another request.
      if (error instanceof DomainError && error.code === 'too_large') return plain(reply.header('Connection', 'close'), 413, error.message)
      throw error
    }
    reply.code(response.status)
    for (const [header, value] of Object.entries(response.headers)) reply.header(header, value)
    return reply.send(response.body)
  }

  // Git's bodies are packs, not JSON: this context's only parser hands the request stream through.
  void app.register(async (git) => {
    git.removeAllContentTypeParsers()
    git.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
    // Public for the API's checks (no Accept version, no JSON 401): the handler authenticates itself.
    const config = {public: true}
    git.get('/:app.git/info/refs', {config}, (request, reply) => handle(request, reply, '/info/refs'))
    git.post('/:app.git/git-upload-pack', {config}, (request, reply) => handle(request, reply, '/git-upload-pack'))
    git.post('/:app.git/git-receive-pack', {config}, (request, reply) => handle(request, reply, '/git-receive-pack'))
  })

  // The repository's pre-receive hook reports a push here, with the push's one-time secret.
  app.post('/git-hooks/pre-receive', {config: {public: true}}, async (request, reply) => {
    const secret = tokenFromAuthorization(request.headers.authorization) ?? ''
    const body = request.body && typeof request.body === 'object' ? (request.body as {refs?: unknown; env?: unknown}) : {}
    const stream = new PassThrough()
    const done = endpoint.preReceive(secret, body, (text) => stream.write(text))
    if (!done) return plain(reply, 404, 'This push is not known to the control plane (its hook was called twice, or not by tug).')
    void done.finally(() => stream.end())
    reply.header('Content-Type', 'text/plain; charset=utf-8').header('Cache-Control', 'no-cache')
    return reply.send(stream)
  })
}
