import {loadApp, params} from '../context.js'
import type {RouteModule} from '../deps.js'
import {notFound} from '../errors.js'

// tug has no pipelines. Heroku answers the coupling of an app that is in none with a 404, which
// `heroku apps:info` expects (it shows no Pipeline line); an unknown app is the app's own 404.
export const pipelineCouplingsRoutes: RouteModule = (app, deps) => {
  app.get('/apps/:app/pipeline-couplings', {config: {access: 'read'}}, async (request) => {
    loadApp(deps, request, params(request).app ?? '')
    throw notFound('pipeline_coupling', "Couldn't find that pipeline coupling.")
  })
}
