import type {ApiClient} from '../client.js'
import type {Account} from '../types.js'

export interface AccountResource {
  get(): Promise<Account>
}

export function accountResource(client: ApiClient): AccountResource {
  return {
    get: () => client.get<Account>('/account'),
  }
}
