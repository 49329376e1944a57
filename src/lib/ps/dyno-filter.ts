// `tug logs -d nosuch.1` found no line: the server filters by prefix and answers an empty stream
// for a dyno or type the app never had, so the CLI says why nothing came (on stderr, exit 0: a
// finished one-off leaves the list but may still have had lines).
import type {ApiClient} from '../api/client.js'
import {processTypeSuggestion} from '../../shared/suggest.js'
import {isOneOff} from './format.js'
import {typesNamedBy} from './process-types.js'

type DynoFilterApi = Pick<ApiClient, 'dynos' | 'formation'>

/** A notice when `filter` (a dyno name or a process type) names nothing the app has now; undefined otherwise. */
export async function unknownDynoNotice(api: DynoFilterApi, app: string, filter: string): Promise<string | undefined> {
  const [dynos, formation] = await Promise.all([api.dynos.list(app), api.formation.list(app)])
  const types = formation.map((f) => f.type)
  if (dynos.some((d) => d.name === filter || d.type === filter) || types.includes(filter) || isOneOff({type: filter})) return undefined
  const [type] = typesNamedBy(filter)
  if (type === undefined) return `No lines: ${app} has no dyno ${filter} now.`
  if (types.includes(type)) {
    const same = dynos.filter((d) => d.type === type).map((d) => d.name)
    return `No lines: ${app} has no dyno ${filter}; its ${type} dynos are ${same.length === 0 ? 'none (scaled to 0)' : same.join(', ')}.`
  }
  return `No lines: ${app} has no dyno or process type ${filter}.${processTypeSuggestion(type, types)}`
}
