// The kubelet's container logs: each container instance's stdout/stderr lines with their
// RFC3339Nano times, the current and the previous instance kept, and GET .../pods/{pod}/log
// with container, follow, timestamps, previous, sinceTime, sinceSeconds, tailLines, limitBytes.
import type {ServerResponse} from 'node:http'
import {ApiError, badRequest} from './errors.js'

export interface LogLine {
  /** Nanoseconds since the epoch; strictly increasing across the fake. */
  nanos: bigint
  text: string
}

let lastNanos = 0n

/** Now, in nanoseconds since the epoch; never the same value twice. */
export function nowNanos(): bigint {
  const ms = BigInt(Date.now())
  const sub = process.hrtime.bigint() % 1_000_000n
  let nanos = ms * 1_000_000n + sub
  if (nanos <= lastNanos) nanos = lastNanos + 1n
  lastNanos = nanos
  return nanos
}

/** Go's time.RFC3339Nano, as the kubelet writes it: trailing zeros of the fraction dropped. */
export function rfc3339Nano(nanos: bigint): string {
  const seconds = nanos / 1_000_000_000n
  const fraction = (nanos % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '')
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`
}

export class ContainerInstance {
  readonly lines: LogLine[] = []
  ended = false
  private readonly followers = new Set<(line: LogLine | undefined) => void>()
  private partial: Record<'stdout' | 'stderr', string> = {stdout: '', stderr: ''}

  /** Raw output of the process; split into lines, a partial line kept until its newline or the end. */
  write(stream: 'stdout' | 'stderr', chunk: string): void {
    const text = this.partial[stream] + chunk
    const parts = text.split('\n')
    this.partial[stream] = parts.pop() as string
    for (const part of parts) this.push(part.replace(/\r$/, ''))
  }

  push(text: string): void {
    const line = {nanos: nowNanos(), text}
    this.lines.push(line)
    for (const follower of this.followers) follower(line)
  }

  end(): void {
    if (this.ended) return
    for (const stream of ['stdout', 'stderr'] as const) if (this.partial[stream] !== '') this.push(this.partial[stream])
    this.partial = {stdout: '', stderr: ''}
    this.ended = true
    for (const follower of this.followers) follower(undefined)
    this.followers.clear()
  }

  follow(listener: (line: LogLine | undefined) => void): () => void {
    this.followers.add(listener)
    return () => this.followers.delete(listener)
  }
}

/** RFC 3339 time (sinceTime) to nanoseconds; like the API server, only whole seconds count. */
function parseSinceTime(text: string): bigint {
  const ms = Date.parse(text)
  if (Number.isNaN(ms)) throw badRequest(`sinceTime ${JSON.stringify(text)} is not an RFC 3339 time`)
  return BigInt(Math.floor(ms / 1000)) * 1_000_000_000n
}

export interface LogRequest {
  instance: ContainerInstance
  query: URLSearchParams
}

/** Streams a log answer (the pod and container are resolved by the kubelet). */
export function serveLog(response: ServerResponse, {instance, query}: LogRequest, onEnd: (stop: () => void) => () => void): void {
  const timestamps = query.get('timestamps') === 'true'
  const follow = query.get('follow') === 'true'
  let since: bigint | undefined
  if (query.get('sinceTime')) since = parseSinceTime(query.get('sinceTime') as string)
  const sinceSeconds = query.get('sinceSeconds')
  if (sinceSeconds !== null && sinceSeconds !== 'false') {
    if (since !== undefined) throw badRequest('at most one of sinceTime or sinceSeconds may be specified')
    const seconds = Number(sinceSeconds)
    if (!(seconds > 0)) throw new ApiError(422, 'Invalid', `sinceSeconds: Invalid value: ${sinceSeconds}: must be greater than 0`)
    since = nowNanos() - BigInt(Math.floor(seconds)) * 1_000_000_000n
  }
  const tailText = query.get('tailLines')
  const tail = tailText !== null && tailText !== 'false' ? Number(tailText) : undefined
  const limitText = query.get('limitBytes')
  let remaining = limitText !== null ? Number(limitText) : Infinity
  const format = (line: LogLine): string => `${timestamps ? `${rfc3339Nano(line.nanos)} ` : ''}${line.text}\n`
  let selected = instance.lines.filter((line) => since === undefined || line.nanos >= since)
  if (tail !== undefined && tail >= 0) selected = tail === 0 ? [] : selected.slice(-tail)
  response.writeHead(200, {'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked'})
  response.flushHeaders()
  const write = (text: string): boolean => {
    if (remaining <= 0) return false
    const bytes = Buffer.from(text)
    const part = bytes.length > remaining ? bytes.subarray(0, remaining) : bytes
    remaining -= part.length
    response.write(part)
    return remaining > 0
  }
  for (const line of selected) if (!write(format(line))) break
  if (!follow || instance.ended || remaining <= 0) {
    response.end()
    return
  }
  let untrack = (): void => {}
  const stop = instance.follow((line) => {
    if (line === undefined || !write(format(line))) finish()
  })
  const finish = (): void => {
    stop()
    untrack()
    if (!response.writableEnded) response.end()
  }
  untrack = onEnd(finish)
  response.on('close', finish)
}
