import type {Requester} from '../requester.js'
import type {Dyno, DynoCreateBody} from '../../../shared/api-types.js'
import {pathOf} from './path.js'

export interface DynosResource {
  list(app: string): Promise<Dyno[]>
  info(app: string, dyno: string): Promise<Dyno>
  create(app: string, body: DynoCreateBody): Promise<Dyno>
  restartAll(app: string): Promise<void>
  restart(app: string, dyno: string): Promise<void>
  restartType(app: string, type: string): Promise<void>
  stop(app: string, dyno: string): Promise<void>
  stopType(app: string, type: string): Promise<void>
}

export function dynosResource(client: Requester): DynosResource {
  // Restart and stop answer 202 with `{}` (or nothing): the body carries no information.
  const done = async (pending: Promise<unknown>): Promise<void> => {
    await pending
  }
  return {
    list: (app) => client.list<Dyno>(pathOf('apps', app, 'dynos')),
    info: (app, dyno) => client.get<Dyno>(pathOf('apps', app, 'dynos', dyno)),
    create: (app, body) => client.post<Dyno>(pathOf('apps', app, 'dynos'), body),
    restartAll: (app) => done(client.delete(pathOf('apps', app, 'dynos'))),
    restart: (app, dyno) => done(client.delete(pathOf('apps', app, 'dynos', dyno))),
    // Heroku spells this one `formations`, plural, unlike the formation resource itself.
    restartType: (app, type) => done(client.delete(pathOf('apps', app, 'formations', type))),
    stop: (app, dyno) => done(client.post(pathOf('apps', app, 'dynos', dyno, 'actions', 'stop'))),
    stopType: (app, type) => done(client.post(pathOf('apps', app, 'formations', type, 'actions', 'stop'))),
  }
}
