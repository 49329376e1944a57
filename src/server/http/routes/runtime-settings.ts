// Per-app settings of the dyno manager that are not config vars (the dynos never see them): tug's
// own extension of the Platform API.
//
//   GET   /apps/{app}/runtime-settings   200 {stop_grace_seconds: number | null}
//   PATCH /apps/{app}/runtime-settings   200 the same; body {stop_grace_seconds: 1..300 | null}
//
// stop_grace_seconds: how long a dyno has between SIGTERM and SIGKILL; null = the control plane's
// default (30 s, or TUG_STOP_GRACE_MS in its environment).
import {objectBody} from '../body.js'
import {loadApp, params} from '../context.js'
import type {RouteModule} from '../deps.js'
import {invalidParams} from '../errors.js'

export const MAX_STOP_GRACE_SECONDS = 300

export const runtimeSettingsRoutes: RouteModule = (app, deps) => {
  const {store} = deps
  const wire = (appId: string): {stop_grace_seconds: number | null} => {
    const ms = store.runtimeSettings.get(appId).stop_grace_ms
    return {stop_grace_seconds: ms === null ? null : ms / 1000}
  }

  app.get('/apps/:app/runtime-settings', async (request) => wire(loadApp(deps, request, params(request).app ?? '').id))

  app.patch('/apps/:app/runtime-settings', async (request) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    const body = objectBody(request.body)
    if ('stop_grace_seconds' in body) {
      const value = body.stop_grace_seconds
      const valid = value === null || (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_STOP_GRACE_SECONDS)
      if (!valid) throw invalidParams(`stop_grace_seconds must be a whole number from 1 to ${MAX_STOP_GRACE_SECONDS}, or null for the default.`)
      store.runtimeSettings.set(target.id, {stop_grace_ms: value === null ? null : (value as number) * 1000})
    }
    return wire(target.id)
  })
}
