import {randomBytes} from 'node:crypto'
import {objectBody} from '../body.js'
import {loadApp, params} from '../context.js'
import type {RouteModule} from '../deps.js'
import {notFound} from '../errors.js'
import {optionalBoolean, optionalInteger, optionalString} from '../validate.js'
import {logSessionToWire} from '../wire.js'

/** An unused session URL stops working after this long (Heroku's is about 5 minutes). */
export const LOG_SESSION_TTL_MS = 5 * 60 * 1000
export const MAX_LOG_LINES = 10_000

function clampLines(lines: number | undefined): number | null {
  return lines === undefined ? null : Math.min(lines, MAX_LOG_LINES)
}

export const logSessionsRoutes: RouteModule = (app, deps) => {
  const {store} = deps

  app.post('/apps/:app/log-sessions', async (request, reply) => {
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
      ttlMs: LOG_SESSION_TTL_MS,
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

  // The stream itself comes with the log-router issue; until then a live session answers 404.
  app.get('/log-sessions/:secret', {config: {public: true}}, async (request) => {
    const session = store.logSessions.findBySecret(params(request).secret ?? '')
    if (!session) throw notFound('log-session', "Couldn't find that log session: it may have expired.")
    throw notFound('log-session', 'Log stream not available yet')
  })
}
