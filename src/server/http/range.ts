// The Range header of list endpoints (platform-api.md 1.7), parsed by a pure function:
//   <field> [ ']' | '[' ]<start>..[<end>][; <opt>[, <opt>…]][;]     opt: max=N | order=asc|desc
// Every form the official clients send is accepted: an empty header is no Range at all, options
// may be separated by `,` or `;`, with or without spaces, and a trailing `;` is fine.

export interface RangeSpec {
  field: string
  /** Start value; undefined means from the beginning. */
  start?: string
  /** `]` before the start: strictly after it. */
  startExclusive: boolean
  end?: string
  /** Page size, clamped to 1..1000; undefined means the endpoint's default. */
  max?: number
  order?: 'asc' | 'desc'
}

export const MAX_PAGE_SIZE = 1000
export const DEFAULT_PAGE_SIZE = 200

export class RangeSyntaxError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RangeSyntaxError'
  }
}

const RANGE = /^([A-Za-z_][\w]*)\s*([\][]?)([^]*?)\.\.([^]*)$/

/** undefined for an absent or empty header; throws RangeSyntaxError on anything malformed. */
export function parseRange(header: string | undefined): RangeSpec | undefined {
  if (header === undefined) return undefined
  const text = header.trim()
  if (text === '') return undefined
  const semicolon = text.indexOf(';')
  const rangePart = (semicolon === -1 ? text : text.slice(0, semicolon)).trim()
  const optionsPart = semicolon === -1 ? '' : text.slice(semicolon + 1)

  const match = RANGE.exec(rangePart)
  if (!match) throw new RangeSyntaxError(`Invalid Range header: ${header}`)
  const [, rawField, op, rawStart, rawEnd] = match as unknown as [string, string, string, string, string]
  const field = rawField === 'ids' ? 'id' : rawField
  const start = rawStart.trim()
  const end = rawEnd.trim()
  if (start === '' && op !== '') throw new RangeSyntaxError(`Invalid Range header: ${op} needs a start value`)
  if (start === '' && end !== '') throw new RangeSyntaxError('End-only ranges are not supported')
  const spec: RangeSpec = {field, startExclusive: op === ']'}
  if (start !== '') spec.start = start
  if (end !== '') spec.end = end

  for (const rawOption of optionsPart.split(/[;,]/)) {
    const option = rawOption.trim()
    if (option === '') continue
    const eq = option.indexOf('=')
    if (eq === -1) throw new RangeSyntaxError(`Invalid Range option: ${option}`)
    const key = option.slice(0, eq).trim()
    const value = option.slice(eq + 1).trim()
    if (key === 'max') {
      if (!/^\d{1,15}$/.test(value) || Number(value) < 1) throw new RangeSyntaxError(`Invalid Range max: ${value}`)
      spec.max = Math.min(Number(value), MAX_PAGE_SIZE)
    } else if (key === 'order') {
      if (value !== 'asc' && value !== 'desc') throw new RangeSyntaxError(`Invalid Range order: ${value}`)
      spec.order = value
    }
    // Other options are ignored, so that a client sending a newer one still gets an answer.
  }
  return spec
}

/** The Range value for the page after one that ended at `last`: exclusive start, same options. */
export function formatNextRange(spec: {field: string; end?: string; max: number; order?: 'asc' | 'desc'}, last: string): string {
  let value = `${spec.field} ]${last}..${spec.end ?? ''}; max=${spec.max}`
  if (spec.order) value += `, order=${spec.order}`
  return value
}
