import {findStack, STACKS} from '../../domain/catalog.js'
import {params} from '../context.js'
import type {RouteModule} from '../deps.js'
import {notFound} from '../errors.js'

export const stacksRoutes: RouteModule = (app) => {
  app.get('/stacks', {config: {access: 'read'}}, async () => STACKS)
  app.get('/stacks/:stack', {config: {access: 'read'}}, async (request) => {
    const stack = findStack(params(request).stack ?? '')
    if (!stack) throw notFound('stack', "Couldn't find that stack.")
    return stack
  })
}
