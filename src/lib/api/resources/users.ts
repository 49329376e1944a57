import type {Requester} from '../requester.js'
import type {User, UserInvitation, UserInvitationAcceptBody} from '../../../shared/api-types.js'
import {pathOf} from './path.js'

export interface UsersResource {
  list(): Promise<User[]>
  invite(email: string): Promise<UserInvitation>
  /** By id or email. */
  remove(user: string): Promise<User>
  /** Needs no token: the one-time code is the credential. */
  accept(body: UserInvitationAcceptBody): Promise<{id: string; email: string}>
}

export function usersResource(client: Requester): UsersResource {
  return {
    list: () => client.list<User>('/users'),
    invite: (email) => client.post<UserInvitation>('/users/invitations', {email}),
    remove: (user) => client.delete<User>(pathOf('users', user)),
    accept: (body) => client.post<{id: string; email: string}>('/users/invitations/accept', body),
  }
}
