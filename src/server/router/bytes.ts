// Byte helpers for the fast path's heads (session 7): header lines read as offsets into the bytes
// they arrived in and copied from there, instead of strings sliced, trimmed and concatenated.
// Pure.

/**
 * Offsets kept per header line in a `fields` array: its start, the colon, the value's start and
 * end (trimmed), the line's end (its CR).
 */
export const FIELDS = 5

/** `buffer[at, at + length)` is `name` (lower-case letters, digits and `-`), in any case. */
export function isName(buffer: Buffer, at: number, length: number, name: string): boolean {
  if (length !== name.length) return false
  for (let i = 0; i < length; i++) if (((buffer[at + i] as number) | 0x20) !== name.charCodeAt(i)) return false
  return true
}

/** Copies `source[from, to)` to `target` at `at`; returns the end. */
export function put(target: Buffer, at: number, source: Buffer, from: number, to: number): number {
  // A loop up to a few hundred bytes: cheaper than `copy`'s view and checks.
  if (to - from > 512) return at + source.copy(target, at, from, to)
  let w = at
  for (let i = from; i < to; i++) target[w++] = source[i] as number
  return w
}

/** Writes `text` (latin1) to `target` at `at`; returns the end. */
export function putText(target: Buffer, at: number, text: string): number {
  let w = at
  for (let i = 0; i < text.length; i++) target[w++] = text.charCodeAt(i)
  return w
}

/** Whether line `l` is to be written (its mark below `omit`, or no marks). */
function kept(marks: Uint8Array | undefined, omit: number, l: number): boolean {
  return marks === undefined || (marks[l] as number) < omit
}

/** Bytes `putFields` writes for the same arguments. */
export function fieldsLength(fields: ArrayLike<number>, count: number, marks?: Uint8Array, omit = 0): number {
  let size = 0
  for (let l = 0; l < count; l++) {
    if (!kept(marks, omit, l)) continue
    const o = l * FIELDS
    size += (fields[o + 1] as number) - (fields[o] as number) + 2 + (fields[o + 3] as number) - (fields[o + 2] as number) + 2
  }
  return size
}

/**
 * Writes lines `[0, count)` of `fields` (those whose mark is below `omit`, when `marks` are given)
 * as `name: value\r\n`, the value trimmed. A run of lines sent exactly so is copied as one range.
 */
export function putFields(target: Buffer, at: number, source: Buffer, fields: ArrayLike<number>, count: number, marks?: Uint8Array, omit = 0): number {
  let w = at
  let run = -1
  let runEnd = -1
  for (let l = 0; l < count; l++) {
    if (!kept(marks, omit, l)) continue
    const o = l * FIELDS
    const start = fields[o] as number
    const colon = fields[o + 1] as number
    const vs = fields[o + 2] as number
    const ve = fields[o + 3] as number
    const end = fields[o + 4] as number
    if (plain(fields, o, source[colon + 1] === 32)) {
      if (run === -1 || runEnd !== start) {
        if (run !== -1) w = put(target, w, source, run, runEnd)
        run = start
      }
      runEnd = end + 2
      continue
    }
    if (run !== -1) w = put(target, w, source, run, runEnd)
    run = -1
    w = put(target, w, source, start, colon)
    target[w++] = 58
    target[w++] = 32
    w = put(target, w, source, vs, ve)
    target[w++] = 13
    target[w++] = 10
  }
  if (run !== -1) w = put(target, w, source, run, runEnd)
  return w
}

/** Whether the line at `o` in `fields` was sent as `name: value` exactly (one SP after the colon, no trailing OWS): it is copied as it came. */
function plain(fields: ArrayLike<number>, o: number, spaceAfterColon: boolean): boolean {
  return spaceAfterColon && fields[o + 2] === (fields[o + 1] as number) + 2 && fields[o + 3] === fields[o + 4]
}

/** `putFields` for a head read as a string (latin1): lines `[0, count)` of `fields` as `name: value\r\n`, a run of plain lines one slice. */
export function fieldsString(text: string, fields: ArrayLike<number>, count: number): string {
  let out = ''
  let run = -1
  let runEnd = -1
  for (let l = 0; l < count; l++) {
    const o = l * FIELDS
    const start = fields[o] as number
    const colon = fields[o + 1] as number
    if (plain(fields, o, text.charCodeAt(colon + 1) === 32)) {
      if (run === -1 || runEnd !== start) {
        if (run !== -1) out += text.slice(run, runEnd)
        run = start
      }
      runEnd = (fields[o + 4] as number) + 2
      continue
    }
    if (run !== -1) out += text.slice(run, runEnd)
    run = -1
    out += `${text.slice(start, colon)}: ${text.slice(fields[o + 2], fields[o + 3])}\r\n`
  }
  return run === -1 ? out : out + text.slice(run, runEnd)
}
