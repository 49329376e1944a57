import {loadApp, params} from '../context.js'
import type {RouteModule} from '../deps.js'
import {notFound} from '../errors.js'

const featureNotFound = () => notFound('feature', "Couldn't find that feature.")

// tug has no labs features: `heroku labs` and `heroku features` list them and must find none, not fail.
export const featuresRoutes: RouteModule = (app, deps) => {
  app.get('/account/features', {config: {access: 'read'}}, async () => [])
  app.get('/account/features/:feature', {config: {access: 'read'}}, async () => {
    throw featureNotFound()
  })

  app.get('/apps/:app/features', {config: {access: 'read'}}, async (request) => {
    loadApp(deps, request, params(request).app ?? '')
    return []
  })
  app.get('/apps/:app/features/:feature', {config: {access: 'read'}}, async (request) => {
    loadApp(deps, request, params(request).app ?? '')
    throw featureNotFound()
  })
}
