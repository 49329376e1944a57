// The wire formats of a log stream (platform-api.md section 2.5, and tug's own frames), as pure
// functions.
import {FRAMES_KEEPALIVE, FRAMES_TYPE, frameHeader} from '../../shared/log-frames.js'
import {lastIdOf, wireBytes, type LogBlock} from './block.js'

export type StreamFormat = 'sse' | 'text' | 'frames'

// tug's own stream (src/shared/log-frames.ts): asked for by `Accept` (tug's CLI; nothing else
// sends it), one frame per batch, which the client copies out without looking at a line.
export {FRAMES_KEEPALIVE, FRAMES_TYPE}

export const FRAMES_HEADERS: Readonly<Record<string, string>> = {
  'content-type': FRAMES_TYPE,
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
}

/** An SSE comment: keeps proxies and the client's idle timer from closing a quiet tail. */
export const SSE_KEEPALIVE = ':\n\n'

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  // Tells nginx-style proxies not to buffer the stream.
  'x-accel-buffering': 'no',
}

export const TEXT_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/plain; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'close',
}

/**
 * `text/event-stream` when the client asks for it (the current CLI's EventSource does), plain text
 * otherwise: the legacy clients that read plain chunks send no such Accept.
 */
export function chooseFormat(accept: string | undefined): StreamFormat {
  if (accept !== undefined && accept.toLowerCase().includes(FRAMES_TYPE)) return 'frames'
  return accept !== undefined && /(^|[\s,])text\/event-stream(\s*[;,]|\s*$)/i.test(accept) ? 'sse' : 'text'
}

/** The headers of a stream in this format. */
export function headersFor(format: StreamFormat): Readonly<Record<string, string>> {
  return format === 'sse' ? SSE_HEADERS : format === 'frames' ? FRAMES_HEADERS : TEXT_HEADERS
}

// The serialisers, of the router's batches as they are (blocks): a batch costs a few native
// string operations per block, and nothing per line.

/** `data: ` before every line of the block: one native replace over its text. */
function sseData(block: LogBlock): string {
  return 'data: ' + block.text.replaceAll('\n', '\ndata: ').slice(0, -'data: '.length)
}

/**
 * One event for a whole batch: `id: <n>` (for Last-Event-ID on reconnect), the id of the batch's
 * last line, then one `data:` field per line (an SSE client joins them with `\n`; Heroku's CLI and
 * tug split the data on it), so a reconnect resumes after the batch. Notices carry no id: a batch
 * that ends with one still resumes after its last real line, and a batch of notices alone has no
 * id. Lines never hold a line break (the router splits on them). A busy tail thus costs one event
 * per batch instead of one per line; a quiet one still gets one line per event.
 */
export function sseEventOfBlocks(blocks: readonly LogBlock[]): string {
  if (blocks.length === 0) return ''
  let lastId: number | undefined
  for (let i = blocks.length - 1; i >= 0 && lastId === undefined; i--) lastId = lastIdOf(blocks[i] as LogBlock)
  const parts: string[] = lastId === undefined ? [] : [`id: ${lastId}\n`]
  for (const block of blocks) parts.push(sseData(block))
  parts.push('\n')
  return parts.join('')
}

/** Plain text, one line per `\n`: the blocks' text, as it is. */
export function textOfBlocks(blocks: readonly LogBlock[]): string {
  if (blocks.length === 1) return (blocks[0] as LogBlock).text
  let out = ''
  for (const block of blocks) out += block.text
  return out
}

/** One frame for the batch (see FRAMES_TYPE); its byte count is known without measuring. */
export function frameOfBlocks(blocks: readonly LogBlock[]): string {
  return blocks.length === 0 ? '' : frameHeaderOf(blocks) + textOfBlocks(blocks)
}

function frameHeaderOf(blocks: readonly LogBlock[]): string {
  let lastId: number | undefined
  let lines = 0
  let bytes = 0
  for (const block of blocks) {
    lastId = lastIdOf(block) ?? lastId
    lines += block.count
    bytes += wireBytes(block)
  }
  return frameHeader(lastId, lines, bytes)
}

export function serialiseBlocks(format: StreamFormat, blocks: readonly LogBlock[]): string {
  return format === 'sse' ? sseEventOfBlocks(blocks) : format === 'frames' ? frameOfBlocks(blocks) : textOfBlocks(blocks)
}

/**
 * The same bytes as `serialiseBlocks`, as pieces to write one after the other: a block's text
 * goes out as the string it is, never copied into a bigger one (a response corks the writes of
 * one turn into one writev anyway).
 */
export function piecesOfBlocks(format: StreamFormat, blocks: readonly LogBlock[]): string[] {
  if (format === 'sse' || blocks.length === 0) return [serialiseBlocks(format, blocks)]
  const pieces = format === 'frames' ? [frameHeaderOf(blocks)] : []
  for (const block of blocks) pieces.push(block.text)
  return pieces
}

/** The id to resume after from a `Last-Event-ID` header, or undefined when there is none. */
export function parseLastEventId(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[value.length - 1] : value
  if (text === undefined || !/^\s*\d{1,15}\s*$/.test(text)) return undefined
  return Number(text)
}
