// Parses `tug run --env "K=V;K2=V2"`, the same flag format as Heroku's CLI. A pair tug cannot read
// is a usage error naming it, rather than being dropped.

import {UsageError} from './errors.js'

/** The Platform API's rule for one-off dyno env keys. */
export const ENV_KEY_PATTERN = /^\w+$/

const FORM = 'Use --env "KEY=VALUE;KEY2=VALUE2" (keys are letters, digits and "_").'

/**
 * Splits on `;` and then on the first `=` of each pair, so values may contain `=` (but not `;`).
 * Empty segments are ignored; whitespace around keys is trimmed, values are kept as typed.
 */
export function parseEnvFlag(value: string): Record<string, string> {
  const pairs = new Map<string, string>()
  for (const segment of value.split(';')) {
    if (segment.trim() === '') continue
    const eq = segment.indexOf('=')
    if (eq < 0) throw invalid(segment, 'there is no "="')
    const key = segment.slice(0, eq).trim()
    const val = segment.slice(eq + 1)
    if (key === '') throw invalid(segment, 'the key is missing')
    if (!ENV_KEY_PATTERN.test(key)) throw invalid(segment, `"${key}" is not a valid key`)
    if (val.includes('\0')) throw invalid(segment, 'the value contains a NUL byte')
    if (pairs.has(key)) throw new UsageError(`Invalid --env: "${key}" is given twice. ${FORM}`)
    pairs.set(key, val)
  }
  // fromEntries defines own properties, so a key like `__proto__` is kept as data.
  return Object.fromEntries(pairs)
}

function invalid(segment: string, reason: string): UsageError {
  return new UsageError(`Invalid --env pair "${segment.replaceAll('\0', '\\0')}": ${reason}. ${FORM}`)
}
