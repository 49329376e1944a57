import {findRegion, REGIONS} from '../../domain/catalog.js'
import {params} from '../context.js'
import type {RouteModule} from '../deps.js'
import {notFound} from '../errors.js'

export const regionsRoutes: RouteModule = (app) => {
  app.get('/regions', {config: {access: 'read'}}, async () => REGIONS)
  app.get('/regions/:region', {config: {access: 'read'}}, async (request) => {
    const region = findRegion(params(request).region ?? '')
    if (!region) throw notFound('region', "Couldn't find that region.")
    return region
  })
}
