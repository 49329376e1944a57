// One read of a container's log through client-node's `Log` (GET .../pods/{pod}/log), line by
// line, as a promise that settles when the stream is over. client-node 1.4 pipes the response
// body into our writable and hands back an AbortController; aborting makes node-fetch emit
// 'error' on that body, which has no listener of its own (an uncaught exception). The body is
// reached through the writable's 'pipe' event, so its errors and its end are ours to handle.
import {Writable} from 'node:stream'
import type {Readable} from 'node:stream'

import {Log} from '@kubernetes/client-node'
import type {KubeConfig, LogOptions} from '@kubernetes/client-node'

import {LineSplitter} from '../../../shared/line-splitter.js'

export interface LogRead {
  /**
   * Settles when the stream is over: `ended` (the server ended it), `dropped` (the connection
   * failed mid-stream: read again from the last line) or `aborted`; rejects when the request failed.
   */
  done: Promise<LogReadOutcome>
  abort(): void
}

export type LogReadOutcome = 'ended' | 'dropped' | 'aborted'

export interface LogReadOptions extends LogOptions {
  /** Deliver a last line that has no newline (a read of a finished container: the line is complete). */
  keepUnterminated?: boolean
}

/** Reads `container`'s log of `pod`, calling `onLine` for each whole line (without its newline). */
export function readPodLog(
  kc: KubeConfig,
  target: {namespace: string; pod: string; container: string},
  options: LogReadOptions,
  onLine: (line: string) => void,
): LogRead {
  let deliver = onLine
  const splitter = new LineSplitter((line) => deliver(line))
  let aborted = false
  let controller: AbortController | undefined
  let settle: (outcome: LogReadOutcome) => void = () => {}
  let fail: (error: Error) => void = () => {}
  const done = new Promise<LogReadOutcome>((resolve, reject) => {
    settle = resolve
    fail = reject
  })
  let finished = false
  const finish = (outcome: LogReadOutcome | Error): void => {
    if (finished) return
    finished = true
    // A dropped stream's last line may be cut short: it is read again whole by the next read.
    if (outcome === 'ended' && options.keepUnterminated) splitter.end()
    deliver = () => {}
    if (outcome instanceof Error) fail(outcome)
    else settle(outcome)
  }
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!aborted) splitter.push(chunk)
      callback()
    },
  })
  sink.on('pipe', (source: Readable) => {
    source.on('error', (error: Error) => finish(aborted || error.name === 'AbortError' ? 'aborted' : 'dropped'))
    source.on('close', () => {
      // A body closed without its end (a reset connection) was dropped.
      if (!sink.writableFinished) setImmediate(() => finish(aborted ? 'aborted' : 'dropped'))
    })
  })
  sink.on('finish', () => finish(aborted ? 'aborted' : 'ended'))
  sink.on('error', (error) => finish(error))
  const {keepUnterminated: _keep, ...logOptions} = options
  new Log(kc)
    .log(target.namespace, target.pod, target.container, sink, logOptions)
    .then((c) => {
      controller = c
      if (aborted) c.abort()
    })
    .catch((error: unknown) => finish(aborted ? 'aborted' : describeLogError(error, target)))
  return {
    done,
    abort() {
      if (aborted) return
      aborted = true
      controller?.abort()
      if (controller) setImmediate(() => finish('aborted'))
    },
  }
}

function describeLogError(error: unknown, target: {pod: string; container: string}): Error {
  const base = error instanceof Error ? error : new Error(String(error))
  const code = (base as Error & {code?: number}).code
  const wrapped = new Error(`reading the log of ${target.pod}/${target.container} failed${code ? ` (HTTP ${code})` : ''}: ${base.message}`, {cause: base})
  ;(wrapped as Error & {statusCode?: number}).statusCode = code
  return wrapped
}

/** The HTTP status of a failed read, when the API server answered. */
export function statusCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const code = (error as {statusCode?: unknown; code?: unknown}).statusCode ?? (error as {code?: unknown}).code
  return typeof code === 'number' ? code : undefined
}
