// Add-ons (issue 16), Heroku's routes: the services and plans tug offers, an app's add-ons, and
// attachments (each sets <NAME>_URL on its app in a new release). The work is in addons/service.ts.
import type {FastifyRequest} from 'fastify'
import {findPlan, requireService, requireServicePlan, SERVICES} from '../../addons/catalog.js'
import type {AddonAttachmentRecord, AddonRecord, AppRecord} from '../../store/index.js'
import {isUuid} from '../../store/index.js'
import {authorizeApp, viewerOf} from '../access.js'
import {requireAccount} from '../auth.js'
import {objectBody} from '../body.js'
import {loadApp, params} from '../context.js'
import type {AppDeps, RouteModule} from '../deps.js'
import {invalidParams, notFound} from '../errors.js'
import {sendList} from '../pagination.js'
import {optionalString} from '../validate.js'
import {DomainError} from '../../domain/errors.js'
import {addonToWire, attachmentToWire, planToWire, serviceToWire} from './addons-wire.js'

const addonNotFound = () => notFound('add_on', "Couldn't find that add on.")
const attachmentNotFound = () => notFound('add_on attachment', "Couldn't find that add on attachment.")

const ADDON_LIST = {fields: {id: (a: AddonRecord) => a.id, name: (a: AddonRecord) => a.name, created_at: (a: AddonRecord) => a.created_at}}
const ATTACHMENT_LIST = {fields: {id: (a: AddonAttachmentRecord) => a.id, name: (a: AddonAttachmentRecord) => a.name, created_at: (a: AddonAttachmentRecord) => a.created_at}}

function ownApps(deps: AppDeps, request: FastifyRequest): AppRecord[] {
  return deps.store.apps.listVisible(viewerOf(request))
}

/** An add-on whose app the caller may act on as the route needs. 404 otherwise, as for a missing one. */
function loadAddon(deps: AppDeps, request: FastifyRequest, identity: string): AddonRecord {
  const addon = deps.store.addons.resolve(identity)
  const owner = addon && deps.store.apps.get(addon.app_id)
  if (!addon || !owner) throw addonNotFound()
  authorizeApp(deps.store, request, owner, undefined, addonNotFound)
  return addon
}

/** An add-on of `app`, or attached to it, by id, name or (for an attachment of the app) attachment name. */
export function appAddon(deps: AppDeps, app: AppRecord, identity: string): AddonRecord {
  const {addons} = deps.store
  const byIdentity = addons.resolve(identity)
  const attached = (addon: AddonRecord) => addon.app_id === app.id || addons.attachmentsOfAddon(addon.id).some((a) => a.app_id === app.id)
  if (byIdentity && attached(byIdentity)) return byIdentity
  const attachment = addons.attachmentByName(app.id, identity.toUpperCase())
  const viaAttachment = attachment && addons.get(attachment.addon_id)
  if (viaAttachment) return viaAttachment
  throw addonNotFound()
}

function findAttachment(deps: AppDeps, id: string): AddonAttachmentRecord | undefined {
  return isUuid(id) ? deps.store.addons.attachment(id.toLowerCase()) : undefined
}

function loadAttachment(deps: AppDeps, request: FastifyRequest, id: string): AddonAttachmentRecord {
  const attachment = findAttachment(deps, id)
  const owner = attachment && deps.store.apps.get(attachment.app_id)
  if (!attachment || !owner) throw attachmentNotFound()
  authorizeApp(deps.store, request, owner, undefined, attachmentNotFound)
  return attachment
}

function service(deps: AppDeps) {
  if (!deps.addons) throw new DomainError('unavailable', 'This control plane runs no add-on providers.')
  return deps.addons
}

/** Heroku's `plan` is a string or `{name}` (`heroku addons:create` sends the latter). */
function planIdentity(value: unknown): string {
  const name = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as {name?: unknown}).name ?? (value as {id?: unknown}).id : value
  if (typeof name !== 'string' || name.trim() === '') {
    throw invalidParams(`plan is required: a service and plan such as postgresql:mini or redis (services: ${SERVICES.map((s) => s.name).join(', ')}).`)
  }
  return name.trim()
}

function attachmentAs(body: Record<string, unknown>): string | undefined {
  const attachment = body.attachment
  if (attachment === undefined || attachment === null) return undefined
  if (typeof attachment !== 'object' || Array.isArray(attachment)) throw invalidParams('attachment must be an object, {"name": "NAME"}.')
  return optionalString(attachment as Record<string, unknown>, 'name')
}

export const addonsRoutes: RouteModule = (app, deps) => {
  const {store} = deps
  // Routes on an add-on or attachment by its own id: the edge authorizes its app (access.ts).
  const ofAddon = {appOf: (request: FastifyRequest) => store.addons.resolve(params(request).addon ?? '')?.app_id, notFound: addonNotFound}
  const ofAttachment = {appOf: (request: FastifyRequest) => findAttachment(deps, params(request).attachment ?? '')?.app_id, notFound: attachmentNotFound}
  // Routes naming their app in the body, when they do (Heroku's resolve actions, attaching).
  const ofBody = {appOf: (request: FastifyRequest) => optionalString(objectBody(request.body), 'app')}

  app.get('/addon-services', {config: {access: 'read'}}, async () => SERVICES.map(serviceToWire))
  app.get('/addon-services/:service', {config: {access: 'read'}}, async (request) => serviceToWire(requireService(params(request).service ?? '')))
  app.get('/addon-services/:service/plans', {config: {access: 'read'}}, async (request) => {
    const spec = requireService(params(request).service ?? '')
    return spec.plans.map((plan) => planToWire(spec, plan))
  })
  app.get('/addon-services/:service/plans/:plan', {config: {access: 'read'}}, async (request) => {
    const {service: spec, plan} = requireServicePlan(params(request).service ?? '', (params(request).plan ?? '').replace(/^[^:]*:/, ''))
    return planToWire(spec, plan)
  })

  app.get('/addons', {config: {access: 'read'}}, async (request, reply) => {
    const apps = ownApps(deps, request)
    return sendList(request, reply, store.addons.listByApps(apps.map((a) => a.id)), ADDON_LIST, (a) => addonToWire(store, a))
  })
  app.get('/addons/:addon', {config: {access: 'read', ...ofAddon}}, async (request) => addonToWire(store, loadAddon(deps, request, params(request).addon ?? '')))
  app.get('/addons/:addon/addon-attachments', {config: {access: 'read', ...ofAddon}}, async (request, reply) => {
    const addon = loadAddon(deps, request, params(request).addon ?? '')
    return sendList(request, reply, store.addons.attachmentsOfAddon(addon.id), ATTACHMENT_LIST, (a) => attachmentToWire(store, a))
  })

  app.get('/apps/:app/addons', {config: {access: 'read'}}, async (request, reply) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    const owned = store.addons.listByApp(target.id)
    const attached = store.addons
      .attachmentsOfApp(target.id)
      .map((a) => store.addons.get(a.addon_id))
      .filter((a): a is AddonRecord => a !== undefined && a.app_id !== target.id)
    const all = [...owned, ...attached.filter((a, i) => attached.findIndex((b) => b.id === a.id) === i)]
    return sendList(request, reply, all, ADDON_LIST, (a) => addonToWire(store, a))
  })

  app.post('/apps/:app/addons', {config: {access: 'write'}}, async (request, reply) => {
    const account = requireAccount(request)
    const target = loadApp(deps, request, params(request).app ?? '')
    const body = objectBody(request.body)
    const as = attachmentAs(body)
    const name = optionalString(body, 'name')
    const created = await service(deps).create({app: target, account, plan: planIdentity(body.plan), ...(as === undefined ? {} : {as}), ...(name === undefined ? {} : {name})})
    reply.code(201)
    return addonToWire(store, created)
  })

  app.get('/apps/:app/addons/:addon', {config: {access: 'read'}}, async (request) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    return addonToWire(store, appAddon(deps, target, params(request).addon ?? ''))
  })

  app.patch('/apps/:app/addons/:addon', {config: {access: 'write'}}, async (request) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    let addon = appAddon(deps, target, params(request).addon ?? '')
    const body = objectBody(request.body)
    if (body.plan !== undefined && body.plan !== null) {
      const wanted = planIdentity(body.plan).replace(/^[^:]*:/, '')
      const spec = requireService(addon.service)
      const plan = findPlan(spec, wanted)
      if (!plan) throw invalidParams(`${spec.name} has no plan "${wanted}". Its plans are ${spec.plans.map((p) => `${spec.name}:${p.name}`).join(', ')}.`)
      if (plan.name !== addon.plan) throw invalidParams(`tug cannot change an add-on's plan yet: create a ${spec.name}:${plan.name} add-on and move the data.`)
    }
    const name = optionalString(body, 'name')
    if (name !== undefined) addon = service(deps).rename(addon, name)
    return addonToWire(store, addon)
  })

  app.delete('/apps/:app/addons/:addon', {config: {access: 'write'}}, async (request) => {
    const account = requireAccount(request)
    const target = loadApp(deps, request, params(request).app ?? '')
    const addon = appAddon(deps, target, params(request).addon ?? '')
    if (addon.app_id !== target.id) throw invalidParams(`${addon.name} belongs to another app; detach it from ${target.name} instead (tug addons:detach).`)
    const wire = addonToWire(store, addon)
    await service(deps).destroy(addon, account)
    return {...wire, config_vars: [], state: 'deprovisioned'}
  })

  app.get('/addon-attachments', {config: {access: 'read'}}, async (request, reply) => {
    const apps = ownApps(deps, request)
    return sendList(request, reply, store.addons.attachmentsOfApps(apps.map((a) => a.id)), ATTACHMENT_LIST, (a) => attachmentToWire(store, a))
  })
  app.get('/addon-attachments/:attachment', {config: {access: 'read', ...ofAttachment}}, async (request) => attachmentToWire(store, loadAttachment(deps, request, params(request).attachment ?? '')))
  app.get('/apps/:app/addon-attachments', {config: {access: 'read'}}, async (request, reply) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    return sendList(request, reply, store.addons.attachmentsOfApp(target.id), ATTACHMENT_LIST, (a) => attachmentToWire(store, a))
  })
  app.get('/apps/:app/addon-attachments/:attachment', {config: {access: 'read'}}, async (request) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    const identity = params(request).attachment ?? ''
    const attachment = (isUuid(identity) ? store.addons.attachment(identity.toLowerCase()) : undefined) ?? store.addons.attachmentByName(target.id, identity.toUpperCase())
    if (!attachment || attachment.app_id !== target.id) throw attachmentNotFound()
    return attachmentToWire(store, attachment)
  })

  app.post('/addon-attachments', {config: {access: 'write', ...ofBody}}, async (request, reply) => {
    const account = requireAccount(request)
    const body = objectBody(request.body)
    const addonId = optionalString(body, 'addon')
    const appId = optionalString(body, 'app')
    if (addonId === undefined || appId === undefined) throw invalidParams('addon and app are required: the add-on to attach (id or name) and the app to attach it to.')
    const addon = loadAddon(deps, request, addonId)
    const target = loadApp(deps, request, appId)
    const as = optionalString(body, 'name')
    const attachment = await service(deps).attach({addon, app: target, account, ...(as === undefined ? {} : {as})})
    reply.code(201)
    return attachmentToWire(store, attachment)
  })

  app.delete('/addon-attachments/:attachment', {config: {access: 'write', ...ofAttachment}}, async (request) => {
    const account = requireAccount(request)
    const attachment = loadAttachment(deps, request, params(request).attachment ?? '')
    const wire = attachmentToWire(store, attachment)
    await service(deps).detach(attachment, account)
    return wire
  })

  // What Heroku's CLI asks to find an add-on or attachment by any of its names (resolve.ts there).
  app.post('/actions/addons/resolve', {config: {access: 'read', ...ofBody}}, async (request) => {
    const body = objectBody(request.body)
    const identity = optionalString(body, 'addon') ?? ''
    const appName = optionalString(body, 'app')
    const wantedService = optionalString(body, 'addon_service')
    const addon = appName ? appAddon(deps, loadApp(deps, request, appName), identity) : loadAddon(deps, request, identity)
    if (wantedService !== undefined && requireService(wantedService).name !== addon.service) throw addonNotFound()
    return [addonToWire(store, addon)]
  })
  app.post('/actions/addon-attachments/resolve', {config: {access: 'read', ...ofBody}}, async (request) => {
    const body = objectBody(request.body)
    const identity = optionalString(body, 'addon_attachment') ?? ''
    const appName = optionalString(body, 'app')
    const apps = appName ? [loadApp(deps, request, appName)] : ownApps(deps, request)
    const matches = store.addons
      .attachmentsOfApps(apps.map((a) => a.id))
      .filter((a) => a.id === identity.toLowerCase() || a.name === identity.toUpperCase())
    if (matches.length === 0) throw attachmentNotFound()
    return matches.map((a) => attachmentToWire(store, a))
  })
}
