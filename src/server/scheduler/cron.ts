// Cron expressions for scheduled one-off dynos: parse once, then ask for the next run after a
// given instant in an IANA time zone. Pure (no clock, no timers) and dependency-free: time zone
// offsets come from Intl.DateTimeFormat.
//
// Syntax, as Vixie cron: five fields `minute hour day-of-month month day-of-week`, each a list of
// `*`, `N`, `N-M`, with an optional `/STEP` (`N/STEP` means N to the end of the range, as in
// cronie); month and day names (`jan`, `mon`), day of week 0-7 with 0 and 7 both Sunday; the
// macros @yearly @annually @monthly @weekly @daily @midnight @hourly.
//
// The day rule of Vixie cron: when both day-of-month and day-of-week are restricted (neither
// starts with `*`), a day matches if EITHER does (`0 0 1 * mon`: the 1st and every Monday);
// otherwise both must match (`0 0 */2 * mon`: Mondays on odd days).
//
// Daylight saving time, as cronie does it:
// - A job at a fixed time (its hour field does not start with `*`) runs once per local day:
//   if its time is skipped by the clock going forward, it runs once at the first minute after
//   the jump; if its time occurs twice when the clock goes back, it runs at the first occurrence.
// - A job whose hour field starts with `*` is an interval job (`*/10 * * * *`, `0 * * * *`): it
//   runs at every instant whose local time matches, both passes of a repeated hour included, and
//   local times that do not exist are simply not run.

export type CronFieldName = 'minute' | 'hour' | 'day-of-month' | 'month' | 'day-of-week'

export class CronError extends Error {
  /** The field at fault; 'expression' for the shape as a whole, 'time-zone' for an unknown zone. */
  readonly field: CronFieldName | 'expression' | 'time-zone'
  readonly expression: string

  constructor(expression: string, field: CronFieldName | 'expression' | 'time-zone', message: string) {
    super(message)
    this.name = 'CronError'
    this.field = field
    this.expression = expression
  }
}

export interface CronSchedule {
  /** As given (trimmed). */
  readonly expression: string
  readonly minutes: readonly number[]
  readonly hours: readonly number[]
  readonly daysOfMonth: readonly number[]
  readonly months: readonly number[]
  /** 0 = Sunday ... 6 = Saturday. */
  readonly daysOfWeek: readonly number[]
  /** Day-of-month field starts with `*` (Vixie's DOM_STAR). */
  readonly domStar: boolean
  /** Day-of-week field starts with `*` (Vixie's DOW_STAR). */
  readonly dowStar: boolean
  /** Hour field starts with `*`: an interval job for the DST rules above. */
  readonly hourStar: boolean
}

export const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
}

interface FieldSpec {
  name: CronFieldName
  min: number
  max: number
  names?: readonly string[]
  /** Where names[0] counts from. */
  nameBase?: number
  describe: string
}

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] as const
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const

const FIELDS: readonly FieldSpec[] = [
  {name: 'minute', min: 0, max: 59, describe: 'a minute (0-59)'},
  {name: 'hour', min: 0, max: 23, describe: 'an hour (0-23)'},
  {name: 'day-of-month', min: 1, max: 31, describe: 'a day of the month (1-31)'},
  {name: 'month', min: 1, max: 12, names: MONTH_NAMES, nameBase: 1, describe: 'a month (1-12 or jan-dec)'},
  {name: 'day-of-week', min: 0, max: 7, names: DAY_NAMES, nameBase: 0, describe: 'a day of the week (0-7 or sun-sat)'},
]

/** Days in each month in a leap year: a day that fits nowhere here can never run. */
const MAX_DAYS = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function parseValue(text: string, spec: FieldSpec, fail: (message: string) => never): number {
  if (/^\d+$/.test(text)) {
    const value = Number(text)
    if (value < spec.min || value > spec.max) fail(`${value} is out of range ${spec.min}-${spec.max}`)
    return value
  }
  const index = spec.names?.indexOf(text.toLowerCase()) ?? -1
  if (index < 0) fail(`"${text}" is not ${spec.describe}`)
  return index + (spec.nameBase ?? 0)
}

function parseField(text: string, spec: FieldSpec, expression: string): number[] {
  // Annotated so that TypeScript treats a call as the end of the branch.
  const fail: (message: string) => never = (message) => {
    throw new CronError(expression, spec.name, `Invalid cron expression "${expression}": ${spec.name} field "${text}": ${message}`)
  }
  const values = new Set<number>()
  // '*' in day-of-week means the seven days once, not 0-7.
  const starMax = spec.name === 'day-of-week' ? 6 : spec.max
  for (const item of text.split(',')) {
    if (item === '') fail('empty list item')
    const parts = item.split('/')
    if (parts.length > 2) fail(`"${item}" has more than one /`)
    const [range = '', stepText] = parts
    let step = 1
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText)) fail(`step "${stepText}" is not a number`)
      step = Number(stepText)
      const span = starMax - spec.min + 1
      if (step < 1 || step > span) fail(`step ${step} is out of range 1-${span}`)
    }
    let low: number
    let high: number
    if (range === '*') {
      low = spec.min
      high = starMax
    } else if (range.includes('-')) {
      const bounds = range.split('-')
      if (bounds.length !== 2 || bounds[0] === '' || bounds[1] === '') fail(`"${range}" is not a range`)
      low = parseValue(bounds[0] ?? '', spec, fail)
      high = parseValue(bounds[1] ?? '', spec, fail)
      if (low > high) fail(`range ${range} goes backwards`)
    } else if (range === '') {
      fail(`"${item}" has no value before the /`)
    } else {
      low = parseValue(range, spec, fail)
      high = stepText === undefined ? low : spec.max
    }
    for (let value = low; value <= high; value += step) values.add(spec.name === 'day-of-week' && value === 7 ? 0 : value)
  }
  return [...values].sort((a, b) => a - b)
}

/** Parses a cron expression; throws CronError naming the field at fault. */
export function parseCron(input: string): CronSchedule {
  const expression = input.trim()
  let body = expression
  if (body.startsWith('@')) {
    const macro = MACROS[body.toLowerCase()]
    if (macro === undefined) {
      throw new CronError(expression, 'expression', `Invalid cron expression "${expression}": unknown macro (use ${Object.keys(MACROS).join(', ')})`)
    }
    body = macro
  }
  const texts = body === '' ? [] : body.split(/\s+/)
  if (texts.length !== FIELDS.length) {
    throw new CronError(
      expression,
      'expression',
      `Invalid cron expression "${expression}": expected 5 fields (minute hour day-of-month month day-of-week), got ${texts.length}`,
    )
  }
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = FIELDS.map((spec, i) => parseField(texts[i] ?? '', spec, expression))
  const schedule: CronSchedule = {
    expression,
    minutes: minutes ?? [],
    hours: hours ?? [],
    daysOfMonth: daysOfMonth ?? [],
    months: months ?? [],
    daysOfWeek: daysOfWeek ?? [],
    domStar: (texts[2] ?? '').startsWith('*'),
    hourStar: (texts[1] ?? '').startsWith('*'),
    dowStar: (texts[4] ?? '').startsWith('*'),
  }
  // With day-of-week unrestricted, only day-of-month decides: `0 0 30 feb *` would never run.
  if (schedule.dowStar && !schedule.months.some((month) => schedule.daysOfMonth.some((day) => day <= (MAX_DAYS[month] ?? 0)))) {
    throw new CronError(
      expression,
      'day-of-month',
      `Invalid cron expression "${expression}": day-of-month field "${texts[2]}": no such day in the months "${texts[3]}", so it would never run`,
    )
  }
  return schedule
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone)
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      })
    } catch {
      throw new CronError('', 'time-zone', `Unknown time zone "${timeZone}" (use an IANA name like Europe/Berlin or America/New_York)`)
    }
    formatters.set(timeZone, format)
  }
  return format
}

/** Throws CronError for a name Intl does not know as an IANA time zone. */
export function assertTimeZone(timeZone: string): void {
  formatter(timeZone)
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone)
    return true
  } catch {
    return false
  }
}

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
/** Feb 29 with a restricted day of week set aside, the longest wait is 8 years (2096 to 2104). */
const SEARCH_LIMIT_MS = 9 * 366 * DAY
/** Longer than any DST shift (2 h at most, Antarctica/Troll): how far back a repeated hour may start. */
const LOOKBACK_MS = 3 * HOUR

/** Local wall time minus UTC, in ms, at instant `t` (to the second). */
function offsetAt(format: Intl.DateTimeFormat, t: number): number {
  const at = Math.floor(t / SECOND) * SECOND
  const parts: Record<string, number> = {}
  for (const part of format.formatToParts(new Date(at))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value)
  }
  const local = Date.UTC(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
  return local - at
}

/** The first instant in (lo, hi] whose offset is not `offset`, given offsetAt(hi) differs from it. */
function findTransition(format: Intl.DateTimeFormat, lo: number, hi: number, offset: number): number {
  while (hi - lo > SECOND) {
    const mid = lo + Math.floor((hi - lo) / 2 / SECOND) * SECOND
    if (offsetAt(format, mid) === offset) lo = mid
    else hi = mid
  }
  return hi
}

function dayMatches(schedule: CronSchedule, date: Date): boolean {
  const dom = schedule.daysOfMonth.includes(date.getUTCDate())
  const dow = schedule.daysOfWeek.includes(date.getUTCDay())
  return schedule.domStar || schedule.dowStar ? dom && dow : dom || dow
}

/**
 * The first local wall time in [from, before) that matches, as a UTC-based ms number (wall
 * times are computed with UTC arithmetic, which has no DST). `from` is rounded up to a minute.
 */
function firstMatchingWall(schedule: CronSchedule, from: number, before: number): number | undefined {
  let wall = Math.ceil(from / MINUTE) * MINUTE
  while (wall < before) {
    const date = new Date(wall)
    const year = date.getUTCFullYear()
    const month = date.getUTCMonth()
    const day = date.getUTCDate()
    const hour = date.getUTCHours()
    if (!schedule.months.includes(month + 1)) wall = Date.UTC(year, month + 1, 1)
    else if (!dayMatches(schedule, date)) wall = Date.UTC(year, month, day + 1)
    else if (!schedule.hours.includes(hour)) wall = Date.UTC(year, month, day, hour + 1)
    else if (!schedule.minutes.includes(date.getUTCMinutes())) wall += MINUTE
    else return wall
  }
  return undefined
}

/**
 * The next instant strictly after `after` (at a whole minute) at which the schedule runs, in
 * `timeZone` (IANA name, default UTC), with the DST rules given at the top of this file.
 */
export function nextRun(schedule: CronSchedule, after: Date, timeZone: string = 'UTC'): Date {
  const format = formatter(timeZone)
  const afterMs = after.getTime()
  if (!Number.isFinite(afterMs)) throw new RangeError('nextRun: invalid date')
  const fixedTime = !schedule.hourStar
  // The walk goes through spans of constant UTC offset; within one, wall time = instant + offset.
  let start = Math.floor(afterMs / MINUTE) * MINUTE
  let offset = offsetAt(format, start)
  // Fixed-time jobs never run twice in a repeated hour: if `after` is in the second pass, the
  // walls of the first pass are done already.
  let from = start + offset + MINUTE
  let minWall = -Infinity
  if (fixedTime) {
    const earlier = offsetAt(format, start - LOOKBACK_MS)
    if (earlier > offset) {
      const transition = findTransition(format, start - LOOKBACK_MS, start, earlier)
      minWall = Math.max(minWall, transition + earlier)
    }
  }
  const limit = start + SEARCH_LIMIT_MS
  while (start < limit) {
    let end = start + DAY
    let endOffset = offsetAt(format, end)
    const changes = endOffset !== offset
    if (changes) {
      end = findTransition(format, start, end, offset)
      endOffset = offsetAt(format, end)
    }
    const wall = firstMatchingWall(schedule, Math.max(from, minWall), end + offset)
    if (wall !== undefined) return new Date(wall - offset)
    if (changes && fixedTime) {
      if (endOffset > offset) {
        // Clock forward: walls [end + offset, end + endOffset) never happen. A run due then
        // happens once, at the first minute after the jump.
        if (end > afterMs && firstMatchingWall(schedule, end + offset, end + endOffset) !== undefined) {
          return new Date(Math.ceil(end / MINUTE) * MINUTE)
        }
      } else {
        // Clock back: walls [end + endOffset, end + offset) come again, and ran the first time.
        minWall = end + offset
      }
    }
    start = end
    offset = endOffset
    from = start + offset
  }
  throw new CronError(schedule.expression, 'expression', `Cron expression "${schedule.expression}" has no run in the next 9 years`)
}

/** The next `count` runs after `after`, for listings and tests. */
export function nextRuns(schedule: CronSchedule, after: Date, count: number, timeZone: string = 'UTC'): Date[] {
  const runs: Date[] = []
  let from = after
  for (let i = 0; i < count; i++) {
    from = nextRun(schedule, from, timeZone)
    runs.push(from)
  }
  return runs
}
