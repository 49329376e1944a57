import type {ApiClient} from '../client.js'
import type {DynoSize} from '../../../shared/api-types.js'

export interface DynoSizesResource {
  list(): Promise<DynoSize[]>
}

export function dynoSizesResource(client: ApiClient): DynoSizesResource {
  return {
    list: () => client.list<DynoSize>('/dyno-sizes'),
  }
}
