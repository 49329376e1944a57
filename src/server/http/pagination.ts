// Serving a list with Range (platform-api.md 1.7): sort on the requested field, apply the bounds,
// cut a page, and answer 206 + Next-Range only when something was left out.
import type {FastifyReply, FastifyRequest} from 'fastify'
import {rangeNotSatisfiable} from './errors.js'
import {DEFAULT_PAGE_SIZE, formatNextRange, parseRange, RangeSyntaxError, type RangeSpec} from './range.js'

export type SortValue = string | number

export interface ListSpec<T> {
  /** The sortable fields, the endpoint's default first; `id` must be one of them. */
  fields: Record<string, (item: T) => SortValue>
  defaultField?: string
}

export interface Page<T> {
  items: T[]
  status: 200 | 206
  nextRange?: string
  contentRange?: string
  acceptRanges: string
}

function compare(a: SortValue, b: SortValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  const x = String(a)
  const y = String(b)
  return x < y ? -1 : x > y ? 1 : 0
}

/** Pure: the page of `items` a Range asks for. Throws the 416 HttpError on a bad Range. */
export function paginate<T extends {id: string}>(items: readonly T[], header: string | undefined, spec: ListSpec<T>): Page<T> {
  const fieldNames = Object.keys(spec.fields)
  const defaultField = spec.defaultField ?? fieldNames[0] ?? 'id'
  let range: RangeSpec | undefined
  try {
    range = parseRange(header)
  } catch (error) {
    if (error instanceof RangeSyntaxError) throw rangeNotSatisfiable(error.message)
    throw error
  }
  const field = range?.field ?? defaultField
  const key = spec.fields[field]
  if (!key) throw rangeNotSatisfiable(`Unsupported Range field: ${field}. Use one of: ${fieldNames.join(', ')}.`)
  const numeric = items.length > 0 ? typeof key(items[0] as T) === 'number' : false
  const parseBound = (value: string | undefined): SortValue | undefined => {
    if (value === undefined) return undefined
    if (!numeric) return value
    const n = Number(value)
    if (!Number.isFinite(n)) throw rangeNotSatisfiable(`Invalid Range value for ${field}: ${value}`)
    return n
  }
  const start = parseBound(range?.start)
  const end = parseBound(range?.end)
  const order = range?.order ?? 'asc'
  const max = range?.max ?? DEFAULT_PAGE_SIZE
  const direction = order === 'desc' ? -1 : 1

  const sorted = [...items].sort((a, b) => direction * (compare(key(a), key(b)) || compare(a.id, b.id)))
  const inRange = sorted.filter((item) => {
    const value = key(item)
    if (start !== undefined) {
      const c = direction * compare(value, start)
      if (c < 0 || (c === 0 && range?.startExclusive)) return false
    }
    if (end !== undefined && direction * compare(value, end) > 0) return false
    return true
  })
  const pageItems = inRange.slice(0, max)
  const truncated = inRange.length > pageItems.length
  const first = pageItems[0]
  const last = pageItems[pageItems.length - 1]
  const page: Page<T> = {items: pageItems, status: truncated ? 206 : 200, acceptRanges: fieldNames.join(', ')}
  if (first && last) page.contentRange = `${field} ${String(key(first))}..${String(key(last))}; max=${max}`
  if (truncated && last) {
    page.nextRange = formatNextRange({field, end: range?.end, max, order: range?.order}, String(key(last)))
  }
  return page
}

/** Sends a list endpoint's answer with its pagination headers. */
export function sendList<T extends {id: string}, W>(
  request: FastifyRequest,
  reply: FastifyReply,
  items: readonly T[],
  spec: ListSpec<T>,
  toWire: (item: T) => W,
): W[] {
  const page = paginate(items, request.headers.range, spec)
  reply.code(page.status)
  reply.header('Accept-Ranges', page.acceptRanges)
  if (page.contentRange) reply.header('Content-Range', page.contentRange)
  if (page.nextRange) reply.header('Next-Range', page.nextRange)
  return page.items.map(toWire)
}
