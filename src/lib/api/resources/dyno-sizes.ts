import type {Requester} from '../requester.js'
import type {DynoSize} from '../../../shared/api-types.js'

export interface DynoSizesResource {
  list(): Promise<DynoSize[]>
}

export function dynoSizesResource(client: Requester): DynoSizesResource {
  return {
    list: () => client.list<DynoSize>('/dyno-sizes'),
  }
}
