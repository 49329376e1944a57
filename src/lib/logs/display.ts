// Copies a log stream to stdout, line by line, and stops quietly when stdout's reader goes away
// (`tug logs | head`): a closed pipe is a normal way for a log reader to end.
import {readLogStream, type StreamLine} from '../api/stream.js'
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
  // A pipe is written synchronously, one syscall per write: lines that arrive together (one
  // network chunk) go out in one write instead, uncorked once this turn of the event loop is over.
  const writable = stdout as Partial<Pick<NodeJS.WriteStream, 'cork' | 'uncork'>>
  let corked = false
  const uncork = (): void => {
    if (!corked) return
    corked = false
    writable.uncork?.()
  }
  let lines = 0
  let noticed = false
  const onGap = (): void => {
    if (noticed || !options.stderr) return
    noticed = true
    options.stderr.write(GAP_NOTICE + '\n')
  }
  const stream = readLogStream(options.url, {tail: options.tail, signal: controller.signal, sleep: options.sleep, renew: options.renew, onGap})
  try {
    for await (const line of !options.tail && options.lines !== undefined ? lastLines(stream, options.lines) : stream) {
      if (closed) break
      if (!corked && writable.cork && writable.uncork) {
        corked = true
        writable.cork()
        setImmediate(uncork)
      }
      const ok = stdout.write(renderLine(line.line, options) + '\n', (error?: Error | null) => {
        if (error) onError(error)
      })
      lines++
      if ((stdout as {destroyed?: boolean}).destroyed) onError(Object.assign(new Error('stdout closed'), {code: 'EPIPE'}))
      if (!ok && !closed && !pipeError) {
        uncork()
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
    uncork()
    stdout.removeListener('error', onError)
  }
  if (pipeError) throw pipeError
  return {lines, closed}
}
