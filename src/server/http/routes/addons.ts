import {loadApp, params} from '../context.js'
import type {RouteModule} from '../deps.js'

// tug has no add-ons; `heroku apps:info` asks for them without a catch, so the list exists, empty.
export const addonsRoutes: RouteModule = (app, deps) => {
  app.get('/apps/:app/addons', async (request) => {
    loadApp(deps, request, params(request).app ?? '')
    return []
  })
}
