// A client connection on the fast path (issue 19). node's HTTP server costs the router about as
// many instructions per request as everything else it does (its parser callbacks,
// IncomingMessage, ServerResponse, header validation); the common request needs none of it. So
// a connection starts here: each request head is read by fast-head.ts and, when it is the common
// request for an app with an `up` dyno now, served by a FastExchange. Anything else (another
// method, a body, an unknown app, no dyno up, a head the reader is not sure of) hands the whole
// connection to node's server with the bytes read so far given back, before any of them was
// answered: every error page, H-code, wait, limit and edge case keeps its one tested path.
//
// Requests are answered in order, one at a time: the next head (pipelined) is read once the
// answer before it is written. The timeouts are node's server's: the headers timeout (408, then
// closed; from the connection's start or the next request's first byte), the keep-alive timeout
// between requests (closed quietly), and the idle timeout (no traffic either way).
import type {Socket} from 'node:net'
import {DeadlineQueue, type Expiring} from './deadlines.js'
import {FastExchange} from './fast-exchange.js'
import {parseFastHead} from './fast-head.js'
import type {FastClient, FastRouter} from './fast-router.js'
import {clientAddress} from './headers.js'

const TIMEOUT_ANSWER = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'
/**
 * Reads of one head still incomplete after which node's server takes the connection: each read
 * re-reads the head from its start here (node's parser goes on where it stopped), so a head sent
 * a byte at a time must not cost a quadratic amount of work. Clients send a head in one or two.
 */
const MAX_PARTIAL_READS = 8

export class FastConnection implements Expiring, FastClient {
  deadlineId = 0
  readonly clientIp: string
  readonly localPort: number
  private buffer: Buffer | undefined
  private exchange: FastExchange | undefined
  private served = 0
  /** Reads that ended with the current head still incomplete. */
  private partialReads = 0
  /** The client ended its side (the connection is ending). */
  private ended = false
  private gone = false

  constructor(
    readonly socket: Socket,
    private readonly router: FastRouter,
  ) {
    this.clientIp = clientAddress(socket.remoteAddress)
    this.localPort = socket.localPort ?? 0
    socket.on('data', this.onData)
    socket.on('end', this.onEnd)
    socket.on('error', this.onError)
    socket.on('close', this.onClose)
    socket.on('drain', this.onDrain)
    socket.on('timeout', this.onIdle)
    socket.setTimeout(router.idleTimeoutMs)
    router.headersDeadlines.add(this)
  }

  /** The headers timeout (408) or, between requests, the keep-alive timeout (closed quietly). */
  onExpire(): void {
    if (this.exchange || this.gone) return
    if (this.served > 0 && this.buffer === undefined) {
      this.socket.destroy()
      return
    }
    this.socket.end(TIMEOUT_ANSWER)
    this.socket.destroySoon()
  }

  /** Called by the exchange once its answer is written and its dyno call closed. */
  exchangeDone(ex: FastExchange): void {
    if (this.exchange !== ex) return
    this.exchange = undefined
    this.served++
    if (this.gone || this.ended || this.socket.destroyed) return
    if (ex.closeAfter) {
      this.socket.end()
      return
    }
    if (this.socket.isPaused()) this.socket.resume()
    if (this.buffer !== undefined) {
      this.router.headersDeadlines.add(this)
      this.next()
    } else this.router.keepAliveDeadlines.add(this, ex.endedAt)
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.buffer === undefined) {
      this.buffer = chunk
      // The first byte of a request after a kept-alive one: from now on the headers timeout.
      if (this.exchange === undefined && this.served > 0) this.router.headersDeadlines.add(this)
    } else this.buffer = Buffer.concat([this.buffer, chunk])
    // A pipelined request waits in the buffer while the one before is answered, the socket paused.
    if (this.exchange === undefined) this.next()
    else this.socket.pause()
  }

  /** Reads the heads in the buffer, one exchange at a time. */
  private next(): void {
    while (this.exchange === undefined && this.buffer !== undefined && !this.gone && !this.ended) {
      const head = parseFastHead(this.buffer)
      if (head === 'incomplete') {
        if (++this.partialReads >= MAX_PARTIAL_READS) this.handoff()
        return
      }
      this.partialReads = 0
      const route = head === 'handoff' ? undefined : this.router.route(head.host)
      if (head === 'handoff' || route === undefined) return this.handoff()
      this.buffer = head.length < this.buffer.length ? this.buffer.subarray(head.length) : undefined
      DeadlineQueue.cancel(this)
      this.exchange = new FastExchange(this, this.router, route.app, route.host, head, route.dyno)
    }
  }

  private handoff(): void {
    const socket = this.socket
    DeadlineQueue.cancel(this)
    socket.off('data', this.onData)
    socket.off('end', this.onEnd)
    socket.off('error', this.onError)
    socket.off('close', this.onClose)
    socket.off('drain', this.onDrain)
    socket.off('timeout', this.onIdle)
    socket.setTimeout(0)
    this.gone = true
    this.router.forget(this)
    const bytes = this.buffer
    this.buffer = undefined
    this.router.handoff(socket, bytes)
  }

  /**
   * The client ended its side. As node's server does (no half-open HTTP): the request in flight is
   * abandoned (H27) and the connection ended; a complete head read before it was answered already.
   */
  private readonly onEnd = (): void => {
    this.ended = true
    this.buffer = undefined
    DeadlineQueue.cancel(this)
    this.exchange?.clientGone()
    if (this.socket.writable) this.socket.end()
  }

  private readonly onError = (): void => {
    // 'close' follows.
  }

  private readonly onClose = (): void => {
    this.gone = true
    DeadlineQueue.cancel(this)
    this.router.forget(this)
    this.buffer = undefined
    this.exchange?.clientGone()
  }

  private readonly onDrain = (): void => {
    this.exchange?.clientDrained()
  }

  private readonly onIdle = (): void => {
    this.socket.destroy()
  }
}
