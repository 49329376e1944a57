import {DEFAULT_DYNO_SIZE, dynoSizeSpec, findDynoSize, AVAILABLE_SIZES_TEXT, type DynoTier} from '../../domain/catalog.js'
import {checkConfigSize, configBytes, envValueProblem} from '../../domain/config-change.js'
import {CONFIG_KEY_PATTERN, PROCESS_TYPE_PATTERN} from '../../domain/names.js'
import type {Dyno} from '../../../shared/api-types.js'
import type {OneOffSpec, RestartTarget} from '../../runtime/index.js'
import {isUuid, oneOffEnded, type AppRecord, type DynoRecord, type Store} from '../../store/index.js'
import {objectBody} from '../body.js'
import {loadApp, params} from '../context.js'
import type {RouteModule} from '../deps.js'
import {aboveLimit, dynoNotFound, invalidParams, processTypeNotFound} from '../errors.js'
import {sendList} from '../pagination.js'
import {optionalBoolean, optionalInteger, optionalString} from '../validate.js'
import {dynoToWire} from '../wire.js'
import {attachPath} from '../attach-upgrade.js'

const DYNO_LIST = {fields: {id: (d: DynoRecord) => d.id, name: (d: DynoRecord) => d.name}}

export const MAX_TIME_TO_LIVE = 86_400

const TIER_LABEL: Record<DynoTier, string> = {eco: 'Eco', basic: 'Basic', production: 'Standard', performance: 'Performance'}

/** Extra env for a one-off: `^\w+$` keys, string values a process can carry (no NUL, UTF-8, 32 KB in all); numbers (the CLI's COLUMNS) become strings. */
export function oneOffEnv(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidParams('env must be an object of string values.')
  const env: Array<[string, string]> = []
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    if (!CONFIG_KEY_PATTERN.test(key)) throw invalidParams(`Invalid env var name: ${JSON.stringify(key)}. Names match ^\\w+$.`)
    if (typeof raw === 'string') {
      const problem = envValueProblem(raw)
      if (problem) throw invalidParams(`env var ${key} ${problem}: a process's environment cannot carry it.`)
      env.push([key, raw])
    } else if (typeof raw === 'number' && Number.isFinite(raw)) env.push([key, String(raw)])
    else throw invalidParams(`env values must be strings (${key}).`)
  }
  checkConfigSize(configBytes(env), 'env')
  // fromEntries defines own properties: a `__proto__` key stays data.
  return Object.fromEntries(env)
}

/** An app with Eco or Basic dynos only runs its one-offs at that size too. */
function defaultSize(store: Store, app: AppRecord): string {
  const running = store.formation.list(app.id).filter((f) => f.quantity > 0)
  const tiers = new Set(running.map((f) => dynoSizeSpec(f.size).tier))
  if (tiers.size === 1 && (tiers.has('eco') || tiers.has('basic'))) return dynoSizeSpec((running[0] as {size: string}).size).size.name
  return DEFAULT_DYNO_SIZE
}

function releaseVersions(store: Store, app: AppRecord): Map<string, number> {
  return new Map(store.releases.list(app.id).map((r) => [r.id, r.version]))
}

export const dynosRoutes: RouteModule = (app, deps) => {
  const {store, runtime} = deps
  const appParam = (request: Parameters<typeof params>[0]): AppRecord => loadApp(deps, request, params(request).app ?? '')
  // A one-off that has exited is gone from the app's dynos, as on Heroku (its exit status stays
  // in the log); its record only keeps its name taken for a while.
  const dynos = (target: AppRecord): DynoRecord[] => store.dynos.list(target.id).filter((d) => !oneOffEnded(d))
  const dynoParam = (target: AppRecord, identity: string): DynoRecord => {
    const dyno = store.dynos.resolve(target.id, identity)
    if (!dyno || oneOffEnded(dyno)) throw dynoNotFound()
    return dyno
  }
  const typeParam = (target: AppRecord, type: string): string => {
    const known = store.formation.getByType(target.id, type) || dynos(target).some((d) => d.type === type)
    if (!known) throw processTypeNotFound(type)
    return type
  }
  // Heroku's CLI (`ps:restart web`, `ps:stop worker`) puts a process type where a dyno goes, and
  // Heroku's API acts on the whole type there: a name with a dot (or an id) is a dyno, else a type.
  const dynoOrType = (target: AppRecord, identity: string): Exclude<RestartTarget, {kind: 'all'}> =>
    // On Kubernetes dynos are named by their pods (`web-848cd4f64d-pvpr2`, no dot): a name the app has is a dyno.
    isUuid(identity) || identity.includes('.') || store.dynos.findByName(target.id, identity) !== undefined
      ? {kind: 'dyno', dynoId: dynoParam(target, identity).id}
      : {kind: 'type', type: typeParam(target, identity)}

  // Extra fields beyond the schema (allowed): memory and restarts from the runtime, and for a
  // one-off its exit_status and ended_at (null while it runs).
  const toWire = (target: AppRecord, dyno: DynoRecord, versions?: Map<string, number>): Dyno => {
    const wire = dynoToWire(store, target, dyno, versions)
    const stats = runtime.stats?.(target.id, dyno.id)
    const ended = dyno.one_off ? {exit_status: dyno.exit_status, ended_at: dyno.ended_at} : {}
    // tug's own attach path (issue 6): the session of attach_url, on the API's port and scheme.
    const upgrade = dyno.attach_url && dyno.ended_at === null ? {attach_upgrade_url: `${deps.publicUrl()}${attachPath(target.name, dyno.name)}`} : {}
    return {...wire, ...stats, ...ended, ...upgrade}
  }

  app.get('/apps/:app/dynos', {config: {access: 'read'}}, async (request, reply) => {
    const target = appParam(request)
    const versions = releaseVersions(store, target)
    return sendList(request, reply, dynos(target), DYNO_LIST, (d) => toWire(target, d, versions))
  })

  app.get('/apps/:app/dynos/:dyno', {config: {access: 'read'}}, async (request) => {
    const target = appParam(request)
    return toWire(target, dynoParam(target, params(request).dyno ?? ''))
  })

  app.post('/apps/:app/dynos', {config: {access: 'write'}}, async (request, reply) => {
    const target = appParam(request)
    const body = objectBody(request.body)
    if (typeof body.command !== 'string' || body.command.trim() === '') {
      throw invalidParams('command is required: the command to run.')
    }
    // A NUL cannot go into argv: the one-off would be created, then fail to spawn.
    if (body.command.includes('\u0000')) throw invalidParams('command contains a NUL byte: a process cannot carry it.')
    const attach = optionalBoolean(body, 'attach') ?? false
    const forceNoTty = optionalBoolean(body, 'force_no_tty') ?? false
    const env = oneOffEnv(body.env)
    const type = optionalString(body, 'type') ?? 'run'
    if (!PROCESS_TYPE_PATTERN.test(type)) {
      throw invalidParams(`Invalid process type: ${type}. Process types are 1 to 128 letters, digits, underscores and dashes.`)
    }
    const sizeName = optionalString(body, 'size')
    let size = defaultSize(store, target)
    if (sizeName !== undefined) {
      const found = findDynoSize(sizeName)
      if (!found) throw invalidParams(`No such size as ${sizeName}. Available dyno sizes are ${AVAILABLE_SIZES_TEXT}.`)
      size = found.size.name
    }
    const ttl = optionalInteger(body, 'time_to_live', 1, MAX_TIME_TO_LIVE) ?? null

    const spec = dynoSizeSpec(size)
    const running = dynos(target).filter((d) => d.one_off && dynoSizeSpec(d.size).tier === spec.tier).length
    if (running >= spec.oneOffLimit) {
      throw aboveLimit(`Cannot run more than ${spec.oneOffLimit} ${TIER_LABEL[spec.tier]} one-off dynos at once.`, spec.oneOffLimit)
    }
    const oneOff: OneOffSpec = {
      command: body.command,
      type,
      size,
      attach,
      forceNoTty,
      env,
      timeToLive: ttl,
      releaseId: target.current_release_id as string,
    }
    const dyno = await runtime.createOneOff(target.id, oneOff)
    reply.code(201)
    return toWire(target, dyno)
  })

  app.delete('/apps/:app/dynos', {config: {access: 'write'}}, async (request, reply) => {
    const target = appParam(request)
    await runtime.restart(target.id, {kind: 'all'})
    reply.code(202)
    return {}
  })

  app.delete('/apps/:app/dynos/:dyno', {config: {access: 'write'}}, async (request, reply) => {
    const target = appParam(request)
    await runtime.restart(target.id, dynoOrType(target, params(request).dyno ?? ''))
    reply.code(202)
    return {}
  })

  app.delete('/apps/:app/formations/:type', {config: {access: 'write'}}, async (request, reply) => {
    const target = appParam(request)
    await runtime.restart(target.id, {kind: 'type', type: typeParam(target, params(request).type ?? '')})
    reply.code(202)
    return {}
  })

  app.post('/apps/:app/dynos/:dyno/actions/stop', {config: {access: 'write'}}, async (request, reply) => {
    const target = appParam(request)
    await runtime.stop(target.id, dynoOrType(target, params(request).dyno ?? ''))
    reply.code(202)
    return {}
  })

  app.post('/apps/:app/formations/:type/actions/stop', {config: {access: 'write'}}, async (request, reply) => {
    const target = appParam(request)
    await runtime.stop(target.id, {kind: 'type', type: typeParam(target, params(request).type ?? '')})
    reply.code(202)
    return {}
  })
}
