// The two wire formats of a log stream (platform-api.md section 2.5), as pure functions.
import type {LogItem} from './subscription.js'

export type StreamFormat = 'sse' | 'text'

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
  return accept !== undefined && /(^|[\s,])text\/event-stream(\s*[;,]|\s*$)/i.test(accept) ? 'sse' : 'text'
}

/**
 * One event for one line: `id: <n>` (for Last-Event-ID on reconnect), then `data: <line>`. Notices
 * carry no id, so a reconnect resumes after the last real line. Lines never hold a line break (the
 * router splits on them), so one data field is enough.
 */
export function sseEvent(item: LogItem): string {
  return item.id === undefined ? `data: ${item.text}\n\n` : `id: ${item.id}\ndata: ${item.text}\n\n`
}

/**
 * One event for a whole batch: one `data:` field per line (an SSE client joins them with `\n`;
 * Heroku's CLI and tug split the data on it), and the id of the batch's last line, so that a
 * reconnect's Last-Event-ID resumes after the batch. A batch of notices alone has no id, as a
 * notice has none. A busy tail thus costs one event per batch instead of one per line.
 */
export function sseEvents(items: readonly LogItem[]): string {
  if (items.length === 0) return ''
  let lastId: number | undefined
  for (let i = items.length - 1; i >= 0 && lastId === undefined; i--) lastId = items[i]?.id
  let out = lastId === undefined ? '' : `id: ${lastId}\n`
  for (const item of items) out += 'data: ' + item.text + '\n'
  return out + '\n'
}

/** One line per `\n`. */
export function textLines(items: readonly LogItem[]): string {
  let out = ''
  for (const item of items) out += item.text + '\n'
  return out
}

export function serialise(format: StreamFormat, items: readonly LogItem[]): string {
  return format === 'sse' ? sseEvents(items) : textLines(items)
}

/** The id to resume after from a `Last-Event-ID` header, or undefined when there is none. */
export function parseLastEventId(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[value.length - 1] : value
  if (text === undefined || !/^\s*\d{1,15}\s*$/.test(text)) return undefined
  return Number(text)
}
