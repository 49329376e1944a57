import type {RateLimit} from '../../../lib/api/types.js'
import {requireAccount} from '../auth.js'
import {objectBody} from '../body.js'
import {params} from '../context.js'
import type {RouteModule} from '../deps.js'
import {notFound} from '../errors.js'
import {RATE_LIMIT_REMAINING} from '../headers.js'
import {optionalBoolean} from '../validate.js'
import {accountToWire} from '../wire.js'
import {invalidParams} from '../errors.js'

export const accountRoutes: RouteModule = (app, deps) => {
  app.get('/account', async (request) => accountToWire(requireAccount(request)))

  // `{account}` is `~`, the email or the id; only the caller's own account is visible.
  app.get('/users/:account', async (request) => {
    const account = requireAccount(request)
    const wanted = params(request).account ?? ''
    if (wanted !== '~' && wanted !== account.id && wanted.toLowerCase() !== account.email.toLowerCase()) {
      throw notFound('user', "Couldn't find that user.")
    }
    return accountToWire(account)
  })

  app.patch('/account', async (request) => {
    const account = requireAccount(request)
    const body = objectBody(request.body)
    const name = body.name
    if (name !== undefined && name !== null && typeof name !== 'string') throw invalidParams('name must be a string or null.')
    const changes = {
      ...(name !== undefined ? {name: name as string | null} : {}),
      ...(optionalBoolean(body, 'allow_tracking') !== undefined ? {allow_tracking: body.allow_tracking as boolean} : {}),
      ...(optionalBoolean(body, 'beta') !== undefined ? {beta: body.beta as boolean} : {}),
    }
    const updated = deps.store.transaction(() => deps.store.accounts.update(account.id, changes))
    return accountToWire(updated ?? account)
  })

  app.get('/account/rate-limits', async (): Promise<RateLimit> => ({remaining: RATE_LIMIT_REMAINING}))
}
