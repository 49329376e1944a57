// Copies a log stream to stdout, line by line, and stops quietly when stdout's reader goes away
// (`tug logs | head`): a closed pipe is a normal way for a log reader to end.
import {readLogStream} from '../api/stream.js'
import type {OutStream} from '../cli/io.js'
import {colorizeLogLine, parseLogLine} from '../log-line.js'

export interface DisplayOptions {
  url: string
  tail: boolean
  stdout: OutStream
  color: boolean
  /** One JSON object per line (`{timestamp, source, dyno, message}`) instead of text. */
  json?: boolean
  /** Back-off between reconnects (injected by tests). */
  sleep?: (ms: number) => Promise<void>
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
  try {
    for await (const line of readLogStream(options.url, {tail: options.tail, signal: controller.signal, sleep: options.sleep})) {
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
