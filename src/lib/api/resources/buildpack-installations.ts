import type {Requester} from '../requester.js'
import type {BuildpackInstallation} from '../../../shared/api-types.js'
import {pathOf} from './path.js'

export interface BuildpackInstallationsResource {
  list(app: string): Promise<BuildpackInstallation[]>
  /** Replaces the app's whole list; an empty one returns it to the built-in buildpacks. */
  replace(app: string, urls: readonly string[]): Promise<BuildpackInstallation[]>
}

export function buildpackInstallationsResource(client: Requester): BuildpackInstallationsResource {
  return {
    list: (app) => client.list<BuildpackInstallation>(pathOf('apps', app, 'buildpack-installations')),
    replace: (app, urls) => client.put<BuildpackInstallation[]>(pathOf('apps', app, 'buildpack-installations'), {updates: urls.map((buildpack) => ({buildpack}))}),
  }
}
