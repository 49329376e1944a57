// Reads a log session's stream (logplex_url): Server-Sent Events, or plain text one line per
// `\n`, whichever the server answers with. The URL is a capability, so no Authorization is sent.
// Like the client, it uses the global fetch with an undici dispatcher, so nock sees the real path.
import {StringDecoder} from 'node:string_decoder'
import type {Dispatcher} from 'undici'

import {FrameParser, FRAMES_TYPE} from '../../shared/log-frames.js'
import {LineSplitter} from '../../shared/line-splitter.js'
import {ApiError, NetworkError} from '../errors.js'
import {defaultDispatcher, usesProxy} from './dispatcher.js'
import {openStream, type StreamResponse} from './stream-response.js'
import {apiErrorFrom, defaultUserAgent, describeNetworkError} from './request.js'

export interface StreamLine {
  id?: string
  line: string
}

export interface ReadLogStreamOptions {
  /** Keep reading, and reconnect (resuming from the last event id) when the connection drops. */
  tail: boolean
  lastEventId?: string
  /** Aborting ends the iteration quietly: a stopped `logs --tail` is not a failure. */
  signal?: AbortSignal
  dispatcher?: Dispatcher
  sleep?: (ms: number) => Promise<void>
  onReconnect?: (lastEventId?: string) => void
  /**
   * A fresh stream URL that starts at the present (a new session without history), for a tail
   * that cannot resume: lines came without event ids (Heroku's logplex URL is plain text), so
   * the same URL would send its history again. Without it, such a tail reconnects to the same URL.
   */
  renew?: () => Promise<string>
  /** Called each time a tail started afresh through `renew`: lines in between may be missing. */
  onGap?: () => void
}

const CONNECT_TIMEOUT_MS = 30_000
/** Longer than any keep-alive interval a server would use; a dead socket is noticed after it. */
const IDLE_TIMEOUT_MS = 300_000
const RECONNECT_BASE_MS = 1000
const RECONNECT_CAP_MS = 15_000
/** Consecutive failed reconnects before giving up. */
export const MAX_RECONNECTS = 8
/** A connection that stayed open this long was healthy, even if the app logged nothing. */
const HEALTHY_CONNECTION_MS = 30_000

const NUMERIC_ID = /^\d{1,15}$/

export const LOG_STREAM_TIMED_OUT = 'Log stream timed out. Please try again.'

export interface SseEvent {
  type: string
  data: string
  /** The last event id in effect when the event was dispatched (empty: none). */
  lastEventId: string
}

/** An event with its data as the lines of its `data` fields (what `data` joins with `\n`). */
export interface SseLinesEvent {
  type: string
  lines: string[]
  lastEventId: string
}

const DATA_FIELD = 'data: '

/**
 * An incremental Server-Sent Events parser (the WHATWG event-stream rules): feed it decoded
 * text in chunks of any size; it returns the events completed so far. `push` and `end` give each
 * event's data as one string; `pushLines` and `endLines` as its lines, for a reader that splits
 * them anyway (a log stream sends many lines per event).
 */
export class SseParser {
  /** The id of the last event dispatched: an id in a cut-off event does not count. */
  lastEventId = ''
  /** A `retry:` field's reconnection time, when the server sent one. */
  retryMs: number | undefined
  private buffer = ''
  private idBuffer = ''
  private data: string[] = []
  private type = ''
  private started = false

  push(text: string): SseEvent[] {
    return this.pushLines(text).map(joined)
  }

  /** At the end of the stream an event without its blank line is incomplete and dropped. */
  end(): SseEvent[] {
    return this.endLines().map(joined)
  }

  pushLines(text: string): SseLinesEvent[] {
    this.buffer += text
    if (!this.started && this.buffer.length > 0) {
      this.started = true
      if (this.buffer.startsWith('\uFEFF')) this.buffer = this.buffer.slice(1)
    }
    const events: SseLinesEvent[] = []
    const buffer = this.buffer
    let start = 0
    // The next LF and CR at or after `start` (-1: none left), found with indexOf rather than a
    // loop over every character: a busy log stream is parsed at a million lines/s.
    let lf = buffer.indexOf('\n')
    let cr = buffer.indexOf('\r')
    while (lf !== -1 || cr !== -1) {
      const i = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr)
      const isCr = i === cr
      // A CR at the very end may be the first half of a CRLF split across chunks: wait for more.
      if (isCr && i === buffer.length - 1) break
      // The usual line, `data: <value>`, is taken without slicing it twice.
      if (buffer.startsWith(DATA_FIELD, start)) {
        this.data.push(buffer.slice(start + DATA_FIELD.length, i))
      } else {
        const event = this.line(buffer.slice(start, i))
        if (event) events.push(event)
      }
      start = isCr && buffer.charCodeAt(i + 1) === 10 ? i + 2 : i + 1
      if (lf !== -1 && lf < start) lf = buffer.indexOf('\n', start)
      if (cr !== -1 && cr < start) cr = buffer.indexOf('\r', start)
    }
    this.buffer = buffer.slice(start)
    return events
  }

  endLines(): SseLinesEvent[] {
    const events = this.buffer.endsWith('\r') ? this.pushLines('\n') : []
    this.buffer = ''
    this.idBuffer = this.lastEventId
    this.resetEvent()
    return events
  }

  private line(line: string): SseLinesEvent | undefined {
    if (line === '') return this.dispatch()
    if (line.startsWith(':')) return undefined
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    switch (field) {
      case 'data':
        this.data.push(value)
        break
      case 'id':
        if (!value.includes('\0')) this.idBuffer = value
        break
      case 'event':
        this.type = value
        break
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value)
        break
      default:
        break
    }
    return undefined
  }

  private dispatch(): SseLinesEvent | undefined {
    this.lastEventId = this.idBuffer
    const event = this.data.length > 0 ? {type: this.type || 'message', lines: this.data, lastEventId: this.lastEventId} : undefined
    this.resetEvent()
    return event
  }

  private resetEvent(): void {
    if (this.data.length > 0) this.data = []
    this.type = ''
  }
}

function joined(event: SseLinesEvent): SseEvent {
  return {type: event.type, data: event.lines.join('\n'), lastEventId: event.lastEventId}
}

function abortableSleep(signal?: AbortSignal): (ms: number) => Promise<void> {
  return (ms) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve()
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      signal?.addEventListener('abort', done, {once: true})
    })
}

type Outcome = {kind: 'ended'} | {kind: 'dropped'; error: unknown}

/**
 * Text to print as it is (tug's frames stream): the lines of whole frames, each ended by `\n`,
 * never looked at one by one.
 */
export interface RawLines {
  raw: Buffer[]
  /** How many lines the buffers hold. */
  lines: number
}

/** Line by line: the lines of `readLogBatches`, one at a time. */
export async function* readLogStream(url: string, options: ReadLogStreamOptions): AsyncGenerator<StreamLine, void, undefined> {
  for await (const batch of readLogBatches(url, options)) yield* batch
}

/**
 * The lines of a log stream in batches, as they arrive: every line that one read of the response
 * completed, in order (never an empty batch). With `tail`, reconnects and resumes as it goes.
 */
export async function* readLogBatches(firstUrl: string, options: ReadLogStreamOptions): AsyncGenerator<StreamLine[], void, undefined> {
  // Without asking for frames no server sends them: every chunk is lines.
  for await (const chunk of readLogChunks(firstUrl, options, false)) if (Array.isArray(chunk)) yield chunk
}

/**
 * The same, for a reader that prints lines as they are: with `frames`, it asks for tug's frames
 * format too, and a tug control plane's stream then comes as RawLines (other servers' as lines).
 */
export async function* readLogChunks(firstUrl: string, options: ReadLogStreamOptions, frames: boolean): AsyncGenerator<StreamLine[] | RawLines, void, undefined> {
  const {signal, tail} = options
  const sleep = options.sleep ?? abortableSleep(signal)
  let url = firstUrl
  let origin = new URL(url).origin
  // Frames go through node:http unless a proxy is set or a dispatcher is injected: undici (~25 ms
  // to load) is then not loaded at all.
  const nodeHttp = frames && options.dispatcher === undefined && !usesProxy()
  const dispatcher = nodeHttp ? undefined : (options.dispatcher ?? (await defaultDispatcher({timeoutMs: CONNECT_TIMEOUT_MS, bodyTimeoutMs: IDLE_TIMEOUT_MS})))
  let lastEventId = options.lastEventId
  let retryMs = RECONNECT_BASE_MS
  let failures = 0
  let everConnected = false
  /** Lines were read from `url` that no event id can resume after: reconnecting there would repeat them. */
  let unresumable = false
  /** The server answered a Last-Event-ID with lines from before it: later reconnects renew instead. */
  let ignoresResume = false

  const reconnectOrThrow = async (error: unknown): Promise<boolean> => {
    failures++
    if (failures > MAX_RECONNECTS) {
      throw new NetworkError(`The log stream from ${origin} dropped and could not be resumed after ${MAX_RECONNECTS} attempts: ${describe(error)}`, {cause: error})
    }
    await sleep(Math.min(RECONNECT_CAP_MS, retryMs * 2 ** (failures - 1)))
    if (signal?.aborted) return false
    options.onReconnect?.(lastEventId)
    return true
  }

  while (!signal?.aborted) {
    if (options.renew && (unresumable || (ignoresResume && lastEventId !== undefined))) {
      try {
        url = await options.renew()
      } catch (error) {
        if (signal?.aborted) return
        const transient = error instanceof NetworkError || (error instanceof ApiError && (error.status === 429 || error.status >= 500))
        if (!transient) throw error
        if (await reconnectOrThrow(error)) continue
        return
      }
      origin = new URL(url).origin
      unresumable = false
      lastEventId = undefined
      options.onGap?.()
    }
    const headers: Record<string, string> = {Accept: frames ? `${FRAMES_TYPE}, text/event-stream;q=0.9` : 'text/event-stream', 'User-Agent': defaultUserAgent()}
    if (lastEventId) headers['Last-Event-ID'] = lastEventId

    let response: StreamResponse
    try {
      response = await openStream(url, {headers, signal, dispatcher, connectTimeoutMs: CONNECT_TIMEOUT_MS, idleTimeoutMs: IDLE_TIMEOUT_MS})
    } catch (error) {
      if (signal?.aborted) return
      if (!tail) throw new NetworkError(`Could not read the log stream from ${origin}: ${describe(error)}`, {cause: error})
      if (await reconnectOrThrow(error)) continue
      return
    }

    if (response.status === 404 || response.status === 403) {
      await response.cancel()
      // The session is gone (they expire): Heroku's CLI says the same thing in this case.
      throw new ApiError({status: response.status, id: 'log_stream_timed_out', message: LOG_STREAM_TIMED_OUT, requestId: response.header('request-id')})
    }
    // 204 is how an event stream says "do not reconnect".
    if (response.status === 204) {
      await response.cancel()
      return
    }
    if (response.status < 200 || response.status > 299) {
      const text = await response.text().catch(() => '')
      const error = apiErrorFrom(response.status, text, 'GET', new URL(url).pathname, response.header('request-id'))
      const transient = response.status === 429 || response.status >= 500
      if (!tail || !transient || !everConnected) throw error
      if (await reconnectOrThrow(error)) continue
      return
    }

    everConnected = true
    const openedAt = Date.now()
    const contentType = (response.header('content-type') ?? '').toLowerCase()
    const isSse = contentType.includes('text/event-stream')
    const isFrames = frames && contentType.includes(FRAMES_TYPE)
    const framer = new FrameParser()
    const sse = new SseParser()
    let plain: StreamLine[] = []
    const lines = new LineSplitter((line) => plain.push({line}))
    // StringDecoder rather than TextDecoder: the same UTF-8 across chunk boundaries at a fraction
    // of the cost (TextDecoder's streaming decode was a third of a busy tail's CPU). A byte order
    // mark at the very start is dropped, as TextDecoder drops it.
    const decoder = new StringDecoder('utf8')
    let first = true
    const decode = (bytes: Uint8Array | undefined): string => {
      let text = bytes === undefined ? decoder.end() : decoder.write(bytes as Buffer)
      if (first && text !== '') {
        first = false
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
      }
      return text
    }
    let received = false
    let outcome: Outcome = {kind: 'ended'}
    // A server that ignores Last-Event-ID starts with the history again: with numeric ids (they
    // grow along a stream), the events up to the one resumed after are that replay, printed before.
    const resumedFrom = lastEventId !== undefined && NUMERIC_ID.test(lastEventId) ? Number(lastEventId) : undefined
    let replaying = resumedFrom !== undefined

    const toLines = (text: string, ending: boolean): StreamLine[] => {
      if (!isSse) {
        lines.push(text)
        if (ending) lines.end()
        if (plain.length > 0) unresumable = true
        const out = plain
        plain = []
        return out
      }
      const out: StreamLine[] = []
      const events = ending ? [...sse.pushLines(text), ...sse.endLines()] : sse.pushLines(text)
      for (const event of events) {
        if (event.type !== 'message') continue
        const id = event.lastEventId || undefined
        if (replaying) {
          if (id !== undefined && NUMERIC_ID.test(id) && Number(id) <= (resumedFrom as number)) {
            ignoresResume = true
            continue
          }
          replaying = false
        }
        unresumable = id === undefined
        // An event may carry many lines (one per data field): they share its id.
        if (id === undefined) for (const line of event.lines) out.push({line})
        else for (const line of event.lines) out.push({id, line})
      }
      if (sse.lastEventId && !replaying) lastEventId = sse.lastEventId
      if (sse.retryMs !== undefined) retryMs = Math.max(100, sse.retryMs)
      return out
    }

    try {
      for (;;) {
        let chunk: Uint8Array | undefined
        try {
          chunk = await response.read()
        } catch (error) {
          outcome = {kind: 'dropped', error}
          break
        }
        if (chunk === undefined) break
        if (chunk.length > 0) received = true
        if (isFrames) {
          // Whole frames only: the id resumed after is always that of the last text printed.
          const out = framer.push(chunk)
          if (framer.lastId !== '') lastEventId = framer.lastId
          if (out.lines > 0) yield {raw: out.bodies, lines: out.lines}
          continue
        }
        const batch = toLines(decode(chunk), false)
        if (batch.length > 0) yield batch
      }
      if (outcome.kind === 'ended' && !isFrames) {
        const batch = toLines(decode(undefined), true)
        if (batch.length > 0) yield batch
      }
    } finally {
      // Also runs when the consumer stops early: release the connection.
      await response.cancel()
    }

    if (signal?.aborted) return
    if (outcome.kind === 'dropped' && !tail) {
      throw new NetworkError(`The log stream from ${origin} broke off: ${describe(outcome.error)}`, {cause: outcome.error})
    }
    if (!tail) return
    if (received || Date.now() - openedAt >= HEALTHY_CONNECTION_MS) failures = 0
    if (!(await reconnectOrThrow(outcome.kind === 'dropped' ? outcome.error : new Error('the server closed the stream')))) return
  }
}

function describe(error: unknown): string {
  return error instanceof ApiError ? error.message : describeNetworkError(error)
}
