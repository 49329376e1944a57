import type {FastifyRequest} from 'fastify'
import {planFormationUpdates} from '../../domain/formation-update.js'
import {announceScale} from '../../logs/platform-events.js'
import type {AppRecord, FormationRecord} from '../../store/index.js'
import {objectBody} from '../body.js'
import {loadApp, params} from '../context.js'
import type {AppDeps, RouteModule} from '../deps.js'
import {invalidParams, processTypeNotFound} from '../errors.js'
import {sendList} from '../pagination.js'
import {formationToWire} from '../wire.js'

const FORMATION_LIST = {
  fields: {id: (f: FormationRecord) => f.id, type: (f: FormationRecord) => f.type},
}

/** Applies the updates in one transaction, then lets the runtime converge; the updated entries. */
async function scale(deps: AppDeps, request: FastifyRequest, updates: readonly unknown[]): Promise<{app: AppRecord; entries: FormationRecord[]}> {
  const {store} = deps
  const result = store.transaction(() => {
    const app = loadApp(deps, request, params(request).app ?? '')
    const plan = planFormationUpdates(store.formation.list(app.id), updates)
    const changed = plan.some((p) => p.quantity !== p.entry.quantity || p.size !== p.entry.size)
    const entries = plan.map((p) =>
      p.quantity === p.entry.quantity && p.size === p.entry.size
        ? p.entry
        : store.formation.update(app.id, p.entry.id, {quantity: p.quantity, size: p.size}),
    )
    return {app, entries, formation: changed ? store.formation.list(app.id) : undefined}
  })
  if (result.formation) announceScale(deps.logs, result.app.id, result.formation, request.account?.email ?? 'unknown')
  await deps.runtime.formationChanged(result.app.id)
  return result
}

export const formationRoutes: RouteModule = (app, deps) => {
  const {store} = deps

  app.get('/apps/:app/formation', {config: {access: 'read'}}, async (request, reply) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    return sendList(request, reply, store.formation.list(target.id), FORMATION_LIST, (f) => formationToWire(target, f))
  })

  app.get('/apps/:app/formation/:formation', {config: {access: 'read'}}, async (request) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    const identity = params(request).formation ?? ''
    const entry = store.formation.resolve(target.id, identity)
    if (!entry) throw processTypeNotFound(identity)
    return formationToWire(target, entry)
  })

  app.patch('/apps/:app/formation', {config: {access: 'write'}}, async (request) => {
    const body = objectBody(request.body)
    if (!Array.isArray(body.updates)) throw invalidParams('updates must be an array of formation updates.')
    const {app: target, entries} = await scale(deps, request, body.updates)
    return entries.map((f) => formationToWire(target, f))
  })

  app.patch('/apps/:app/formation/:formation', {config: {access: 'write'}}, async (request) => {
    const body = objectBody(request.body)
    const target = loadApp(deps, request, params(request).app ?? '')
    const identity = params(request).formation ?? ''
    const entry = store.formation.resolve(target.id, identity)
    if (!entry) throw processTypeNotFound(identity)
    const {app: after, entries} = await scale(deps, request, [{...body, type: entry.type}])
    return formationToWire(after, entries[0] as FormationRecord)
  })
}
