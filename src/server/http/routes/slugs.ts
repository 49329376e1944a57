// `GET /slugs/<token>`: a release's code as a gzipped tarball, for the Kubernetes runtime's pods
// (their init container fetches it; runtime/kubernetes/slugs.ts). Public: the token in the path is
// the capability (32 bytes, per release, revoked with the app). Unknown tokens, and runtimes that
// read code from disk (they have no `slug`), answer 404.
import type {Readable} from 'node:stream'

import type {RouteModule} from '../deps.js'
import {HttpError} from '../errors.js'

/** What a runtime that serves slugs offers (runtime/kubernetes/runtime.ts). */
interface SlugServer {
  slug(token: string): {stream(): Readable} | undefined
}

function servesSlugs(runtime: unknown): runtime is SlugServer {
  return typeof (runtime as {slug?: unknown} | null)?.slug === 'function'
}

export const slugsRoutes: RouteModule = (app, deps) => {
  app.get('/slugs/:token', {config: {public: true}}, async (request, reply) => {
    const {token} = request.params as {token: string}
    const slug = servesSlugs(deps.runtime) ? deps.runtime.slug(token) : undefined
    if (!slug) throw new HttpError(404, 'not_found', 'No slug here: the link is unknown, revoked, or its release is gone.')
    reply.header('Cache-Control', 'no-store').type('application/gzip')
    return reply.send(slug.stream())
  })
}
