// Accept: application/vnd.heroku+json; version=3 (platform-api.md 1.2). Any `version=3` or
// `version=3.<variant>` is v3; no version at all is 400 missing_version (with the legacy `error`
// member too); another version is 406.
import {HttpError, MISSING_VERSION_MESSAGE} from './errors.js'
import type {FastifyInstance} from 'fastify'

const VERSION = /(?:^|[;,\s])version\s*=\s*"?([^;,\s"]*)/i

export type VersionCheck = {ok: true; variant?: string} | {ok: false; version?: string}

export function checkAcceptVersion(accept: string | undefined): VersionCheck {
  const match = accept ? VERSION.exec(accept) : null
  if (!match) return {ok: false}
  const version = match[1] ?? ''
  if (version === '3') return {ok: true}
  if (version.startsWith('3.')) return {ok: true, variant: version.slice(2)}
  return {ok: false, version}
}

export function versionPlugin(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public && !request.is404) return
    const check = checkAcceptVersion(request.headers.accept)
    if (check.ok) return
    if (check.version === undefined) {
      throw new HttpError(400, 'missing_version', MISSING_VERSION_MESSAGE.trimEnd(), {error: MISSING_VERSION_MESSAGE})
    }
    throw new HttpError(406, 'not_acceptable', `Unsupported API version ${check.version}: this server speaks version=3.`)
  })
}
