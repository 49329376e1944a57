// config:set and config:unset. A change makes a release; with a release phase that release is
// pending until the phase ends, and the change is in effect only once it is current, so the
// command follows the phase as `tug deploy` does (src/lib/releases/follow.ts).
import type {ApiClient} from '../api/client.js'
import type {ConfigVars, ConfigVarsUpdate, Release} from '../../shared/api-types.js'
import {awaitRelease, type FollowSteps, type ReleaseChange} from '../releases/follow.js'

export interface ConfigChangeResult {
  /** The complete map the server answered with: the new release's, in effect once it is current. */
  config: ConfigVars
  /** The release the change made, once current; undefined when it changed nothing. */
  release?: Release
}

/**
 * PATCHes the config and waits for the release it made. The latest release is read before and
 * after: a change to the values already set makes no release, and the latest one, whatever its
 * status, is then not this change's to wait for or to fail on.
 */
export async function changeConfig(
  api: Pick<ApiClient, 'config' | 'releases'>,
  app: string,
  body: ConfigVarsUpdate,
  title: string,
  steps: FollowSteps,
  change: ReleaseChange,
): Promise<ConfigChangeResult> {
  const {config, made} = await steps.action(
    title,
    async () => {
      const before = await api.releases.latest(app)
      const config = await api.config.update(app, body)
      const latest = await api.releases.latest(app)
      return {config, latest, made: latest && latest.version !== before?.version ? latest : undefined}
    },
    (r) => {
      if (r.latest === undefined) return 'done'
      // `done` only once the release is current: a pending one is followed next.
      return r.made && r.made.status !== 'succeeded' ? `${r.made.status}, v${r.made.version}` : `done, v${r.latest.version}`
    },
  )
  if (!made) return {config}
  return {config, release: await awaitRelease(api, app, made, steps, {change})}
}

/**
 * A line for `tug config` when the latest release is not the current one: its config vars (the
 * ones a change just set) are not in effect, and the map shown is the current release's.
 */
export async function notInEffectNote(api: Pick<ApiClient, 'releases'>, app: string): Promise<string | undefined> {
  // A note is extra: a server that cannot list releases still shows its config.
  const recent = await api.releases.list(app, {max: 10, order: 'desc'}).catch(() => [] as Release[])
  const latest = recent[0]
  if (!latest || latest.current || (latest.status !== 'pending' && latest.status !== 'failed')) return undefined
  const current = recent.find((r) => r.current)
  const values = current ? `the values of v${current.version}, the current release` : 'the values of the current release'
  return latest.status === 'pending'
    ? `Release v${latest.version} is pending (release phase running); these are ${values}.`
    : `Release v${latest.version} failed its release phase, so its config vars are not in effect; these are ${values}.`
}
