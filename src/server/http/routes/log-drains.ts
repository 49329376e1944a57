// Log drains (platform-api.md 2.9): where an app's lines are also sent, by syslog or HTTPS.
import type {LogDrain} from '../../../shared/api-types.js'
import {ALLOW_PRIVATE_HINT, hostProblem} from '../../logs/drains/address-policy.js'
import {DrainManager} from '../../logs/drains/index.js'
import type {AppRecord, LogDrainRecord} from '../../store/index.js'
import {objectBody} from '../body.js'
import {loadApp, params} from '../context.js'
import type {RouteModule} from '../deps.js'
import {invalidParams, notFound} from '../errors.js'
import {optionalString} from '../validate.js'

const SCHEMES = new Set(['syslog:', 'syslog+tls:', 'https:', 'http:'])
/** Longest drain URL taken (as browsers and most servers cap URLs). */
export const MAX_DRAIN_URL_LENGTH = 2048
/** Most drains per app unless the server says otherwise (Heroku allows a handful). */
export const DEFAULT_DRAINS_PER_APP = 10

export function logDrainToWire(drain: LogDrainRecord, app: AppRecord): LogDrain {
  return {
    addon: null,
    app: {id: app.id, name: app.name},
    created_at: drain.created_at,
    id: drain.id,
    token: drain.token,
    updated_at: drain.updated_at,
    url: drain.url,
  }
}

/**
 * The drain URL as given, or a 422 saying what a drain URL must be. Unless `allowPrivate`, its
 * host may not be a loopback, link-local, private or otherwise non-public address (names are
 * judged again, resolved, each time a drain connects: address-policy.ts).
 */
export function validateDrainUrl(value: string | undefined, options: {allowPrivate?: boolean} = {}): string {
  if (value === undefined || value.trim() === '') throw invalidParams('url is required: a syslog://, syslog+tls:// or https:// URL.')
  if (value.trim().length > MAX_DRAIN_URL_LENGTH) throw invalidParams(`Url is too long: ${value.trim().length} characters; a drain URL has at most ${MAX_DRAIN_URL_LENGTH}.`)
  let url: URL
  try {
    url = new URL(value.trim())
  } catch {
    throw invalidParams(`Url is invalid: ${value} is not a URL.`)
  }
  if (!SCHEMES.has(url.protocol)) {
    throw invalidParams(`Url is invalid: the scheme must be syslog://, syslog+tls:// or https:// (http:// for local testing), not ${url.protocol}//.`)
  }
  if (url.hostname === '') throw invalidParams(`Url is invalid: ${value} has no host.`)
  if (url.protocol.startsWith('syslog') && (url.pathname !== '' && url.pathname !== '/')) {
    throw invalidParams(`Url is invalid: a syslog drain is syslog://host:port, without a path.`)
  }
  if (!options.allowPrivate) {
    // An http(s) URL's host is already canonical (2130706433 and 0x7f.1 are 127.0.0.1 there); a
    // syslog one's is not, so it is read as an http host would be, as the resolver reads it.
    const host = url.protocol.startsWith('syslog') ? new URL(`http://${url.host}`).hostname : url.hostname
    const problem = hostProblem(host)
    if (problem !== undefined) throw invalidParams(`Url is invalid: ${host} is ${problem}, and drains send only to public addresses; ${ALLOW_PRIVATE_HINT}.`)
  }
  return value.trim()
}

function drainNotFound() {
  return notFound('log-drain', "Couldn't find that log drain.")
}

export const logDrainsRoutes: RouteModule = (app, deps) => {
  const {store} = deps
  const allowPrivate = deps.drains?.allowPrivate ?? false
  const perApp = deps.drains?.perApp ?? DEFAULT_DRAINS_PER_APP
  // The app's drains, closed with it.
  const drains = new DrainManager(deps.logs, {allowPrivate})
  // Delivery resumes for the stored drains when the API comes up (e.g. after a restart).
  drains.sync(store.logDrains.all().map((d) => ({id: d.id, appId: d.app_id, url: d.url, token: d.token})))
  app.addHook('onClose', async () => drains.close())

  app.get('/apps/:app/log-drains', {config: {access: 'read'}}, async (request) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    return store.logDrains.list(target.id).map((d) => logDrainToWire(d, target))
  })

  app.post('/apps/:app/log-drains', {config: {access: 'write'}}, async (request, reply) => {
    const body = objectBody(request.body)
    const url = validateDrainUrl(optionalString(body, 'url'), {allowPrivate})
    const {target, drain} = store.transaction(() => {
      const target = loadApp(deps, request, params(request).app ?? '')
      if (store.logDrains.findByUrl(target.id, url)) throw invalidParams('Url has already been taken')
      if (store.logDrains.list(target.id).length >= perApp) {
        throw invalidParams(`${target.name} has ${perApp} log drains, the most an app may have: remove one first (tug drains:remove URL -a ${target.name}).`)
      }
      return {target, drain: store.logDrains.create(target.id, url)}
    })
    drains.add({id: drain.id, appId: target.id, url: drain.url, token: drain.token})
    reply.code(201)
    return logDrainToWire(drain, target)
  })

  app.get('/apps/:app/log-drains/:drain', {config: {access: 'read'}}, async (request) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    const drain = store.logDrains.resolve(target.id, params(request).drain ?? '')
    if (!drain) throw drainNotFound()
    return logDrainToWire(drain, target)
  })

  app.delete('/apps/:app/log-drains/:drain', {config: {access: 'write'}}, async (request) => {
    const {target, drain} = store.transaction(() => {
      const target = loadApp(deps, request, params(request).app ?? '')
      const drain = store.logDrains.resolve(target.id, params(request).drain ?? '')
      if (!drain) throw drainNotFound()
      store.logDrains.delete(target.id, drain.id)
      return {target, drain}
    })
    drains.remove(drain.id)
    return logDrainToWire(drain, target)
  })
}
