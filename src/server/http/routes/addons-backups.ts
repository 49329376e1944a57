// pg:backups and pg:info (issue 16): tug's own routes under an app's PostgreSQL add-on, since
// Heroku serves these from a separate data API (docs/data.md, "The backups API"). The add-on is
// named as on the other add-on routes: its name, id, or the name it is attached as (DATABASE).
//   GET|POST   /apps/{app}/addons/{addon}/backups               list | capture (202, runs on)
//   GET|DELETE /apps/{app}/addons/{addon}/backups/{b001}
//   POST       /apps/{app}/addons/{addon}/backups/{b001}/restore {addon?: into} (202, runs on)
//   POST       /apps/{app}/addons/{addon}/backups/{b001}/download-url -> {url, expires_at}
//   GET        /addon-backups/{token}                            the dump, no credentials
//   GET        /apps/{app}/addons/{addon}/restores[/{r001}]
//   GET        /apps/{app}/addons/{addon}/database-info          pg:info
import {createReadStream} from 'node:fs'
import type {FastifyRequest} from 'fastify'
import type {PgInfo} from '../../../shared/pg-types.js'
import type {BackupService} from '../../addons/backups.js'
import type {AddonDataTools} from '../../addons/provider.js'
import {DomainError, invalidParams} from '../../domain/errors.js'
import type {AddonRecord, AppRecord} from '../../store/index.js'
import {objectBody} from '../body.js'
import {loadApp, params} from '../context.js'
import type {AppDeps, RouteModule} from '../deps.js'
import {HttpError} from '../errors.js'
import {optionalString} from '../validate.js'
import {appAddon} from './addons.js'

function backupsOf(deps: AppDeps): BackupService {
  const backups = deps.addons?.backups
  if (!backups) throw new DomainError('unavailable', 'This control plane keeps no add-on backups.')
  return backups
}

/** The app's add-on named in the path, and what its provider can do with its data. */
function target(deps: AppDeps, request: FastifyRequest): {app: AppRecord; addon: AddonRecord; tools: AddonDataTools} {
  const app = loadApp(deps, request, params(request).app ?? '')
  const addon = appAddon(deps, app, params(request).addon ?? '')
  return {app, addon, tools: toolsOf(deps, addon)}
}

function toolsOf(deps: AppDeps, addon: AddonRecord): AddonDataTools {
  const tools = deps.addons?.providerOf(addon)?.data
  if (!tools) throw invalidParams(`${addon.name} is a ${addon.service} add-on: backups and pg:info are for PostgreSQL add-ons (tug addons lists them).`)
  if (addon.state !== 'provisioned' || !addon.resource) throw invalidParams(`${addon.name} is not provisioned (it is ${addon.state}).`)
  return tools
}

async function pgInfo(deps: AppDeps, addon: AddonRecord, tools: AddonDataTools): Promise<PgInfo> {
  const plan = deps.addons?.planOf(addon)
  const info: PgInfo = {
    addon: {id: addon.id, name: addon.name, plan: `${addon.service}:${addon.plan}`, created_at: addon.created_at},
    status: 'Available',
    pg_version: null,
    connections: {used: null, limit: plan?.connections ?? 0},
    data_size_bytes: null,
    tables: null,
  }
  try {
    const facts = await tools.facts(addon.resource as Record<string, unknown>)
    return {...info, pg_version: facts.pg_version, connections: {used: facts.connections_used, limit: info.connections.limit}, data_size_bytes: facts.data_size_bytes, tables: facts.tables}
  } catch (error) {
    return {...info, status: `Unavailable: ${(error as Error).message}`}
  }
}

export const addonsBackupsRoutes: RouteModule = (app, deps) => {
  const backup = (request: FastifyRequest) => params(request).backup ?? ''

  app.get('/apps/:app/addons/:addon/backups', {config: {access: 'read'}}, async (request) => {
    const {addon} = target(deps, request)
    return backupsOf(deps).backups(addon)
  })
  app.post('/apps/:app/addons/:addon/backups', {config: {access: 'write'}}, async (request, reply) => {
    const {addon, tools} = target(deps, request)
    reply.code(202)
    return backupsOf(deps).capture(addon, tools)
  })
  app.get('/apps/:app/addons/:addon/backups/:backup', {config: {access: 'read'}}, async (request) => backupsOf(deps).backup(target(deps, request).addon, backup(request)))
  app.delete('/apps/:app/addons/:addon/backups/:backup', {config: {access: 'write'}}, async (request) => backupsOf(deps).delete(target(deps, request).addon, backup(request)))

  app.post('/apps/:app/addons/:addon/backups/:backup/restore', {config: {access: 'write'}}, async (request, reply) => {
    const from = target(deps, request)
    const into = optionalString(objectBody(request.body), 'addon')
    const intoAddon = into === undefined ? from.addon : appAddon(deps, from.app, into)
    const restored = backupsOf(deps).restoreInto(from.addon, backup(request), intoAddon, toolsOf(deps, intoAddon))
    reply.code(202)
    return restored
  })

  app.post('/apps/:app/addons/:addon/backups/:backup/download-url', {config: {access: 'read'}}, async (request, reply) => {
    const {addon} = target(deps, request)
    reply.code(201)
    return backupsOf(deps).downloadUrl(addon, backup(request), deps.publicUrl())
  })
  app.get('/addon-backups/:token', {config: {public: true}}, async (request, reply) => {
    const file = backupsOf(deps).downloadFile(params(request).token ?? '')
    if (!file) throw new HttpError(404, 'not_found', "Couldn't find that backup, or its URL has expired (tug pg:backups:download asks for a new one).", {resource: 'backup'})
    reply.header('Content-Type', 'application/octet-stream')
    return reply.send(createReadStream(file))
  })

  app.get('/apps/:app/addons/:addon/restores', {config: {access: 'read'}}, async (request) => backupsOf(deps).restores(target(deps, request).addon))
  app.get('/apps/:app/addons/:addon/restores/:restore', {config: {access: 'read'}}, async (request) => backupsOf(deps).restore(target(deps, request).addon, params(request).restore ?? ''))

  app.get('/apps/:app/addons/:addon/database-info', {config: {access: 'read'}}, async (request) => {
    const {addon, tools} = target(deps, request)
    return pgInfo(deps, addon, tools)
  })
}
