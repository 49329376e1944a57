// Config var layouts: Heroku's aligned `KEY: value` block, and `KEY=value` for a shell.
import type {ConfigVars, ConfigVarsUpdate} from '../../shared/api-types.js'
import {UsageError} from '../errors.js'
import {styledObject} from '../cli/styled.js'

export function sortedEntries(vars: ConfigVars): Array<[string, string]> {
  return Object.entries(vars).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

export function formatConfig(vars: ConfigVars): string[] {
  return styledObject(sortedEntries(vars))
}

const SAFE = /^[\w@%+=:,./-]+$/

/** POSIX single-quoting, only when the value needs it. */
export function shellQuote(value: string): string {
  if (SAFE.test(value)) return value
  return `'${value.replace(/'/g, `'\\''`)}'`
}

export function formatShell(vars: ConfigVars): string[] {
  return sortedEntries(vars).map(([key, value]) => `${key}=${shellQuote(value)}`)
}

const KEY = /^\w+$/

/** `KEY=value` arguments (the value may contain `=`), in order, later ones winning. */
export function parseConfigArgs(args: string[]): Record<string, string> {
  if (args.length === 0) throw new UsageError('No config vars given.', {hint: 'Usage: tug config:set KEY=VALUE [KEY2=VALUE2 ...]'})
  // A Map, so that a key such as __proto__ is a key like any other, not the object's prototype.
  const vars = new Map<string, string>()
  for (const arg of args) {
    const eq = arg.indexOf('=')
    if (eq <= 0) throw new UsageError(`${arg} is invalid. Use KEY=VALUE, for example FOO=bar.`)
    const key = arg.slice(0, eq)
    if (!KEY.test(key)) throw new UsageError(`${key} is not a valid config var name: use letters, digits and underscores.`)
    vars.set(key, arg.slice(eq + 1))
  }
  return Object.fromEntries(vars)
}

export function unsetBody(keys: string[]): ConfigVarsUpdate {
  if (keys.length === 0) throw new UsageError('No config var names given.', {hint: 'Usage: tug config:unset KEY [KEY2 ...]'})
  for (const key of keys) {
    if (!KEY.test(key)) throw new UsageError(`${key} is not a valid config var name: use letters, digits and underscores.`)
  }
  return Object.fromEntries(keys.map((key) => [key, null]))
}
