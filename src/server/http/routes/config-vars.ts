import {currentConfig, planConfigChange} from '../../domain/config-change.js'
import {announceRelease} from '../../logs/platform-events.js'
import {createRelease} from '../../domain/releases.js'
import {requireAccount} from '../auth.js'
import {loadApp, params} from '../context.js'
import type {RouteModule} from '../deps.js'
import {releaseNotFound} from '../errors.js'

export const configVarsRoutes: RouteModule = (app, deps) => {
  const {store} = deps

  app.get('/apps/:app/config-vars', {config: {access: 'read'}}, async (request) => currentConfig(store, loadApp(deps, request, params(request).app ?? '')))

  app.patch('/apps/:app/config-vars', {config: {access: 'write'}}, async (request) => {
    const account = requireAccount(request)
    const {appId, vars, released} = store.transaction(() => {
      const target = loadApp(deps, request, params(request).app ?? '')
      const change = planConfigChange(currentConfig(store, target), request.body ?? {})
      if (change.description === undefined) return {appId: target.id, vars: change.vars, released: undefined}
      const release = createRelease(store, {appId: target.id, description: change.description, config: change.vars, user: account})
      return {appId: target.id, vars: change.vars, released: release}
    })
    if (released) announceRelease(deps.logs, appId, released, account.email)
    if (released) await deps.runtime.releaseChanged(appId)
    return vars
  })

  app.get('/apps/:app/releases/:release/config-vars', {config: {access: 'read'}}, async (request) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    const release = store.releases.resolve(target.id, params(request).release ?? '')
    if (!release) throw releaseNotFound()
    return store.config.get(target.id, release.config_id) ?? {}
  })
}
