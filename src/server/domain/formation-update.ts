// Scaling, as a pure function: given the current formation and the updates a client sent, the
// new quantity and size of every entry touched, or the documented error (platform-api.md 2.2, 4).
// Quantities arrive as numbers, numeric strings or relative "+N" / "-N"; sizes as `size` or
// `dyno_size` ({id} or {name}), names matched case-insensitively.
import {AVAILABLE_SIZES_TEXT, DYNO_SIZES, findDynoSize, listWords, MAX_DYNOS_PER_APP, type DynoTier} from './catalog.js'
import {aboveLimit, DomainError, invalidParams, processTypeNotFound} from './errors.js'
import {PROCESS_TYPE_PATTERN} from './names.js'
import type {FormationRecord} from '../store/index.js'

export interface PlannedChange {
  entry: FormationRecord
  quantity: number
  size: string
}

function noSuchSize(name: string): DomainError {
  return invalidParams(`No such size as ${name}. Available dyno sizes are ${AVAILABLE_SIZES_TEXT}.`)
}

/** The canonical size name an update asks for, or undefined when it does not mention one. */
export function requestedSize(update: Record<string, unknown>): string | undefined {
  const dynoSize = update.dyno_size
  if (dynoSize !== undefined && dynoSize !== null) {
    if (typeof dynoSize !== 'object' || Array.isArray(dynoSize)) throw invalidParams('dyno_size must be an object with an id or a name.')
    const {id, name} = dynoSize as Record<string, unknown>
    const identity = typeof id === 'string' ? id : typeof name === 'string' ? name : undefined
    if (identity === undefined) throw invalidParams('dyno_size must be an object with an id or a name.')
    const found = findDynoSize(identity)
    if (!found) throw noSuchSize(identity)
    return found.size.name
  }
  const size = update.size
  if (size === undefined || size === null) return undefined
  if (typeof size !== 'string') throw invalidParams('size must be a string naming a dyno size.')
  const found = findDynoSize(size)
  if (!found) throw noSuchSize(size)
  return found.size.name
}

/** The new quantity for an entry now at `current`; undefined when the update leaves it alone. */
export function requestedQuantity(value: unknown, current: number, type: string): number | undefined {
  if (value === undefined || value === null) return undefined
  let next: number
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw invalidParams(`Invalid quantity: ${value}. Use a whole number, or +N / -N to change it.`)
    next = value
  } else if (typeof value === 'string' && /^\s*[+-]?\d{1,9}\s*$/.test(value)) {
    const text = value.trim()
    next = text.startsWith('+') || text.startsWith('-') ? current + Number(text) : Number(text)
  } else {
    throw invalidParams(`Invalid quantity: ${JSON.stringify(value)}. Use a whole number, or +N / -N to change it.`)
  }
  if (next < 0) throw invalidParams(`Quantity of ${type} cannot be negative (it would be ${next}).`)
  return next
}

function processType(value: unknown): string {
  if (typeof value !== 'string') throw invalidParams('Each update needs a type: the process type to scale.')
  if (!PROCESS_TYPE_PATTERN.test(value)) {
    throw invalidParams(`Invalid process type: ${value}. Process types are 1 to 128 letters, digits, underscores and dashes.`)
  }
  return value
}

/** Every entry the updates touch with its new quantity and size, after checking all limits. */
export function planFormationUpdates(formation: readonly FormationRecord[], updates: readonly unknown[]): PlannedChange[] {
  const result = new Map(formation.map((e) => [e.type, {entry: e, quantity: e.quantity, size: e.size}]))
  const touched: string[] = []
  for (const raw of updates) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw invalidParams('Each update must be an object with a type.')
    }
    const update = raw as Record<string, unknown>
    const type = processType(update.type)
    const planned = result.get(type)
    if (!planned) throw processTypeNotFound(type, formation.map((e) => e.type))
    const quantity = requestedQuantity(update.quantity, planned.quantity, type)
    const size = requestedSize(update)
    if (quantity !== undefined) planned.quantity = quantity
    if (size !== undefined) planned.size = size
    if (!touched.includes(type)) touched.push(type)
  }
  checkLimits([...result.values()])
  return touched.map((type) => result.get(type) as PlannedChange)
}

const TIER_GROUP: Record<DynoTier, string> = {eco: 'eco', basic: 'basic', production: 'professional', performance: 'professional'}

/** Cedar's defaults (platform-api.md 4): per-type limits by size, 2 Eco dynos, 100 per app, no tier mixing. */
export function checkLimits(entries: ReadonlyArray<{entry: FormationRecord; quantity: number; size: string}>): void {
  let total = 0
  let eco = 0
  const running = new Set<string>()
  for (const {quantity, size} of entries) {
    const spec = findDynoSize(size)
    if (!spec) throw noSuchSize(size)
    if (spec.perTypeLimit !== undefined && quantity > spec.perTypeLimit) {
      throw aboveLimit(
        `Cannot update to more than ${spec.perTypeLimit} ${spec.size.name} size dynos per process type.`,
        spec.perTypeLimit,
      )
    }
    total += quantity
    if (spec.tier === 'eco') eco += quantity
    if (quantity > 0) running.add(spec.size.name)
  }
  if (eco > 2) throw aboveLimit('Cannot run more than 2 Eco size dynos.', 2)
  if (total > MAX_DYNOS_PER_APP) throw aboveLimit(`Cannot run more than ${MAX_DYNOS_PER_APP} dynos per app.`, MAX_DYNOS_PER_APP)
  const groups = new Set([...running].map((name) => TIER_GROUP[(findDynoSize(name) as {tier: DynoTier}).tier]))
  if (groups.size > 1) {
    const names = DYNO_SIZES.map((s) => s.size.name).filter((name) => running.has(name))
    throw invalidParams(`Cannot use the following dyno types in the same app: ${listWords(names)}`)
  }
}
