import type {Requester} from '../requester.js'
import type {Schedule, ScheduleCreateBody} from '../../../shared/api-types.js'
import {pathOf} from './path.js'

/** tug's scheduled runs (an extension of the Platform API; see src/server/http/routes/schedules.ts). */
export interface SchedulesResource {
  list(app: string): Promise<Schedule[]>
  create(app: string, body: ScheduleCreateBody): Promise<Schedule>
  destroy(app: string, id: string): Promise<Schedule>
}

export function schedulesResource(client: Requester): SchedulesResource {
  return {
    list: (app) => client.get<Schedule[]>(pathOf('apps', app, 'schedules')),
    create: (app, body) => client.post<Schedule>(pathOf('apps', app, 'schedules'), body),
    destroy: (app, id) => client.delete<Schedule>(pathOf('apps', app, 'schedules', id)),
  }
}
