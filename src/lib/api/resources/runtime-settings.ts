import type {Requester} from '../requester.js'
import type {RuntimeSettings, RuntimeSettingsUpdateBody} from '../../../shared/api-types.js'
import {pathOf} from './path.js'

export interface RuntimeSettingsResource {
  info(app: string): Promise<RuntimeSettings>
  update(app: string, body: RuntimeSettingsUpdateBody): Promise<RuntimeSettings>
}

export function runtimeSettingsResource(client: Requester): RuntimeSettingsResource {
  return {
    info: (app) => client.get<RuntimeSettings>(pathOf('apps', app, 'runtime-settings')),
    update: (app, body) => client.patch<RuntimeSettings>(pathOf('apps', app, 'runtime-settings'), body),
  }
}
