import type {Requester} from '../requester.js'
import type {App, AppCreateBody, AppUpdateBody} from '../../../shared/api-types.js'
import {pathOf} from './path.js'

export interface AppsResource {
  list(): Promise<App[]>
  create(body: AppCreateBody): Promise<App>
  info(app: string): Promise<App>
  update(app: string, body: AppUpdateBody): Promise<App>
  destroy(app: string): Promise<App>
}

export function appsResource(client: Requester): AppsResource {
  return {
    list: () => client.list<App>('/apps'),
    create: (body) => client.post<App>('/apps', body),
    info: (app) => client.get<App>(pathOf('apps', app)),
    update: (app, body) => client.patch<App>(pathOf('apps', app), body),
    destroy: (app) => client.delete<App>(pathOf('apps', app)),
  }
}
