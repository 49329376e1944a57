import type {Requester} from '../requester.js'
import type {Build, BuildCreateBody} from '../../../shared/api-types.js'
import {pathOf} from './path.js'

export interface BuildsResource {
  create(app: string, body: BuildCreateBody): Promise<Build>
  info(app: string, id: string): Promise<Build>
}

export function buildsResource(client: Requester): BuildsResource {
  return {
    create: (app, body) => client.post<Build>(pathOf('apps', app, 'builds'), body),
    info: (app, id) => client.get<Build>(pathOf('apps', app, 'builds', id)),
  }
}
