// `GET /healthz`: liveness for load balancers and scripts. Public (no token, no Accept version)
// and cheap; it answers only once the database is usable, since it runs a trivial query.
import type {RouteModule} from '../deps.js'

export const healthRoutes: RouteModule = (app, deps) => {
  app.get('/healthz', {config: {public: true}}, async () => {
    deps.store.db.prepare('SELECT 1').get()
    return {status: 'ok'}
  })
}
