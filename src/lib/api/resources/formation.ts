import type {Requester} from '../requester.js'
import type {Formation, FormationBatchUpdateBody, FormationUpdate} from '../../../shared/api-types.js'
import {pathOf} from './path.js'

export interface FormationResource {
  list(app: string): Promise<Formation[]>
  info(app: string, type: string): Promise<Formation>
  update(app: string, type: string, body: Omit<FormationUpdate, 'type'>): Promise<Formation>
  batchUpdate(app: string, updates: FormationUpdate[]): Promise<Formation[]>
}

export function formationResource(client: Requester): FormationResource {
  return {
    list: (app) => client.list<Formation>(pathOf('apps', app, 'formation')),
    info: (app, type) => client.get<Formation>(pathOf('apps', app, 'formation', type)),
    update: (app, type, body) => client.patch<Formation>(pathOf('apps', app, 'formation', type), body),
    batchUpdate: (app, updates) => {
      const body: FormationBatchUpdateBody = {updates}
      return client.patch<Formation[]>(pathOf('apps', app, 'formation'), body)
    },
  }
}
