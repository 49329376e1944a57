// Parses `tug ps:scale` arguments. Heroku's CLI silently drops arguments it cannot read and
// scales the rest; here a bad argument is a usage error that names it, and nothing is sent.

import {UsageError} from './errors.js'

export interface ScaleArg {
  type: string
  /** An absolute count ("2") or a change relative to the current one ("+1", "-1"). */
  quantity?: string
  /** As typed: the server matches sizes case-insensitively and canonicalises them. */
  size?: string
}

/** Process type names, as the Platform API schema defines them. */
export const PROCESS_TYPE_PATTERN = /^[-\w]{1,128}$/

/** Far above any real limit (Heroku's is 100 per app): catches typos like `web=10000000`. */
export const MAX_SCALE_QUANTITY = 10_000

const FORMS = 'Use TYPE=QTY, TYPE=QTY:SIZE, TYPE+N or TYPE-N (for example web=2, web=2:Standard-2X, worker+1, clock-1).'

// The type is greedy but must leave `[=+-]digits` behind it, so `my-worker-2` is "my-worker" minus 2
// (the same reading as Heroku's CLI). Size names are letters, digits, `_` and `-` (`Standard-2X`).
const SCALE_ARG = /^([-\w]+)([=+-])(\d+)(?::([-\w]+))?$/

export function parseScaleArgs(args: string[]): ScaleArg[] {
  const result: ScaleArg[] = []
  const seen = new Map<string, string>()
  for (const arg of args) {
    const parsed = parseOne(arg)
    const previous = seen.get(parsed.type)
    if (previous !== undefined) {
      throw new UsageError(`Process type "${parsed.type}" is given twice ("${previous}" and "${arg}"). Give each type once.`)
    }
    seen.set(parsed.type, arg)
    result.push(parsed)
  }
  return result
}

function parseOne(arg: string): ScaleArg {
  const match = SCALE_ARG.exec(arg)
  if (!match) throw invalid(arg, reasonFor(arg))
  const [, type = '', operator = '', digits = '', size] = match
  if (!PROCESS_TYPE_PATTERN.test(type)) {
    throw invalid(arg, `the process type must be 1 to 128 letters, digits, "_" or "-"`)
  }
  const count = Number(digits)
  if (count > MAX_SCALE_QUANTITY) {
    throw invalid(arg, `${digits.replace(/^0+(?=\d)/, '')} dynos is absurdly many (at most ${MAX_SCALE_QUANTITY})`)
  }
  const quantity = operator === '=' ? String(count) : `${operator}${count}`
  return size === undefined ? {type, quantity} : {type, quantity, size}
}

/** A specific reason for the common mistakes; the accepted forms follow it in every message. */
function reasonFor(arg: string): string {
  const eq = arg.indexOf('=')
  if (arg === '') return 'it is empty'
  if (eq === 0 || /^[+-]/.test(arg)) return 'the process type is missing'
  if (eq > 0) {
    const value = arg.slice(eq + 1)
    const [quantity = '', ...rest] = value.split(':')
    if (value === '') return 'the quantity is missing'
    if (quantity === '') return 'the quantity is missing before the size'
    if (/^-\d+$/.test(quantity)) return 'the quantity cannot be negative (use TYPE-N to scale down by N)'
    if (/^\+\d+$/.test(quantity)) return 'use TYPE+N, without "=", to scale up by N'
    if (!/^\d+$/.test(quantity)) return `"${quantity}" is not a whole number`
    if (rest.length > 0 && rest.join(':') === '') return 'the size is missing after ":"'
    if (rest.length > 0) return `"${rest.join(':')}" is not a dyno size name`
    return `"${arg.slice(0, eq)}" is not a valid process type`
  }
  const op = Math.max(arg.lastIndexOf('+'), arg.lastIndexOf('-'))
  if (op < 0) return 'no quantity is given'
  const [change = '', ...rest] = arg.slice(op + 1).split(':')
  if (change === '') return 'the quantity is missing'
  // `my-worker` has a dash but no quantity; `web+1.5` has a quantity that is not whole.
  if (!/^\d/.test(change)) return 'no quantity is given'
  if (!/^\d+$/.test(change)) return `"${change}" is not a whole number`
  if (rest.length > 0 && rest.join(':') === '') return 'the size is missing after ":"'
  if (rest.length > 0) return `"${rest.join(':')}" is not a dyno size name`
  return `"${arg.slice(0, op)}" is not a valid process type`
}

function invalid(arg: string, reason: string): UsageError {
  return new UsageError(`Invalid scale argument "${arg}": ${reason}. ${FORMS}`)
}
