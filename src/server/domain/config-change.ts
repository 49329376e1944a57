// A config-vars PATCH as a pure function: the validated changes, the resulting map, and the
// release description Heroku would write (`Set FOO, BAR config vars`, `Remove FOO config vars`).
import type {AppRecord, Store} from '../store/index.js'
import {invalidParams} from './errors.js'
import {CONFIG_KEY_PATTERN} from './names.js'

/** Heroku's limit on an app's config: the names and values together, in bytes. */
export const MAX_CONFIG_BYTES = 32 * 1024

/** A lone surrogate (`"\\ud800"` in JSON) has no UTF-8 form: the kernel would get U+FFFD, or spawn throws. */
const LONE_SURROGATE = /\p{Cs}/u

/**
 * Why `value` cannot go into a process's environment, or undefined when it can: a NUL ends a C
 * string (spawn throws, so every dyno of the app would crash at start), and a lone surrogate is
 * not UTF-8. Bytes that are not UTF-8 never get this far: the body parser refuses them.
 */
export function envValueProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'contains a NUL byte'
  if (LONE_SURROGATE.test(value)) return 'is not valid UTF-8 (a lone surrogate)'
  return undefined
}

/** Bytes of names and values together, as Heroku counts an app's config size. */
export function configBytes(vars: Iterable<[string, string]>): number {
  let total = 0
  for (const [key, value] of vars) total += Buffer.byteLength(key) + Buffer.byteLength(value)
  return total
}

/** A 422 naming `what` when `bytes` (names and values) is above MAX_CONFIG_BYTES. */
export function checkConfigSize(bytes: number, what: string): void {
  if (bytes > MAX_CONFIG_BYTES) {
    throw invalidParams(`${what} would be ${bytes} bytes (names and values together); the limit is ${MAX_CONFIG_BYTES} bytes (32 KB). Keep large data in a file or an add-on and put its location in a config var.`)
  }
}

export interface ConfigChange {
  vars: Record<string, string>
  set: string[]
  removed: string[]
  /** Undefined when nothing effectively changes: then no release is made. */
  description?: string
}

export function planConfigChange(current: Readonly<Record<string, string>>, patch: unknown): ConfigChange {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw invalidParams('Config vars must be a JSON object of string (set) or null (unset) values.')
  }
  const entries = Object.entries(patch as Record<string, unknown>)
  for (const [key, value] of entries) {
    if (!CONFIG_KEY_PATTERN.test(key)) {
      throw invalidParams(`Invalid config var name: ${JSON.stringify(key)}. Names may only contain letters, digits and underscores.`)
    }
    if (value !== null && typeof value !== 'string') {
      throw invalidParams(`Config var values must be strings, or null to unset (${key}).`)
    }
    const problem = value === null ? undefined : envValueProblem(value)
    if (problem) throw invalidParams(`Config var ${key} ${problem}: a process's environment cannot carry it.`)
  }
  // A Map, then Object.fromEntries: keys like `__proto__` (valid under ^\w+$) stay plain data.
  const vars = new Map(Object.entries(current))
  const set: string[] = []
  const removed: string[] = []
  for (const [key, value] of entries as Array<[string, string | null]>) {
    if (value === null) {
      if (vars.delete(key)) removed.push(key)
    } else if (vars.get(key) !== value) {
      vars.set(key, value)
      set.push(key)
    }
  }
  // An app already above the limit (set before there was one) may still shrink.
  const size = configBytes(vars)
  if (set.length > 0 && size > configBytes(Object.entries(current))) checkConfigSize(size, 'The config')
  let description: string | undefined
  if (set.length > 0) description = `Set ${set.join(', ')} config vars`
  if (removed.length > 0) {
    const remove = `${removed.join(', ')} config vars`
    description = description ? `${description} and remove ${remove}` : `Remove ${remove}`
  }
  return {vars: Object.fromEntries(vars), set, removed, description}
}

/** The config vars of the app's current release (none before its first release). */
export function currentConfig(store: Store, app: Pick<AppRecord, 'id' | 'current_release_id'>): Record<string, string> {
  const release = app.current_release_id ? store.releases.get(app.id, app.current_release_id) : undefined
  return (release && store.config.get(app.id, release.config_id)) ?? {}
}
