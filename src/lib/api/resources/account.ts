import type {Requester} from '../requester.js'
import type {Account} from '../../../shared/api-types.js'

export interface AccountResource {
  get(): Promise<Account>
}

export function accountResource(client: Requester): AccountResource {
  return {
    get: () => client.get<Account>('/account'),
  }
}
