// Connects one subscription to one byte stream (an HTTP response, later), honouring its
// backpressure: the router never waits for a reader, and a reader never gets more than its queue.
import type {LogRouter, SubscribeOptions} from './router.js'
import {wireBytes, type LogBlock} from './block.js'
import type {LogSubscription} from './subscription.js'
import {FRAMES_KEEPALIVE, piecesOfBlocks, SSE_KEEPALIVE, type StreamFormat} from './wire.js'

/** What a Node writable (e.g. `http.ServerResponse`, `reply.raw` in fastify) offers. */
export interface BackpressureTarget {
  /** False when the target's buffer is full; it then emits 'drain'. */
  write(chunk: string, encoding: BufferEncoding): boolean
  end(): void
  /** Sends the status and headers now (`ServerResponse` waits for the first body byte otherwise). */
  flushHeaders?(): void
  on(event: 'drain' | 'close' | 'error', listener: () => void): unknown
  off(event: 'drain' | 'close' | 'error', listener: () => void): unknown
}

export interface StreamSessionOptions {
  router: LogRouter
  appId: string
  subscribe: SubscribeOptions
  format: StreamFormat
  /** SSE keep-alive comment (or empty frame) period (default 15 s; 0 = none). Plain text has none. */
  keepAliveMs?: number
  /** Timers, for tests with a fake clock. */
  setInterval?: (task: () => void, ms: number) => unknown
  clearInterval?: (handle: unknown) => void
}

/**
 * The session writes each delivered batch as one chunk. When the target says it is full, the
 * session tells the subscription to pause, and resumes it on 'drain': meanwhile lines wait in the
 * subscription's bounded queue, and overflow there becomes the L10 notice. It ends the target when
 * the subscription ends (a non-tail backlog is out, the app is gone, the router closes), and
 * closes the subscription when the target closes (the client went away).
 */
export class StreamSession {
  readonly subscription: LogSubscription
  /** Resolves when the session is over, for whatever reason. */
  readonly done: Promise<void>
  private finished = false
  private waitingForDrain = false
  private keepAlive: unknown
  private resolveDone: () => void = () => {}
  private readonly clearTimer: (handle: unknown) => void
  private readonly onDrain = (): void => {
    this.waitingForDrain = false
    this.subscription.resume()
  }

  private readonly onGone = (): void => this.finish(false)

  constructor(private readonly target: BackpressureTarget, options: StreamSessionOptions) {
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve
    })
    this.clearTimer = options.clearInterval ?? ((handle) => clearInterval(handle as NodeJS.Timeout))
    // A quiet tail may have no line to send for a long time; the client must still see the
    // response start (EventSource reports nothing until it has the headers).
    target.flushHeaders?.()
    target.on('drain', this.onDrain)
    target.on('close', this.onGone)
    target.on('error', this.onGone)
    const format = options.format
    const keepAliveMs = options.keepAliveMs ?? 15_000
    if (format !== 'text' && keepAliveMs > 0 && options.subscribe.tail) {
      const comment = format === 'sse' ? SSE_KEEPALIVE : FRAMES_KEEPALIVE
      const every = options.setInterval ?? ((task: () => void, ms: number) => setInterval(task, ms))
      this.keepAlive = every(() => {
        // A comment while the target is full would only add to its buffer.
        if (!this.waitingForDrain && !this.finished) this.write(comment)
      }, keepAliveMs)
    }
    this.subscription = options.router.subscribe(options.appId, options.subscribe, {
      // The router's batches as they are: no line is handled on its own on the way out.
      // ASCII text (the usual case) is written as latin1, the same bytes: Node then neither
      // measures it for the chunk's size nor encodes it, it copies it (bench/logs: ~30 ns a line).
      deliverBlocks: (blocks: readonly LogBlock[]) => {
        const encoding = isAscii(blocks) ? 'latin1' : 'utf8'
        let more = true
        for (const piece of piecesOfBlocks(format, blocks)) more = this.write(piece, encoding)
        return more
      },
      end: () => this.finish(true),
    })
  }

  /** Stops the session and ends the target (e.g. the session expired). */
  close(): void {
    this.finish(true)
  }

  private write(chunk: string, encoding: 'utf8' | 'latin1' = 'utf8'): boolean {
    if (this.finished) return false
    const more = this.target.write(chunk, encoding)
    if (!more) this.waitingForDrain = true
    return more
  }

  private finish(endTarget: boolean): void {
    if (this.finished) return
    this.finished = true
    if (this.keepAlive !== undefined) this.clearTimer(this.keepAlive)
    this.target.off('drain', this.onDrain)
    this.target.off('close', this.onGone)
    this.target.off('error', this.onGone)
    // Undefined only when a synchronous scheduler ends the subscription inside subscribe().
    this.subscription?.close()
    if (endTarget) {
      try {
        this.target.end()
      } catch {
        // The connection is already gone; there is nothing left to end.
      }
    }
    this.resolveDone()
  }
}

/** True when every block is ASCII: its UTF-8 size is its length (known without looking at it). */
function isAscii(blocks: readonly LogBlock[]): boolean {
  for (const block of blocks) if (wireBytes(block) !== block.text.length) return false
  return true
}
