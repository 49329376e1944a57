// Log drains (platform-api.md 2.9): where an app's lines are also sent, by syslog or HTTPS.
import type {LogDrain} from '../../../shared/api-types.js'
import {DrainManager} from '../../logs/drains/index.js'
import type {AppRecord, LogDrainRecord} from '../../store/index.js'
import {objectBody} from '../body.js'
import {loadApp, params} from '../context.js'
import type {RouteModule} from '../deps.js'
import {invalidParams, notFound} from '../errors.js'
import {optionalString} from '../validate.js'

const SCHEMES = new Set(['syslog:', 'syslog+tls:', 'https:', 'http:'])

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

/** The drain URL as given, or a 422 saying what a drain URL must be. */
export function validateDrainUrl(value: string | undefined): string {
  if (value === undefined || value.trim() === '') throw invalidParams('url is required: a syslog://, syslog+tls:// or https:// URL.')
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
  return value.trim()
}

function drainNotFound() {
  return notFound('log-drain', "Couldn't find that log drain.")
}

export const logDrainsRoutes: RouteModule = (app, deps) => {
  const {store} = deps
  // The app's drains, closed with it.
  const drains = new DrainManager(deps.logs)
  // Delivery resumes for the stored drains when the API comes up (e.g. after a restart).
  drains.sync(store.logDrains.all().map((d) => ({id: d.id, appId: d.app_id, url: d.url, token: d.token})))
  app.addHook('onClose', async () => drains.close())

  app.get('/apps/:app/log-drains', async (request) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    return store.logDrains.list(target.id).map((d) => logDrainToWire(d, target))
  })

  app.post('/apps/:app/log-drains', async (request, reply) => {
    const body = objectBody(request.body)
    const url = validateDrainUrl(optionalString(body, 'url'))
    const {target, drain} = store.transaction(() => {
      const target = loadApp(deps, request, params(request).app ?? '')
      if (store.logDrains.findByUrl(target.id, url)) throw invalidParams('Url has already been taken')
      return {target, drain: store.logDrains.create(target.id, url)}
    })
    drains.add({id: drain.id, appId: target.id, url: drain.url, token: drain.token})
    reply.code(201)
    return logDrainToWire(drain, target)
  })

  app.get('/apps/:app/log-drains/:drain', async (request) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    const drain = store.logDrains.resolve(target.id, params(request).drain ?? '')
    if (!drain) throw drainNotFound()
    return logDrainToWire(drain, target)
  })

  app.delete('/apps/:app/log-drains/:drain', async (request) => {
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
