// GET /audit (issue 17): the admin sees every event; others the events of apps they may read
// and their own. Newest last, the newest `limit`.
import {toTimestamp} from '../../store/index.js'
import {viewerOf} from '../access.js'
import {requireActor} from '../auth.js'
import {loadApp} from '../context.js'
import type {RouteModule} from '../deps.js'
import {invalidParams} from '../errors.js'
import {auditToWire} from './users-wire.js'

const DEFAULT_LIMIT = 100
const MAX_LIMIT = 1000

export const auditRoutes: RouteModule = (app, deps) => {
  const {store} = deps
  app.get('/audit', {config: {access: 'read'}}, async (request) => {
    const query = request.query as Record<string, string | undefined>
    const actor = requireActor(request)
    const target = query.app === undefined || query.app === '' ? undefined : loadApp(deps, request, query.app, 'read')
    let since: string | undefined
    if (query.since !== undefined && query.since !== '') {
      const parsed = Date.parse(query.since)
      if (Number.isNaN(parsed)) throw invalidParams(`since must be a time such as 2026-12-01T10:00:00Z, got ${query.since}.`)
      since = toTimestamp(new Date(parsed))
    }
    let limit = DEFAULT_LIMIT
    if (query.limit !== undefined && query.limit !== '') {
      limit = Number(query.limit)
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw invalidParams(`limit must be a whole number from 1 to ${MAX_LIMIT}.`)
    }
    const all = actor.admin && !actor.token?.appId
    // A token for one app sees that app's events only, not the rest of its user's.
    const actorId = actor.token?.appId ? '' : actor.accountId
    const events = store.audit.list({
      all,
      ...(target ? {appId: target.id} : {}),
      ...(all ? {} : {visibleApps: store.apps.listVisible(viewerOf(request)).map((a) => a.id), actorId}),
      ...(since === undefined ? {} : {since}),
      limit,
    })
    return events.map(auditToWire)
  })
}
