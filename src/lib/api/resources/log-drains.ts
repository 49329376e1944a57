import type {Requester} from '../requester.js'
import type {LogDrain} from '../../../shared/api-types.js'
import {pathOf} from './path.js'

export interface LogDrainsResource {
  list(app: string): Promise<LogDrain[]>
  create(app: string, url: string): Promise<LogDrain>
  /** By id, token (`d.<uuid>`) or URL (sent URL-encoded, as Heroku's CLI does). */
  info(app: string, drain: string): Promise<LogDrain>
  destroy(app: string, drain: string): Promise<LogDrain>
}

export function logDrainsResource(client: Requester): LogDrainsResource {
  return {
    list: (app) => client.list<LogDrain>(pathOf('apps', app, 'log-drains')),
    create: (app, url) => client.post<LogDrain>(pathOf('apps', app, 'log-drains'), {url}),
    info: (app, drain) => client.get<LogDrain>(pathOf('apps', app, 'log-drains', drain)),
    destroy: (app, drain) => client.delete<LogDrain>(pathOf('apps', app, 'log-drains', drain)),
  }
}
