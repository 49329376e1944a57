// Which of an app's add-ons a command means, and the URL the app has for it: pg:psql and
// redis:cli connect with the URL from the app's config vars (<NAME>_URL of its attachment), as a
// dyno would.
import type {Requester} from '../api/requester.js'
import {configVarsResource} from '../api/resources/config-vars.js'
import {RuntimeError, UsageError} from '../errors.js'
import type {AddOn} from '../../shared/api-types.js'
import {addonsApi} from './api.js'

export interface Attached {
  /** The attachment's name on the app: DATABASE; its config var is DATABASE_URL. */
  name: string
  addon: AddOn
}

const SERVICES: Record<string, {human: string; attachment: string}> = {
  postgresql: {human: 'PostgreSQL', attachment: 'DATABASE'},
  redis: {human: 'Redis', attachment: 'REDIS'},
}

/** The app's attachments of add-ons of `service`, in the order the API lists them. */
export async function attachedOf(client: Requester, app: string, service: string): Promise<Attached[]> {
  const api = addonsApi(client)
  const [addons, attachments] = await Promise.all([api.list(app), api.attachments(app)])
  const wanted = new Map(addons.filter((a) => a.addon_service.name === service).map((a) => [a.id, a]))
  return attachments.flatMap((attachment) => {
    const addon = wanted.get(attachment.addon.id)
    return addon ? [{name: attachment.name, addon}] : []
  })
}

/**
 * The attachment `identity` names (its name, with or without _URL, or its add-on's name or id);
 * without one, the service's default (DATABASE, REDIS), or the only one there is.
 */
export async function resolveAttached(client: Requester, app: string, service: string, identity: string | undefined): Promise<Attached> {
  const spec = SERVICES[service] ?? {human: service, attachment: service.toUpperCase()}
  const all = await attachedOf(client, app, service)
  if (all.length === 0) {
    throw new RuntimeError(`${app} has no ${spec.human} add-on.`, {hint: `Create one with tug addons:create ${service} -a ${app}`})
  }
  const wanted = identity?.trim().replace(/_URL$/i, '')
  const found =
    wanted === undefined || wanted === ''
      ? all.find((a) => a.name === spec.attachment) ?? (all.length === 1 ? all[0] : undefined)
      : all.find((a) => a.name === wanted.toUpperCase() || a.addon.name === wanted || a.addon.id === wanted.toLowerCase())
  if (!found) {
    const named = wanted === undefined || wanted === '' ? `attached as ${spec.attachment}` : `called ${wanted}`
    throw new UsageError(`${app} has no ${spec.human} add-on ${named}.`, {hint: `Its ${spec.human} add-ons: ${all.map((a) => `${a.name} (${a.addon.name})`).join(', ')}`})
  }
  return found
}

/** The URL the app has for `attached`: its <NAME>_URL config var. */
export async function attachedUrl(client: Requester, app: string, attached: Attached): Promise<string> {
  const config = await configVarsResource(client).get(app)
  const url = config[`${attached.name}_URL`]
  if (typeof url !== 'string' || url === '') {
    throw new RuntimeError(`${app} has no config var ${attached.name}_URL for ${attached.addon.name}.`, {hint: `Attach it again: tug addons:detach ${attached.name} -a ${app}, then tug addons:attach ${attached.addon.name} --as ${attached.name} -a ${app}`})
  }
  return url
}
