// Copies a log stream to stdout, line by line, and stops quietly when stdout's reader goes away
// (`tug logs | head`): a closed pipe is a normal way for a log reader to end.
import {readLogBatches, readLogChunks, type RawLines, type StreamLine} from '../api/stream.js'
import type {OutStream} from '../cli/io.js'
import {colorizeLogLine, parseLogLine} from '../../shared/log-line.js'

export interface DisplayOptions {
  url: string
  tail: boolean
  stdout: OutStream
  color: boolean
  /** One JSON object per line (`{timestamp, source, dyno, message}`) instead of text. */
  json?: boolean
  /** Back-off between reconnects (injected by tests). */
  sleep?: (ms: number) => Promise<void>
  /**
   * The lines asked for: without --tail, at most the last this many are printed, whatever the
   * server sent (a server may send more history than asked).
   */
  lines?: number
  /** A new session URL without history, for a tail whose server cannot resume (see readLogStream). */
  renew?: () => Promise<string>
  /** Where the one notice that lines may be missing goes (a tail that had to start afresh). */
  stderr?: OutStream
}

export const GAP_NOTICE = 'Notice: the log stream ended and this server cannot resume it, so tug follows new lines from now on; some lines may be missing in between.'

/** The last `count` lines of a finite stream, in order: the trim a server that sends extra history needs. */
export async function* lastLines(source: AsyncIterable<StreamLine>, count: number): AsyncGenerator<StreamLine, void, undefined> {
  const kept: StreamLine[] = []
  if (count <= 0) {
    // Read to the end all the same, so that errors surface as they would untrimmed.
    for await (const line of source) void line
    return
  }
  let start = 0
  for await (const line of source) {
    // A ring over one array: `count` is at most the history size, and shift() would be O(n).
    if (kept.length < count) kept.push(line)
    else {
      kept[start] = line
      start = (start + 1) % count
    }
  }
  for (let i = 0; i < kept.length; i++) yield kept[(start + i) % kept.length] as StreamLine
}

/** The same trim for batches: one batch at the end, of at most the last `count` lines. */
async function* lastBatch(source: AsyncIterable<StreamLine[]>, count: number): AsyncGenerator<StreamLine[], void, undefined> {
  async function* each(): AsyncGenerator<StreamLine, void, undefined> {
    for await (const batch of source) yield* batch
  }
  const kept: StreamLine[] = []
  for await (const line of lastLines(each(), count)) kept.push(line)
  if (kept.length > 0) yield kept
}

/** The trim for a finite read of lines; frames (tug's server, which sends what was asked) pass as they are. */
async function* trimmed(source: AsyncIterable<StreamLine[] | RawLines>, count: number): AsyncGenerator<StreamLine[] | RawLines, void, undefined> {
  const raw: RawLines[] = []
  async function* lineBatches(): AsyncGenerator<StreamLine[], void, undefined> {
    for await (const chunk of source) {
      if (Array.isArray(chunk)) yield chunk
      else raw.push(chunk)
    }
  }
  for await (const batch of lastBatch(lineBatches(), count)) yield batch
  yield* raw
}

function isPipeClosed(error: unknown): boolean {
  const code = (error as {code?: unknown} | undefined)?.code
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END'
}

export function renderLine(line: string, options: Pick<DisplayOptions, 'color' | 'json'>): string {
  if (options.json) {
    const parsed = parseLogLine(line)
    return JSON.stringify(parsed ?? {message: line})
  }
  return colorizeLogLine(line, options.color)
}

/** A batch of lines as the text to print, each ended by `\n`. */
export function renderBatch(batch: readonly StreamLine[], options: Pick<DisplayOptions, 'color' | 'json'>): string {
  // One join: the text is built flat once, not as a tree of pieces that the write flattens.
  const texts = new Array<string>(batch.length + 1)
  const plain = !options.json && !options.color
  for (let i = 0; i < batch.length; i++) {
    const line = (batch[i] as StreamLine).line
    texts[i] = plain ? line : renderLine(line, options)
  }
  texts[batch.length] = ''
  return texts.join('\n')
}

/** Resolves when the stream ends, or as soon as stdout is closed; rejects on other failures. */
export async function displayLogs(options: DisplayOptions): Promise<{lines: number; closed: boolean}> {
  const {stdout} = options
  const controller = new AbortController()
  let closed = false
  let pipeError: unknown
  const onError = (error: unknown): void => {
    if (isPipeClosed(error)) {
      closed = true
      controller.abort()
    } else {
      pipeError = error
      controller.abort()
    }
  }
  stdout.on('error', onError)
  let lines = 0
  let noticed = false
  const onGap = (): void => {
    if (noticed || !options.stderr) return
    noticed = true
    options.stderr.write(GAP_NOTICE + '\n')
  }
  const readOptions = {tail: options.tail, signal: controller.signal, sleep: options.sleep, renew: options.renew, onGap}
  // Plain output is the text as it comes: tug's frames go straight to stdout as bytes. (A finite
  // read still trims to `lines` for servers that send more history; a frames server never does.)
  const plain = !options.json && !options.color
  const trim = !options.tail && options.lines !== undefined
  const stream: AsyncIterable<StreamLine[] | RawLines> = plain ? readLogChunks(options.url, readOptions, true) : readLogBatches(options.url, readOptions)
  try {
    // Every line one read of the stream completed goes out in one write: a busy tail costs a
    // write per network chunk, not one per line.
    for await (const chunk of trim ? trimmed(stream, options.lines as number) : stream) {
      if (closed) break
      const ok = stdout.write(Array.isArray(chunk) ? renderBatch(chunk, options) : chunk.raw.length === 1 ? (chunk.raw[0] as Buffer) : Buffer.concat(chunk.raw), (error?: Error | null) => {
        if (error) onError(error)
      })
      lines += Array.isArray(chunk) ? chunk.length : chunk.lines
      if ((stdout as {destroyed?: boolean}).destroyed) onError(Object.assign(new Error('stdout closed'), {code: 'EPIPE'}))
      if (!ok && !closed && !pipeError) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            stdout.removeListener('drain', done)
            controller.signal.removeEventListener('abort', done)
            resolve()
          }
          stdout.on('drain', done)
          controller.signal.addEventListener('abort', done)
        })
      }
    }
  } catch (error) {
    if (!closed && !pipeError) throw error
  } finally {
    stdout.removeListener('error', onError)
  }
  if (pipeError) throw pipeError
  return {lines, closed}
}
