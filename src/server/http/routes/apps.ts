import type {FastifyReply, FastifyRequest} from 'fastify'
import {appFiles, removeAppFiles} from '../../builds/index.js'
import {removeRepo} from '../../git/index.js'
import {findRegion, findStack, REGIONS, STACKS} from '../../domain/catalog.js'
import {APP_NAME_PATTERN, randomAppName} from '../../domain/names.js'
import {announceRelease} from '../../logs/platform-events.js'
import {createRelease} from '../../domain/releases.js'
import type {AppRecord} from '../../store/index.js'
import {viewerOf} from '../access.js'
import {requireAccount, requireActor} from '../auth.js'
import {objectBody} from '../body.js'
import {loadApp, params} from '../context.js'
import type {AppDeps, RouteModule} from '../deps.js'
import {APP_NAME_MESSAGE, HttpError, invalidParams, notFound} from '../errors.js'
import {sendList} from '../pagination.js'
import {optionalBoolean, optionalString} from '../validate.js'
import {appToWire} from '../wire.js'
import {loadTeam} from './teams.js'

const APP_LIST = {
  fields: {id: (a: AppRecord) => a.id, name: (a: AppRecord) => a.name, updated_at: (a: AppRecord) => a.updated_at},
}

function appName(value: unknown): string {
  if (typeof value !== 'string' || !APP_NAME_PATTERN.test(value)) throw invalidParams(APP_NAME_MESSAGE)
  return value
}

function regionName(value: string | undefined): string {
  if (value === undefined) return (REGIONS[0] as {name: string}).name
  const region = findRegion(value)
  if (!region) throw invalidParams(`No such region as ${value}. Available regions are ${REGIONS.map((r) => r.name).join(', ')}.`)
  return region.name
}

function stackName(value: string | undefined, field = 'stack'): string {
  if (value === undefined) return (STACKS.find((s) => s.default) ?? (STACKS[0] as {name: string})).name
  const stack = findStack(value)
  if (!stack) throw invalidParams(`No such ${field} as ${value}. Available stacks are ${STACKS.map((s) => s.name).join(', ')}.`)
  return stack.name
}

function listApps(deps: AppDeps, request: FastifyRequest, reply: FastifyReply) {
  const apps = deps.store.apps.listVisible(viewerOf(request))
  const publicUrl = deps.publicUrl()
  return sendList(request, reply, apps, APP_LIST, (a) => appToWire(deps.store, a, publicUrl, deps.webUrl))
}

/** The team a new app goes to: its admins and members may create one there, not its viewers. */
function teamForNewApp(deps: AppDeps, request: FastifyRequest, identity: string) {
  const {team, role} = loadTeam(deps, request, identity)
  if (role === 'viewer' && !requireActor(request).admin) throw new HttpError(403, 'forbidden', `You are a viewer of team ${team.name}: only its admins and members may create apps there.`)
  return team
}

export const appsRoutes: RouteModule = (app, deps) => {
  const {store} = deps

  app.get('/apps', {config: {access: 'read'}}, async (request, reply) => listApps(deps, request, reply))

  app.get('/users/:account/apps', {config: {access: 'read'}}, async (request, reply) => {
    const account = requireAccount(request)
    const wanted = params(request).account ?? ''
    if (wanted !== '~' && wanted !== account.id && wanted.toLowerCase() !== account.email.toLowerCase()) {
      throw notFound('user', "Couldn't find that user.")
    }
    return listApps(deps, request, reply)
  })

  const createApp = async (request: FastifyRequest, reply: FastifyReply) => {
    const account = requireAccount(request)
    const body = objectBody(request.body)
    const requested = body.name === undefined || body.name === null ? undefined : appName(body.name)
    const region = regionName(optionalString(body, 'region'))
    const stack = stackName(optionalString(body, 'stack'))
    const teamName = optionalString(body, 'team') ?? optionalString(body, 'organization')
    const team = teamName === undefined ? undefined : teamForNewApp(deps, request, teamName)
    const {created, release} = store.transaction(() => {
      let name = requested
      if (name !== undefined) {
        if (store.apps.findByName(name)) throw invalidParams('Name is already taken')
      } else {
        do name = randomAppName()
        while (store.apps.findByName(name))
      }
      const record = store.apps.create({name, owner_id: account.id, region, stack, team_id: team?.id ?? null})
      const release = createRelease(store, {appId: record.id, description: 'Initial release', user: account})
      return {created: store.apps.get(record.id) as AppRecord, release}
    })
    announceRelease(deps.logs, created.id, release, account.email)
    // The audit trail names the app made.
    request.accessApp = created
    reply.code(201)
    return appToWire(store, created, deps.publicUrl(), deps.webUrl)
  }
  app.post('/apps', {config: {access: 'write'}}, createApp)
  // Heroku's CLI creates a team's app here.
  app.post('/teams/apps', {config: {access: 'write'}}, createApp)

  app.get('/apps/:app', {config: {access: 'read'}}, async (request) => appToWire(store, loadApp(deps, request, params(request).app ?? ''), deps.publicUrl(), deps.webUrl))

  app.patch('/apps/:app', {config: {access: 'write'}}, async (request) => {
    const body = objectBody(request.body)
    const changes: {name?: string; maintenance?: boolean; build_stack?: string} = {}
    if (body.name !== undefined && body.name !== null) changes.name = appName(body.name)
    const maintenance = optionalBoolean(body, 'maintenance')
    if (maintenance !== undefined) changes.maintenance = maintenance
    const buildStack = optionalString(body, 'build_stack')
    if (buildStack !== undefined) changes.build_stack = stackName(buildStack, 'build_stack')
    const updated = store.transaction(() => {
      const current = loadApp(deps, request, params(request).app ?? '')
      if (changes.name !== undefined && changes.name !== current.name && store.apps.findByName(changes.name)) {
        throw invalidParams('Name is already taken')
      }
      return store.apps.update(current.id, changes) as AppRecord
    })
    return appToWire(store, updated, deps.publicUrl(), deps.webUrl)
  })

  app.delete('/apps/:app', {config: {access: 'manage'}}, async (request) => {
    const current = loadApp(deps, request, params(request).app ?? '')
    const wire = appToWire(store, current, deps.publicUrl(), deps.webUrl)
    await deps.runtime.appDestroyed(current.id)
    // Its add-ons go with it (databases dropped, Redis instances removed), once no dyno uses them.
    await deps.addons?.destroyAppAddons(current, requireAccount(request))
    const files = appFiles(store, deps.dataDir, current.id)
    store.transaction(() => store.apps.delete(current.id))
    // Its history and file go, and its live log streams end.
    await deps.logs.removeApp(current.id)
    // Its code, sources and build outputs too, now that no dyno runs it (not at the next start).
    removeAppFiles(files)
    removeRepo(deps.dataDir, current.id)
    return wire
  })
}
