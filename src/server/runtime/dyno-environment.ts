// What a local dyno is started with: the shell that runs its command and the environment it sees.
import type {DynoSpec} from './backend.js'
import {DYNO_ID_ENV, PLANE_ENV} from './plane-tag.js'

export {findShell} from '../../shared/find-shell.js'

/** Taken from the control plane's environment so commands find their tools; config vars override them. */
export const BASE_ENV_NAMES = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER', 'LOGNAME'] as const

/**
 * The environment a dyno sees: base variables, then config vars, then what the platform sets.
 * With `plane` (the data directory's identity), the tags that find the dyno after a crash.
 */
export function dynoEnvironment(spec: DynoSpec, baseEnv: Record<string, string>, dynoId: string, plane?: string): Record<string, string> {
  const env: Record<string, string> = {...baseEnv, ...spec.env, DYNO: spec.dynoName, PS: spec.dynoName, [DYNO_ID_ENV]: dynoId}
  // Set after the config vars, so that an app cannot claim another control plane's tag.
  if (plane !== undefined) env[PLANE_ENV] = plane
  else delete env[PLANE_ENV]
  if (spec.port !== undefined) env.PORT = String(spec.port)
  return env
}

/**
 * The dyno's command as Heroku starts it: the slug's `.profile.d/*.sh` scripts (buildpacks put
 * what every process needs there, a Python virtual environment on PATH), then `.profile`, are
 * sourced first, from the dyno's working directory (its code). bash still execs the last command
 * of the string, so the app's process keeps the shell's pid.
 */
export function withProfile(command: string): string {
  return `for f in .profile.d/*.sh .profile; do if [ -f "$f" ]; then . "./$f"; fi; done; unset f; ${command}`
}

/** BASE_ENV_NAMES as this control plane has them. */
export function defaultBaseEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const name of BASE_ENV_NAMES) {
    const value = process.env[name]
    if (value !== undefined) env[name] = value
  }
  return env
}
