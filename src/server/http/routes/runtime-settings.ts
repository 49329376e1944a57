// Per-app settings of the dyno manager that are not config vars (the dynos never see them, and
// changing one makes no release): tug's own extension of the Platform API.
//
//   GET   /apps/{app}/runtime-settings   200 {stop_grace_seconds: number | null, rolling_restart: boolean,
//                                        default_stop_grace_seconds: number}
//   PATCH /apps/{app}/runtime-settings   200 the same; body {stop_grace_seconds?: 1..300 | null,
//                                        rolling_restart?: boolean | null}
//
// stop_grace_seconds: how long a dyno has between SIGTERM and SIGKILL; null = the control plane's
// default (30 s, or TUG_STOP_GRACE_MS in its environment), which default_stop_grace_seconds gives.
// rolling_restart: with two or more web dynos, a restart of them goes one at a time so that some
// dyno always serves; null in a PATCH returns it to the default, on. GET says what is in effect.
// A PATCH with any invalid field changes nothing.
import {DEFAULT_STOP_GRACE_MS} from '../../runtime/manager.js'
import {ROLLING_RESTART_DEFAULT, type RuntimeSettings} from '../../store/runtime-settings.js'
import {objectBody} from '../body.js'
import {loadApp, params} from '../context.js'
import type {RouteModule} from '../deps.js'
import {invalidParams} from '../errors.js'

export const MAX_STOP_GRACE_SECONDS = 300

export interface RuntimeSettingsWire {
  stop_grace_seconds: number | null
  rolling_restart: boolean
  /** What null means on this control plane (read only). */
  default_stop_grace_seconds: number
}

/** The changes a PATCH body asks for; throws 422 before anything is stored. */
function parseChanges(body: Record<string, unknown>): Partial<RuntimeSettings> {
  const changes: Partial<RuntimeSettings> = {}
  if ('stop_grace_seconds' in body) {
    const value = body.stop_grace_seconds
    if (value === null) changes.stop_grace_ms = null
    else if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_STOP_GRACE_SECONDS) changes.stop_grace_ms = value * 1000
    else throw invalidParams(`stop_grace_seconds must be a whole number from 1 to ${MAX_STOP_GRACE_SECONDS}, or null for the default.`)
  }
  if ('rolling_restart' in body) {
    const value = body.rolling_restart
    if (value !== null && typeof value !== 'boolean') throw invalidParams('rolling_restart must be true, false, or null for the default (true).')
    changes.rolling_restart = value
  }
  return changes
}

export const runtimeSettingsRoutes: RouteModule = (app, deps) => {
  const {store, runtime} = deps
  const wire = (settings: RuntimeSettings): RuntimeSettingsWire => ({
    stop_grace_seconds: settings.stop_grace_ms === null ? null : settings.stop_grace_ms / 1000,
    rolling_restart: settings.rolling_restart ?? ROLLING_RESTART_DEFAULT,
    default_stop_grace_seconds: (runtime.defaultStopGraceMs ?? DEFAULT_STOP_GRACE_MS) / 1000,
  })

  app.get('/apps/:app/runtime-settings', {config: {access: 'read'}}, async (request) => wire(store.runtimeSettings.get(loadApp(deps, request, params(request).app ?? '').id)))

  app.patch('/apps/:app/runtime-settings', {config: {access: 'write'}}, async (request) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    const changes = parseChanges(objectBody(request.body))
    return wire(Object.keys(changes).length === 0 ? store.runtimeSettings.get(target.id) : store.runtimeSettings.set(target.id, changes))
  })
}
