import type {Requester} from '../requester.js'
import type {LogSession, LogSessionCreateBody} from '../../../shared/api-types.js'
import {pathOf} from './path.js'

export interface LogSessionsResource {
  create(app: string, body: LogSessionCreateBody): Promise<LogSession>
}

export function logSessionsResource(client: Requester): LogSessionsResource {
  return {
    create: (app, body) => client.post<LogSession>(pathOf('apps', app, 'log-sessions'), body),
  }
}
