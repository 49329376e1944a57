import type {Requester} from '../requester.js'
import type {ConfigVars, ConfigVarsUpdate} from '../../../shared/api-types.js'
import {pathOf} from './path.js'

export interface ConfigVarsResource {
  get(app: string): Promise<ConfigVars>
  /** A string sets a key, `null` unsets it; the answer is the complete resulting map. */
  update(app: string, vars: ConfigVarsUpdate): Promise<ConfigVars>
  forRelease(app: string, release: string | number): Promise<ConfigVars>
}

export function configVarsResource(client: Requester): ConfigVarsResource {
  return {
    get: (app) => client.get<ConfigVars>(pathOf('apps', app, 'config-vars')),
    update: (app, vars) => client.patch<ConfigVars>(pathOf('apps', app, 'config-vars'), vars),
    forRelease: (app, release) => client.get<ConfigVars>(pathOf('apps', app, 'releases', release, 'config-vars')),
  }
}
