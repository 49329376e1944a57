import type {Requester} from '../requester.js'
import type {Collaborator} from '../../../shared/api-types.js'
import {pathOf} from './path.js'

export interface CollaboratorsResource {
  list(app: string): Promise<Collaborator[]>
  add(app: string, email: string): Promise<Collaborator>
  remove(app: string, email: string): Promise<Collaborator>
}

export function collaboratorsResource(client: Requester): CollaboratorsResource {
  return {
    list: (app) => client.list<Collaborator>(pathOf('apps', app, 'collaborators')),
    add: (app, email) => client.post<Collaborator>(pathOf('apps', app, 'collaborators'), {user: email}),
    remove: (app, email) => client.delete<Collaborator>(pathOf('apps', app, 'collaborators', email)),
  }
}
