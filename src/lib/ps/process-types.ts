// A process type the app does not have (`ps:scale wbe=2`, `ps:restart nosuch`): the API answers
// 404 with no hint of what exists, so the CLI fetches the formation and names the nearest type
// and the whole list. Done on the client so that it also helps against Heroku's API.
import type {ApiClient} from '../api/client.js'
import {podDynoType} from '../../shared/dyno-names.js'
import {processTypeSuggestion} from '../../shared/suggest.js'
import {ApiError, RuntimeError} from '../errors.js'
import {isOneOff} from './format.js'

type FormationApi = Pick<ApiClient, 'formation'>

/**
 * Rethrows `error`, replaced by a message that lists the app's process types when it is a 404 and
 * one of `types` is not among them. Any other error (the app itself is missing, a dyno number that
 * does not exist, a network failure) is rethrown as it was.
 */
export async function explainUnknownType(api: FormationApi, app: string, types: readonly string[], error: unknown): Promise<never> {
  if (!(error instanceof ApiError) || error.status !== 404) throw error
  let known: string[]
  try {
    known = (await api.formation.list(app)).map((f) => f.type)
  } catch {
    throw error
  }
  const missing = types.find((type) => !known.includes(type))
  if (missing === undefined) throw error
  throw new RuntimeError(`No such process type ${missing} on ${app}.${processTypeSuggestion(missing, known)}`, {
    cause: error,
    ...(known.length === 0 ? {hint: 'Deploy code with a Procfile with `tug deploy` to add process types.'} : {}),
  })
}

/** Whether a `ps:restart`/`ps:stop` argument names one dyno (`web.1`, or a pod's name on Kubernetes) rather than a type. */
export function namesOneDyno(target: string): boolean {
  return target.includes('.') || podDynoType(target) !== undefined
}

/** The process type a `ps:restart`/`ps:stop` argument names: `web` for `web`, `web.1` and `web-848cd4f64d-pvpr2`; none for a one-off's `run.4`. */
export function typesNamedBy(target: string): string[] {
  const pod = podDynoType(target)
  if (pod !== undefined) return [pod]
  const dot = target.lastIndexOf('.')
  const type = dot === -1 ? target : target.slice(0, dot)
  return isOneOff({type}) ? [] : [type]
}
