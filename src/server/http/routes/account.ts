import type {RateLimit} from '../../../shared/api-types.js'
import {requireAccount} from '../auth.js'
import {objectBody} from '../body.js'
import {params} from '../context.js'
import type {RouteModule} from '../deps.js'
import {invalidParams, notFound} from '../errors.js'
import {RATE_LIMIT_REMAINING} from '../headers.js'
import {optionalBoolean} from '../validate.js'
import {accountToWire} from '../wire.js'

export const accountRoutes: RouteModule = (app, deps) => {
  app.get('/account', {config: {access: 'read'}}, async (request) => accountToWire(requireAccount(request)))

  // `{account}` is `~`, the email or the id; only the caller's own account is visible.
  app.get('/users/:account', {config: {access: 'read'}}, async (request) => {
    const account = requireAccount(request)
    const wanted = params(request).account ?? ''
    if (wanted !== '~' && wanted !== account.id && wanted.toLowerCase() !== account.email.toLowerCase()) {
      throw notFound('user', "Couldn't find that user.")
    }
    return accountToWire(account)
  })

  app.patch('/account', {config: {access: 'account'}}, async (request) => {
    const account = requireAccount(request)
    const body = objectBody(request.body)
    const changes: {name?: string | null; allow_tracking?: boolean; beta?: boolean} = {}
    if (body.name !== undefined) {
      if (body.name !== null && typeof body.name !== 'string') throw invalidParams('name must be a string or null.')
      changes.name = body.name
    }
    const allowTracking = optionalBoolean(body, 'allow_tracking')
    if (allowTracking !== undefined) changes.allow_tracking = allowTracking
    const beta = optionalBoolean(body, 'beta')
    if (beta !== undefined) changes.beta = beta
    const updated = deps.store.transaction(() => deps.store.accounts.update(account.id, changes))
    return accountToWire(updated ?? account)
  })

  app.get('/account/rate-limits', {config: {access: 'read'}}, async (): Promise<RateLimit> => ({remaining: RATE_LIMIT_REMAINING}))
}
