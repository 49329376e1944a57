// One request on the fast path (issue 19): a GET or HEAD without a body, read by fast-head.ts,
// forwarded to a dyno through upstream.ts and answered on the client's raw socket. One object per
// exchange is the upstream call's handlers, its H12 deadline and its log line's fields: no
// closure, listener or timer per request. Errors keep the node:http path's rules (router.ts):
// H12 without response headers in time, H13 when the dyno fails (one retry first when that is
// safe), H13 and the connection destroyed once the answer has begun, H27 when the client left.
import {STATUS_CODES} from 'node:http'
import type {Expiring} from './deadlines.js'
import {DeadlineQueue} from './deadlines.js'
import type {RoutedApp, WebDyno} from './directory.js'
import {errorPage, ROUTER_ERRORS, type RouterErrorCode} from './errors.js'
import type {FastHead} from './fast-head.js'
import type {FastClient, FastRouter} from './fast-router.js'
import {RETRYABLE_CONNECT} from './exchange.js'
import {requestId as chooseRequestId} from './headers.js'
import type {RouterLogFields} from './log-line.js'
import type {UpstreamCall, UpstreamHandlers, UpstreamResponse} from './upstream.js'

const REPEATABLE = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED'])
/** A small last piece goes in the same string as the head: one write, one syscall. */
const INLINE_BODY = 1024

/** `head` (its first `headLength` bytes), `size`, `piece` and `tail` in one new Buffer (the sizes and tail are ASCII). */
function framed(head: Buffer | undefined, headLength: number, size: string, piece: Buffer | undefined, tail: string): Buffer {
  const h = head === undefined ? 0 : headLength
  const out = Buffer.allocUnsafe(h + size.length + (piece ? piece.length : 0) + tail.length)
  if (head !== undefined) head.copy(out, 0, 0, h)
  let at = h + out.write(size, h, 'latin1')
  if (piece) at += piece.copy(out, at)
  out.write(tail, at, 'latin1')
  return out
}

export class FastExchange implements UpstreamHandlers, Expiring {
  deadlineId = 0
  readonly method: string
  readonly path: string
  readonly requestId: string
  readonly fwd: string
  logged = false
  private dyno: WebDyno
  private call: UpstreamCall | undefined
  /** The endpoint the attempt in flight counts against (undefined once uncounted). */
  private endpoint: string | undefined
  private tried: Set<string> | undefined
  private attemptStart = 0
  private sentAt = 0
  private connectMs: number | undefined
  private connectTimer: NodeJS.Timeout | undefined
  private connected = false
  private timedOut = false
  private response: UpstreamResponse | undefined
  /** The client's head, not written yet (its first `pendingLength` bytes; the rest is room for a small body). */
  private pendingHead: Buffer | undefined
  private pendingLength = 0
  private chunked = false
  private paused = false
  private bytes = 0
  /** When the answer was complete (a clock reading the connection's keep-alive deadline reuses). */
  endedAt: number | undefined
  /** The answer is written whole (or the client is gone): the connection may go on once the call is closed. */
  private over = false

  constructor(
    private readonly conn: FastClient,
    private readonly router: FastRouter,
    readonly app: RoutedApp,
    readonly host: string,
    private readonly head: FastHead,
    dyno: WebDyno,
  ) {
    this.method = head.method
    this.path = head.target
    this.requestId = chooseRequestId(head.requestId)
    this.fwd = head.forwardedFor === undefined ? conn.clientIp : `${head.forwardedFor}, ${conn.clientIp}`
    this.dyno = dyno
    this.forward(dyno)
  }

  /** The request head for the dyno, in one string: the checked lines, then the router's own. */
  private dynoHead(): string {
    const head = this.head
    const fwd = head.forwardedFor?.trim() ? `${head.forwardedFor}, ${this.conn.clientIp}` : this.conn.clientIp
    const via = head.via?.trim() ? `${head.via}, 1.1 tug` : '1.1 tug'
    return `${head.requestLine}${head.passed}x-request-id: ${this.requestId}\r\nx-forwarded-for: ${fwd}\r\nx-forwarded-proto: ${this.router.protocol}\r\nx-forwarded-port: ${this.conn.localPort}\r\nvia: ${via}\r\nConnection: keep-alive\r\n\r\n`
  }

  private forward(dyno: WebDyno): void {
    this.dyno = dyno
    this.connected = false
    const endpoint = this.router.begin(this.app, dyno)
    this.endpoint = endpoint
    const now = this.router.now()
    this.attemptStart = now
    this.sentAt = now
    const call = this.router.pool(endpoint, this.app, dyno).call(this, {headRequest: this.method === 'HEAD', chunkedBody: false})
    this.call = call
    call.sendHead(this.dynoHead())
    if (!call.connecting) return this.onConnect()
    // A new connection (a reused keep-alive one needs no connect timer): rare, so a timer of its own.
    this.connectTimer = setTimeout(() => call.destroy(Object.assign(new Error('connect timeout'), {code: 'ETIMEDOUT'})), this.router.connectTimeoutMs)
  }

  onConnect(): void {
    if (this.connected) return
    this.connected = true
    // A reused connection is connected at once: no second clock read.
    if (this.connectTimer) {
      clearTimeout(this.connectTimer)
      this.connectTimer = undefined
      this.sentAt = this.router.now()
    }
    this.connectMs = this.sentAt - this.attemptStart
    this.router.responses.add(this, this.sentAt)
  }

  /** No response headers within the response timeout: H12, the dyno's connection destroyed. */
  onExpire(): void {
    this.timedOut = true
    this.call?.destroy()
    if (!this.response) this.respondError('H12', {dyno: this.dyno.name, connectMs: this.connectMs, serviceMs: this.router.now() - this.sentAt})
    this.settle()
  }

  onResponse(answer: UpstreamResponse): void {
    DeadlineQueue.cancel(this)
    if (this.conn.socket.destroyed) return this.call?.destroy()
    const bodyAllowed = this.method !== 'HEAD' && answer.status !== 204 && answer.status !== 304
    // Room for a small body with a length: it goes in the same write.
    const room = bodyAllowed && answer.contentLength > 0 && answer.contentLength <= INLINE_BODY ? answer.contentLength : 0
    const head = answer.clientHead(this.requestId, bodyAllowed, this.head.close ? undefined : this.router.keepAliveHeader, this.router.date(), room)
    this.response = answer
    this.pendingHead = head.bytes
    this.pendingLength = head.length
    this.chunked = head.chunked
  }

  onData(chunk: Buffer): void {
    this.bytes += chunk.length
    if (!this.write(chunk, false)) {
      // A client that reads slowly stalls the dyno's writes.
      this.paused = true
      this.call?.pause()
    }
  }

  onEnd(last?: Buffer): void {
    if (last) this.bytes += last.length
    this.write(last, true)
    this.over = true
    const now = this.router.now()
    this.endedAt = now
    this.log(undefined, {dyno: this.dyno.name, connectMs: this.connectMs, serviceMs: now - this.sentAt, status: this.response?.status ?? 0, bytes: this.bytes})
  }

  onDrain(): void {
    // Only requests without a body take this path: nothing to resume.
  }

  onError(error: NodeJS.ErrnoException): void {
    if (this.timedOut || this.logged) return
    const fields = {dyno: this.dyno.name, connectMs: this.connectMs, serviceMs: this.router.now() - this.sentAt}
    if (this.response) {
      // The dyno went away mid-response: the client cannot be told by a status any more.
      this.log('H13', {...fields, status: this.response.status, bytes: this.bytes})
      this.over = true
      this.conn.socket.destroy()
      return
    }
    const code = error.code ?? ''
    const beforeAnyByte = !this.connected && RETRYABLE_CONNECT.has(code)
    // A killed dyno, or a keep-alive connection the dyno closed as it was reused: GET and HEAD may be repeated.
    const safeToRepeat = this.connected && REPEATABLE.has(code)
    if ((beforeAnyByte || safeToRepeat) && this.tried === undefined && !this.conn.socket.destroyed) {
      this.tried = new Set([this.dyno.name])
      this.router.nextDyno(this.app, this.tried, this.dyno, () => this.conn.socket.destroyed).then(
        (choice) => {
          if ('dyno' in choice) return this.forward(choice.dyno)
          this.respondError(choice.error, {dyno: this.dyno.name})
          this.settle()
        },
        () => {
          this.respondError('H13', {dyno: this.dyno.name})
          this.settle()
        },
      )
      return
    }
    this.respondError('H13', fields)
  }

  onClose(): void {
    DeadlineQueue.cancel(this)
    if (this.connectTimer) clearTimeout(this.connectTimer)
    this.connectTimer = undefined
    this.call = undefined
    if (this.endpoint !== undefined) this.router.end(this.endpoint)
    this.endpoint = undefined
    this.settle()
  }

  /** The client asked to close the connection after this answer. */
  get closeAfter(): boolean {
    return this.head.close
  }

  /** The client's connection closed. */
  clientGone(): void {
    if (!this.over && !this.logged) this.log('H27', {})
    this.over = true
    this.call?.destroy()
  }

  /** The client's socket takes more: the dyno's answer goes on. */
  clientDrained(): void {
    if (!this.paused) return
    this.paused = false
    this.call?.resume()
  }

  /** The answer is done and no call is open: the connection takes its next request. */
  private settle(): void {
    if (this.over && this.call === undefined) this.conn.exchangeDone(this)
  }

  /** Writes a piece of the body (the head first, in the same write when the piece is small); false: the socket is full. */
  private write(chunk: Buffer | undefined, end: boolean): boolean {
    const socket = this.conn.socket
    if (socket.destroyed) return true
    const head = this.pendingHead
    const headLength = this.pendingLength
    this.pendingHead = undefined
    const piece = chunk !== undefined && chunk.length > 0 && this.response !== undefined ? chunk : undefined
    if (this.chunked) {
      const size = piece ? `${piece.length.toString(16)}\r\n` : ''
      const tail = end ? (piece ? '\r\n0\r\n\r\n' : '0\r\n\r\n') : piece ? '\r\n' : ''
      if (!piece || piece.length <= INLINE_BODY) return socket.write(framed(head, headLength, size, piece, tail))
      socket.cork()
      socket.write(framed(head, headLength, size, undefined, ''))
      // A copy: the piece is upstream's read buffer, reused by its next read (a write may be queued).
      socket.write(Buffer.from(piece))
      const more = socket.write(tail, 'latin1')
      socket.uncork()
      return more
    }
    if (head !== undefined && piece !== undefined && piece.length <= head.length - headLength) {
      // The room left after the head (a small body with a length).
      piece.copy(head, headLength)
      return socket.write(headLength + piece.length === head.length ? head : head.subarray(0, headLength + piece.length))
    }
    if (head !== undefined && piece !== undefined && piece.length <= INLINE_BODY) return socket.write(framed(head, headLength, '', piece, ''))
    let more = true
    if (head !== undefined) more = socket.write(head.subarray(0, headLength))
    if (piece) more = socket.write(Buffer.from(piece))
    return more
  }

  /** An error answer on the raw socket, as router.ts's `respondError` on the node:http path. */
  private respondError(code: RouterErrorCode, fields: Partial<RouterLogFields>): void {
    if (this.logged) return
    const socket = this.conn.socket
    this.over = true
    if (code === 'H27' || socket.destroyed) return this.log('H27', fields)
    if (this.response) {
      this.log(code, fields)
      socket.destroy()
      return
    }
    const {status} = ROUTER_ERRORS[code]
    const body = errorPage(code, this.requestId)
    const keepAlive = this.head.close ? 'Connection: close\r\n' : `Connection: keep-alive\r\nKeep-Alive: ${this.router.keepAliveHeader}\r\n`
    const head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\ncache-control: no-cache, no-store\r\nx-request-id: ${this.requestId}\r\nvia: 1.1 tug\r\nDate: ${this.router.date()}\r\n${keepAlive}\r\n`
    socket.write(this.method === 'HEAD' ? head : head + body, 'utf8')
    this.log(code, {...fields, status})
  }

  private log(code: RouterErrorCode | undefined, fields: Partial<RouterLogFields>): void {
    this.router.log(this, code, fields)
  }
}
