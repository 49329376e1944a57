// A config-vars PATCH as a pure function: the validated changes, the resulting map, and the
// release description Heroku would write (`Set FOO, BAR config vars`, `Remove FOO config vars`).
import {invalidParams} from './errors.js'
import {CONFIG_KEY_PATTERN} from './names.js'

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
  let description: string | undefined
  if (set.length > 0) description = `Set ${set.join(', ')} config vars`
  if (removed.length > 0) {
    const remove = `${removed.join(', ')} config vars`
    description = description ? `${description} and remove ${remove}` : `Remove ${remove}`
  }
  return {vars: Object.fromEntries(vars), set, removed, description}
}
