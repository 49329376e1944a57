import type {ApiClient} from '../client.js'
import type {Account} from '../../../shared/api-types.js'

export interface AccountResource {
  get(): Promise<Account>
}

export function accountResource(client: ApiClient): AccountResource {
  return {
    get: () => client.get<Account>('/account'),
  }
}
