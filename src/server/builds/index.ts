// One BuildService per built app (per `AppDeps`), shared by the sources and builds routes: live
// build output lives in it, so both routes must see the same instance.
import type {AppDeps} from '../http/deps.js'
import {BuildService, type BuildServiceOptions} from './service.js'

export {BuildService, type BuildServiceOptions} from './service.js'

const services = new WeakMap<AppDeps, BuildService>()
const pendingOptions = new WeakMap<AppDeps, BuildServiceOptions>()

/** Sets limits for the service of `deps`; call before `buildApp(deps)` (tests use small limits). */
export function configureBuilds(deps: AppDeps, options: BuildServiceOptions): void {
  pendingOptions.set(deps, options)
}

export function buildServiceFor(deps: AppDeps): BuildService {
  let service = services.get(deps)
  if (!service) {
    service = new BuildService(
      {
        store: deps.store,
        runtime: deps.runtime,
        dataDir: deps.dataDir,
        publicUrl: deps.publicUrl,
        logs: deps.logs,
        log: (message, error) => console.error(`tug server: ${message}`, error ?? ''),
      },
      pendingOptions.get(deps) ?? {},
    )
    services.set(deps, service)
  }
  return service
}
