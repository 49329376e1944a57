import {announceRelease} from '../../logs/platform-events.js'
import {DEFAULT_KEEP_RELEASES} from '../../builds/index.js'
import {createRelease, requireCodeKept} from '../../domain/releases.js'
import type {ReleaseRecord} from '../../store/index.js'
import {requireAccount} from '../auth.js'
import {objectBody} from '../body.js'
import {loadApp, params} from '../context.js'
import type {RouteModule} from '../deps.js'
import {invalidParams, notFound, releaseNotFound} from '../errors.js'
import {sendList} from '../pagination.js'
import {optionalString} from '../validate.js'
import {releaseToWire} from '../wire.js'

const RELEASE_LIST = {
  fields: {version: (r: ReleaseRecord) => r.version, id: (r: ReleaseRecord) => r.id},
}

export const releasesRoutes: RouteModule = (app, deps) => {
  const {store} = deps
  const keepReleases = deps.builds?.keepReleases ?? DEFAULT_KEEP_RELEASES

  app.get('/apps/:app/releases', {config: {access: 'read'}}, async (request, reply) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    const releases = store.releases.list(target.id)
    const emails = new Map<string, string>()
    for (const r of releases) {
      if (!emails.has(r.user_id)) emails.set(r.user_id, store.accounts.get(r.user_id)?.email ?? '')
    }
    return sendList(request, reply, releases, RELEASE_LIST, (r) => releaseToWire(store, target, r, emails))
  })

  app.get('/apps/:app/releases/:release', {config: {access: 'read'}}, async (request) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    const release = store.releases.resolve(target.id, params(request).release ?? '')
    if (!release) throw releaseNotFound()
    return releaseToWire(store, target, release)
  })

  // Create (`{slug}`) and rollback (`{release}`) share the path; `release` in the body decides.
  app.post('/apps/:app/releases', {config: {access: 'write'}}, async (request, reply) => {
    const account = requireAccount(request)
    const body = objectBody(request.body)
    const description = optionalString(body, 'description')
    const release = store.transaction(() => {
      const target = loadApp(deps, request, params(request).app ?? '')
      if (body.release !== undefined && body.release !== null) {
        if (typeof body.release !== 'string' && typeof body.release !== 'number') {
          throw invalidParams('release must be the id or the version of the release to roll back to.')
        }
        const wanted = store.releases.resolve(target.id, body.release)
        if (!wanted) throw releaseNotFound()
        requireCodeKept(wanted, keepReleases)
        return createRelease(store, {
          appId: target.id,
          description: `Rollback to v${wanted.version}`,
          slugId: wanted.slug_id,
          codeDir: wanted.code_dir,
          processTypes: wanted.process_types,
          configFrom: wanted.id,
          user: account,
          // Heroku does not run the release phase on a rollback: the code already ran it once.
          releasePhase: false,
        })
      }
      const slug = optionalString(body, 'slug')
      if (slug === undefined) throw invalidParams('slug is required to create a release (or release, to roll back).')
      const source = store.releases.findBySlug(target.id, slug.toLowerCase())
      if (!source) throw notFound('slug', "Couldn't find that slug.")
      requireCodeKept(source, keepReleases)
      return createRelease(store, {
        appId: target.id,
        description: description ?? `Deploy ${source.slug_id?.slice(0, 8) ?? ''}`,
        slugId: source.slug_id,
        codeDir: source.code_dir,
        processTypes: source.process_types ?? undefined,
        user: account,
      })
    })
    announceRelease(deps.logs, release.app_id, release, account.email)
    await deps.runtime.releaseChanged(release.app_id)
    reply.code(201)
    return releaseToWire(store, loadApp(deps, request, release.app_id), release)
  })
}
