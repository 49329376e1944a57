import {randomBytes} from 'node:crypto'
import type {FastifyInstance} from 'fastify'
import {LOG_HISTORY_LINES} from '../../../shared/log-history.js'
import {chooseFormat, filterFromSession, headersFor, parseLastEventId, StreamSession} from '../../logs/index.js'
import {objectBody} from '../body.js'
import {loadApp, params} from '../context.js'
import type {RouteModule} from '../deps.js'
import {notFound} from '../errors.js'
import {optionalBoolean, optionalInteger, optionalString} from '../validate.js'
import {logSessionToWire} from '../wire.js'

/** An unused session URL stops working after this long (Heroku's is about 5 minutes). */
export const LOG_SESSION_TTL_MS = 5 * 60 * 1000
/** A session that was read stops about an hour after its first read, as Heroku's do. */
export const LOG_SESSION_CONNECTED_TTL_MS = 60 * 60 * 1000
export const MAX_LOG_LINES = LOG_HISTORY_LINES
/** Lines a session without `lines` gets first (logplex's default). */
export const DEFAULT_LOG_LINES = 100

export type {LogSessionSettings} from '../deps.js'

function clampLines(lines: number | undefined): number | null {
  return lines === undefined ? null : Math.min(lines, MAX_LOG_LINES)
}

const SRV = /[?&]srv(=|&|$)/

export const logSessionsRoutes: RouteModule = (app, deps) => {
  const {store} = deps
  const options = deps.logSessions ?? {}
  const unusedTtlMs = options.unusedTtlMs ?? LOG_SESSION_TTL_MS
  const connectedTtlMs = options.connectedTtlMs ?? LOG_SESSION_CONNECTED_TTL_MS
  const live = new Set<StreamSession>()
  closeStreamsWith(app, live)

  app.post('/apps/:app/log-sessions', {config: {access: 'read'}}, async (request, reply) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    const body = objectBody(request.body)
    const input = {
      dyno: optionalString(body, 'dyno') ?? null,
      dyno_name: optionalString(body, 'dyno_name') ?? null,
      type: optionalString(body, 'type') ?? null,
      source: optionalString(body, 'source') ?? null,
      // More than the history holds is not an error (`heroku logs -n 20000` is legal): clamp.
      lines: clampLines(optionalInteger(body, 'lines', 0, Number.MAX_SAFE_INTEGER)),
      tail: optionalBoolean(body, 'tail') ?? false,
      ttlMs: unusedTtlMs,
    }
    // The URL is a capability (clients fetch it without credentials): 256 random bits.
    const secret = randomBytes(32).toString('base64url')
    const session = store.transaction(() => {
      // Expired sessions are useless rows; dropping them here keeps the table small without a timer.
      store.logSessions.deleteExpired()
      return store.logSessions.create(target.id, secret, input)
    })
    reply.code(201)
    return logSessionToWire(session, `${deps.publicUrl()}/log-sessions/${secret}?tail=${input.tail}`)
  })

  // The stream (platform-api.md 2.5): SSE for clients that ask for it, plain text otherwise (and
  // for the legacy `srv` query). Public: the secret in the path is the credential.
  app.get('/log-sessions/:secret', {config: {public: true}}, async (request, reply) => {
    const found = store.logSessions.findBySecret(params(request).secret ?? '')
    // A HEAD is a check, not a read: it must neither hold a connection open nor start the hour.
    if (request.method === 'HEAD') {
      if (!found) throw notFound('log-session', "Couldn't find that log session: it may have expired.")
      const format = SRV.test(request.url) ? 'text' : chooseFormat(request.headers.accept)
      return reply.headers({...headersFor(format)}).send()
    }
    const session = found && store.logSessions.connect(found.id, connectedTtlMs)
    if (!session) throw notFound('log-session', "Couldn't find that log session: it may have expired.")
    const format = SRV.test(request.url) ? 'text' : chooseFormat(request.headers.accept)
    // A reconnect's lifetime is what is left of the hour that started with the first read.
    const remainingMs = Math.max(0, Date.parse(session.expires_at) - store.clock().getTime())
    // Stored times are whole seconds: the first read's timer uses the exact hour instead.
    const endsInMs = found?.connected_at == null ? connectedTtlMs : remainingMs

    reply.hijack()
    const raw = reply.raw
    raw.writeHead(200, {...headersFor(format), 'request-id': request.id})
    const stream = new StreamSession(raw, {
      router: deps.logs,
      appId: session.app_id,
      format,
      keepAliveMs: options.keepAliveMs,
      subscribe: {
        filter: filterFromSession(session),
        lines: session.lines ?? DEFAULT_LOG_LINES,
        tail: session.tail,
        afterId: format !== 'text' ? parseLastEventId(request.headers['last-event-id']) : undefined,
      },
    })
    live.add(stream)
    // The connected lifetime is over: the stream ends, and the next reconnect finds no session.
    const timer = session.tail ? setTimeout(() => stream.close(), endsInMs) : undefined
    timer?.unref()
    void stream.done.then(() => {
      if (timer) clearTimeout(timer)
      live.delete(stream)
    })
  })
}

/** Live streams would keep `app.close()` waiting for ever: they end before the server closes. */
function closeStreamsWith(app: FastifyInstance, live: Set<StreamSession>): void {
  app.addHook('preClose', async () => {
    const done = [...live].map((stream) => {
      stream.close()
      return stream.done
    })
    await Promise.all(done)
  })
}
