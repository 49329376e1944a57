import type {Requester} from '../requester.js'
import type {OAuthAuthorization, OAuthAuthorizationCreateBody} from '../../../shared/api-types.js'
import {pathOf} from './path.js'

export interface Credentials {
  email: string
  password: string
}

export interface AuthorizationsResource {
  list(): Promise<OAuthAuthorization[]>
  /** With credentials, Heroku's password login (Basic email:password) instead of the client's token. */
  create(body: OAuthAuthorizationCreateBody, credentials?: Credentials): Promise<OAuthAuthorization>
  info(id: string): Promise<OAuthAuthorization>
  revoke(id: string): Promise<OAuthAuthorization>
}

export function basicAuthorization({email, password}: Credentials): string {
  return `Basic ${Buffer.from(`${email}:${password}`, 'utf8').toString('base64')}`
}

export function authorizationsResource(client: Requester): AuthorizationsResource {
  return {
    list: () => client.list<OAuthAuthorization>('/oauth/authorizations'),
    create: (body, credentials) =>
      client.post<OAuthAuthorization>('/oauth/authorizations', body, credentials ? {headers: {Authorization: basicAuthorization(credentials)}} : undefined),
    info: (id) => client.get<OAuthAuthorization>(pathOf('oauth', 'authorizations', id)),
    revoke: (id) => client.delete<OAuthAuthorization>(pathOf('oauth', 'authorizations', id)),
  }
}
