// The control plane the CLI points at instead of the local one (TUG_API_URL, or `tug login`'s),
// as `tug server:status` reports it.
import {probeAccount, type Probe} from './local-server.js'
import {readConfig, resolveTarget} from './target.js'

/** The control plane the CLI points at instead of the local one (TUG_API_URL, or `tug login`'s). */
export interface PointedAt {
  url: string
  source: 'env' | 'netrc'
  status: Probe['status']
  email: string | null
  reason: string | null
  has_token: boolean
}

/** The remote target and whether it answers, without starting the local server (which resolveTarget would do last). */
export async function pointedAt(env: NodeJS.ProcessEnv): Promise<PointedAt | undefined> {
  if (!(env.TUG_API_URL ?? '') && readConfig(env).url === undefined) return undefined
  const target = await resolveTarget(env)
  if (target.source === 'local') return undefined
  const probe = await probeAccount(target.url, target.token)
  return {url: target.url, source: target.source, status: probe.status, email: probe.email ?? null, reason: probe.reason ?? null, has_token: target.token !== undefined}
}

export function describePointedAt(remote: PointedAt): string {
  const where = `tug points at the control plane at ${remote.url} (${remote.source === 'env' ? 'TUG_API_URL' : 'tug login'})`
  if (remote.status === 'ok') return `${where}; it answers${remote.email === null ? '' : `, logged in as ${remote.email}`}.`
  if (remote.status === 'unauthorized') {
    return remote.has_token ? `${where}; it answers but refuses the token.` : `${where}; it answers, but tug has no token for it (\`tug login ${remote.url}\`, or TUG_API_KEY).`
  }
  return `${where}; it does not answer: ${remote.reason ?? 'no answer'}.`
}
