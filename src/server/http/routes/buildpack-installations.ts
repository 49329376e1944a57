// Buildpack installations (Heroku's Platform API): the buildpacks an app's builds run, in order.
//
//   GET /apps/{app}/buildpack-installations   200 [{buildpack: {url, name}, ordinal}]
//   PUT /apps/{app}/buildpack-installations   200 the new list; body {updates: [{buildpack}]}
//
// PUT replaces the whole list (an empty one returns the app to the built-in buildpacks, detected).
// Each buildpack is judged by its form only (builds/buildpack-url.ts): nothing is fetched until a
// build runs, and one bad entry refuses the whole request with 422, changing nothing.
import type {BuildpackInstallation} from '../../../shared/api-types.js'
import {BuildpackUrlError, HOST_DISK_ADMIN_ONLY, MAX_BUILDPACKS, parseBuildpackUrl, readsHostDisk} from '../../builds/buildpack-url.js'
import {DomainError} from '../../domain/errors.js'
import {objectBody} from '../body.js'
import {loadApp, params} from '../context.js'
import type {RouteModule} from '../deps.js'
import {invalidParams} from '../errors.js'

/** Most buildpacks an app may run (Heroku's limit is lower in practice; this is a sanity bound). */

export function buildpackInstallationsToWire(urls: readonly string[]): BuildpackInstallation[] {
  return urls.map((url, index) => ({buildpack: {url, name: url}, ordinal: index}))
}

/** The URLs a PUT body asks for, each trimmed and checked; throws 422 before anything is stored. */
export function parseUpdates(body: Record<string, unknown>): string[] {
  const updates = body.updates
  if (!Array.isArray(updates)) throw invalidParams('updates is required: a list of {"buildpack": "<url or name>"} (an empty list clears the buildpacks).')
  if (updates.length > MAX_BUILDPACKS) throw invalidParams(`An app can have at most ${MAX_BUILDPACKS} buildpacks; ${updates.length} were given.`)
  const urls: string[] = []
  updates.forEach((update: unknown, index) => {
    const buildpack = typeof update === 'object' && update !== null && !Array.isArray(update) ? (update as Record<string, unknown>).buildpack : undefined
    if (typeof buildpack !== 'string') throw invalidParams(`updates[${index}].buildpack must be a string: a buildpack's URL or name.`)
    const url = buildpack.trim()
    try {
      parseBuildpackUrl(url)
    } catch (error) {
      if (error instanceof BuildpackUrlError) throw invalidParams(`Buildpack ${index + 1} is invalid: ${error.message}.`)
      throw error
    }
    if (urls.includes(url)) throw invalidParams(`${url} is given twice; an app runs each buildpack once.`)
    urls.push(url)
  })
  return urls
}

export const buildpackInstallationsRoutes: RouteModule = (app, deps) => {
  const {store} = deps

  app.get('/apps/:app/buildpack-installations', {config: {access: 'read'}}, async (request) =>
    buildpackInstallationsToWire(store.buildpacks.list(loadApp(deps, request, params(request).app ?? '').id)),
  )

  app.put('/apps/:app/buildpack-installations', {config: {access: 'write'}}, async (request) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    const urls = parseUpdates(objectBody(request.body))
    if (request.account?.admin !== true && urls.some(readsHostDisk)) throw new DomainError('forbidden', HOST_DISK_ADMIN_ONLY)
    return buildpackInstallationsToWire(store.buildpacks.replace(target.id, urls))
  })
}
