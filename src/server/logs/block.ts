// The unit the router stores and moves: a block of consecutive lines of one source and dyno,
// formatted once as one string. A dyno's pipe read becomes one block, so the router's cost per
// line is a share of a few native string operations, not an object and a string of its own.

/** One line as `history()` and the file give it. Source and dyno are kept for filtering, the text for the wire. */
export interface LogEntry {
  /** Per app, strictly increasing. */
  readonly id: number
  /** The formatted line: `<timestamp> <source>[<dyno>]: <message>`, no line break. */
  readonly text: string
  readonly source: string
  readonly dyno: string
  /** UTF-8 size of `text`, what the byte bounds count. */
  readonly bytes: number
}

export interface LogBlock {
  /** Id of the first line (the others follow: firstId + i); undefined for a notice (no id). */
  readonly firstId: number | undefined
  /** Lines in the block, at least 1. */
  readonly count: number
  /** The formatted lines (`<timestamp> <source>[<dyno>]: <message>`), each ended by `\n`. */
  readonly text: string
  /** UTF-8 bytes of the lines without their `\n` (what the byte bounds count). */
  readonly bytes: number
  readonly source: string
  readonly dyno: string
}

/** The id of the block's last line (undefined for a notice). */
export function lastIdOf(block: LogBlock): number | undefined {
  return block.firstId === undefined ? undefined : block.firstId + block.count - 1
}

/** UTF-8 bytes of the block's text, line breaks included: what it costs on a wire. */
export function wireBytes(block: LogBlock): number {
  return block.bytes + block.count
}

/** Offset in `text` just after the n-th `\n` (0 for n = 0). */
function offsetAfterLines(text: string, n: number): number {
  let offset = 0
  for (let i = 0; i < n; i++) offset = text.indexOf('\n', offset) + 1
  return offset
}

/**
 * Lines [from, to) of a block as a block of their own (the text is a slice: no copy). Only the
 * rare paths use it (a history or queue bound cuts a block, a resume starts inside one).
 */
export function sliceBlock(block: LogBlock, from: number, to: number = block.count): LogBlock {
  if (from <= 0 && to >= block.count) return block
  const start = offsetAfterLines(block.text, from)
  const end = start + offsetAfterLines(block.text.slice(start), to - from)
  const text = block.text.slice(start, end)
  const count = to - from
  // All ASCII (the usual case) when the UTF-8 size equals the length: then no measuring.
  const ascii = block.bytes + block.count === block.text.length
  const bytes = ascii ? text.length - count : Buffer.byteLength(text) - count
  return {firstId: block.firstId === undefined ? undefined : block.firstId + from, count, text, bytes, source: block.source, dyno: block.dyno}
}

/** The block line by line, for the readers that want lines (history(), the history's file). */
export function entriesOf(block: LogBlock): LogEntry[] {
  const out: LogEntry[] = []
  const {text, source, dyno} = block
  let start = 0
  for (let i = 0; i < block.count; i++) {
    const end = text.indexOf('\n', start)
    const line = text.slice(start, end)
    // Only blocks of the history are read as entries; a notice (no id) never is.
    out.push({id: block.firstId === undefined ? Number.NaN : block.firstId + i, text: line, source, dyno, bytes: Buffer.byteLength(line)})
    start = end + 1
  }
  return out
}

/** A block of one line (a `write`, a notice, a line loaded from the file). */
export function singleLine(firstId: number | undefined, line: string, source: string, dyno: string, bytes: number = Buffer.byteLength(line)): LogBlock {
  return {firstId, count: 1, text: line + '\n', bytes, source, dyno}
}
