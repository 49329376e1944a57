// The router's HTTP/1.1 client to dynos, on raw sockets: one pool of keep-alive connections per
// endpoint, the request head written as one string, the response head and body framing read here.
// node's `http.request` + `Agent` cost the router about as much as everything else it does per
// request (a ClientRequest, an agent queue, a parser from the pool, an IncomingMessage, a dozen
// listeners added and removed); this does one write and one read callback per exchange, with the
// socket's listeners installed once per connection.
//
// Response framing (RFC 9112 6.3): no body for a HEAD request or a 1xx/204/304 status; chunked
// (decoded: the router's server side frames the body again for its client); Content-Length; or
// until the dyno closes. Interim 1xx answers (100 Continue, 103) are skipped. Whatever node's
// parser would refuse that matters for framing (no status line, a bad header line, both
// Content-Length and Transfer-Encoding, two lengths that differ, a head over 64 KB) fails the
// exchange with an `HPE_*` code, as node's client would.
import {connect, type Socket} from 'node:net'
import {ResponseHead} from './response-head.js'

const MAX_HEAD = 64 * 1024
/** Where every dyno connection's reads land (see Connection). */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024)
const MAX_CHUNK_LINE = 4096
const CRLF2 = Buffer.from('\r\n\r\n', 'latin1')
const LAST_CHUNK = '0\r\n\r\n'

/**
 * The dyno's answer (response-head.ts): `status` stays; `statusMessage`, `rawHeaders` and
 * `clientHead` read the bytes it arrived in, so only during `onResponse`.
 */
export type UpstreamResponse = ResponseHead

export interface UpstreamHandlers {
  /** A new connection is established (a reused one is connected from the start: `call.connecting` is false). */
  onConnect(): void
  onResponse(response: UpstreamResponse): void
  /** A piece of the response body (decoded from chunked); valid only during the call (copy it to keep or write it). */
  onData(chunk: Buffer): void
  /** The response is complete; `last` is the body's last piece when it came with the end (valid only during the call, as `onData`'s). */
  onEnd(last?: Buffer): void
  /** The exchange failed before the response was complete (`destroy(error)` says so too). */
  onError(error: NodeJS.ErrnoException): void
  /** Once, when the exchange is over whichever way (complete, failed or destroyed). */
  onClose(): void
  /** The connection takes more of the request body (after `write` returned false). */
  onDrain?(): void
}

function failure(message: string, code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), {code})
}

const enum State {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
  Done,
}

/** One connection to a dyno; its listeners are installed once and hand events to the call that holds it. */
class Connection {
  call: UpstreamCall | undefined
  readonly socket: Socket
  constructor(readonly pool: DynoPool) {
    // Reads land in one buffer shared by every dyno connection (`onread`): no buffer allocated and
    // no stream event per read. What is read is valid only during the callback: `feed` copies what it keeps.
    const socket = connect({host: pool.host, port: pool.port, noDelay: true, onread: {buffer: READ_BUFFER, callback: this.onRead}})
    this.socket = socket
    socket.setKeepAlive(true, 1000)
    socket.on('connect', () => this.call?.connected())
    socket.on('end', () => this.call?.ended())
    socket.on('error', (error: NodeJS.ErrnoException) => this.call?.fail(error))
    socket.on('drain', () => this.call?.handlers.onDrain?.())
    socket.on('close', () => {
      this.pool.forget(this)
      this.call?.fail(failure('socket hang up', 'ECONNRESET'))
    })
  }

  /** `true`: go on reading (pausing is the call's, through `pause`). */
  private readonly onRead = (bytes: number): boolean => {
    if (this.call) this.call.feed(READ_BUFFER.subarray(0, bytes))
    // Bytes from a dyno that was not asked anything: nothing can be framed on this connection.
    else this.socket.destroy()
    return true
  }
}

/** One request/response exchange on a connection. */
export class UpstreamCall {
  /** True until a new connection is established. */
  readonly connecting: boolean
  private state = State.Head
  private pending: Buffer | undefined
  private line = ''
  private remaining = 0
  private reusable = true
  private requestDone = false
  private over = false

  constructor(
    private readonly conn: Connection,
    readonly handlers: UpstreamHandlers,
    private readonly headRequest: boolean,
    private readonly chunkedBody: boolean,
  ) {
    this.connecting = conn.socket.connecting
  }

  connected(): void {
    if (!this.over) this.handlers.onConnect()
  }

  /**
   * Writes the request head: `headers` flat (`[name, value, ...]`), values as node's parser read
   * them (latin1, checked by it: no CR or LF), so written back as latin1.
   */
  send(method: string, path: string, headers: readonly string[], withBody: boolean): void {
    this.requestDone = !withBody
    let head = `${method} ${path} HTTP/1.1\r\n`
    for (let i = 0; i + 1 < headers.length; i += 2) head += `${headers[i] as string}: ${headers[i + 1] as string}\r\n`
    this.conn.socket.write(`${head}Connection: keep-alive\r\n\r\n`, 'latin1')
  }

  /**
   * Writes a request head the caller built whole (blank line included) for a request without a
   * body: the fast path's, its pieces checked by `fast-head.ts`.
   */
  sendHead(head: string): void {
    this.requestDone = true
    this.conn.socket.write(head, 'latin1')
  }

  /** A piece of the request body; false: wait for `onDrain`. */
  write(chunk: Buffer): boolean {
    if (this.over || chunk.length === 0) return true
    const socket = this.conn.socket
    if (!this.chunkedBody) return socket.write(chunk)
    socket.cork()
    socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1')
    socket.write(chunk)
    const more = socket.write('\r\n', 'latin1')
    socket.uncork()
    return more
  }

  /** The request body is complete. */
  end(): void {
    this.requestDone = true
    if (!this.over && this.chunkedBody) this.conn.socket.write(LAST_CHUNK, 'latin1')
  }

  /** Stops reading the response (the client is slow); `resume` goes on. No-ops once the exchange is over. */
  pause(): void {
    if (!this.over) this.conn.socket.pause()
  }

  resume(): void {
    if (!this.over) this.conn.socket.resume()
  }

  /** Ends the exchange and closes its connection; with an error, `onError` hears it first. */
  destroy(error?: NodeJS.ErrnoException): void {
    if (this.over) return
    if (error) this.fail(error)
    else this.finish(false)
  }

  fail(error: NodeJS.ErrnoException): void {
    if (this.over) return
    this.over = true
    this.detach(false)
    this.handlers.onError(error)
    this.handlers.onClose()
  }

  /** The dyno closed its side: the end of a body read until close, otherwise an exchange cut short. */
  ended(): void {
    if (this.state === State.UntilClose) this.finish(true)
    else this.fail(failure('socket hang up', 'ECONNRESET'))
  }

  private finish(complete: boolean, last?: Buffer): void {
    this.over = true
    this.state = State.Done
    this.detach(complete && this.reusable && this.requestDone)
    if (complete) this.handlers.onEnd(last)
    this.handlers.onClose()
  }

  private detach(keep: boolean): void {
    const conn = this.conn
    conn.call = undefined
    this.pending = undefined
    if (keep) conn.pool.release(conn)
    else conn.socket.destroy()
  }

  feed(chunk: Buffer): void {
    let data = chunk
    let at = 0
    while (!this.over) {
      if (this.state === State.Head) {
        const from = this.pending ? Math.max(0, this.pending.length - 3) : 0
        if (this.pending) {
          data = Buffer.concat([this.pending, data.subarray(at)])
          at = 0
          this.pending = undefined
        }
        const end = data.indexOf(CRLF2, at + from)
        if (end === -1) {
          if (data.length - at > MAX_HEAD) return this.fail(failure('response head over 64 KB', 'HPE_HEADER_OVERFLOW'))
          // A copy: `data` may be the shared read buffer, overwritten by the next read.
          if (at < data.length) this.pending = Buffer.from(data.subarray(at))
          return
        }
        const error = this.head(data, at, end)
        if (error) return this.fail(error)
        at = end + 4
        if ((this.state as State) === State.Done) return this.finish(true)
        continue
      }
      if (at >= data.length) return
      switch (this.state) {
        case State.Length:
        case State.ChunkData: {
          const take = Math.min(this.remaining, data.length - at)
          this.remaining -= take
          const piece = at === 0 && take === data.length ? data : data.subarray(at, at + take)
          at += take
          // The last piece of a body with a length goes with the end (one write to the client, not two).
          if (this.remaining === 0 && this.state === State.Length) return this.complete(at, data.length, piece)
          this.handlers.onData(piece)
          if (this.remaining > 0) break
          this.state = State.ChunkEnd
          this.line = ''
          break
        }
        case State.UntilClose:
          this.handlers.onData(at === 0 ? data : data.subarray(at))
          return
        default: {
          // A line: a chunk size, the CRLF after a chunk's data, or a trailer.
          const eol = data.indexOf(10, at)
          const piece = data.toString('latin1', at, eol === -1 ? data.length : eol + 1)
          at = eol === -1 ? data.length : eol + 1
          this.line += piece
          if (this.line.length > MAX_CHUNK_LINE) return this.fail(failure('chunk line too long', 'HPE_INVALID_CHUNK_SIZE'))
          if (eol === -1) return
          const error = this.lineDone(this.line.slice(0, -2), this.line.endsWith('\r\n'))
          this.line = ''
          if (error) return this.fail(error)
          if (this.state === State.Done) return this.complete(at, data.length)
        }
      }
    }
  }

  private complete(at: number, length: number, last?: Buffer): void {
    // Bytes past the response: the dyno answered more than it was asked; the connection is not reused.
    if (at < length) this.reusable = false
    this.finish(true, last)
  }

  private lineDone(line: string, crlf: boolean): NodeJS.ErrnoException | undefined {
    if (!crlf) return failure('bare LF in chunked body', 'HPE_STRICT')
    if (this.state === State.ChunkEnd) {
      if (line !== '') return failure('no CRLF after chunk data', 'HPE_STRICT')
      this.state = State.ChunkSize
      return undefined
    }
    if (this.state === State.Trailers) {
      if (line === '') this.state = State.Done
      return undefined
    }
    const semi = line.indexOf(';')
    const hex = (semi === -1 ? line : line.slice(0, semi)).trim()
    if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) return failure(`invalid chunk size "${hex}"`, 'HPE_INVALID_CHUNK_SIZE')
    this.remaining = Number.parseInt(hex, 16)
    this.state = this.remaining === 0 ? State.Trailers : State.ChunkData
    return undefined
  }

  /** Reads a response head (`[from, to)` of `data`); sets the body's framing, or skips an interim (1xx) answer. */
  private head(data: Buffer, from: number, to: number): NodeJS.ErrnoException | undefined {
    const head = ResponseHead.read(data, from, to)
    if (!(head instanceof ResponseHead)) return failure(head.message, head.code)
    // A dyno that keeps an idle connection a second or less: not worth pooling (node's Agent does the same).
    if (head.shortKeepAlive) this.reusable = false
    const code = head.status
    if (code < 200) {
      if (code === 101) return failure('101 Switching Protocols to a request without Upgrade', 'HPE_INVALID_CONSTANT')
      return undefined // interim: the final answer follows
    }
    if (!head.keepAlive) this.reusable = false
    this.handlers.onResponse(head)
    head.release()
    if (this.over) return undefined
    if (this.headRequest || code === 204 || code === 304) this.state = State.Done
    else if (head.chunked) this.state = State.ChunkSize
    else if (head.transferEncoding) {
      this.state = State.UntilClose
      this.reusable = false
    } else if (head.contentLength !== -1) {
      this.remaining = head.contentLength
      this.state = this.remaining === 0 ? State.Done : State.Length
    } else {
      this.state = State.UntilClose
      this.reusable = false
    }
    return undefined
  }
}

/** Keep-alive connections to one endpoint (a dyno's host:port): the last one freed is reused first. */
export class DynoPool {
  private readonly free: Connection[] = []
  private readonly all = new Set<Connection>()
  private closed = false

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly maxFree = 64,
  ) {}

  /** Starts an exchange on a free connection, or a new one. Write the head with `send`. */
  call(handlers: UpstreamHandlers, options: {headRequest: boolean; chunkedBody: boolean}): UpstreamCall {
    let conn = this.free.pop()
    // One destroyed since it was freed (its 'close' not emitted yet) is of no use.
    while (conn?.socket.destroyed) conn = this.free.pop()
    if (conn) conn.socket.ref()
    else {
      conn = new Connection(this)
      this.all.add(conn)
    }
    const call = new UpstreamCall(conn, handlers, options.headRequest, options.chunkedBody)
    conn.call = call
    return call
  }

  /** Connections open now, idle or not (tests). */
  get size(): number {
    return this.all.size
  }

  release(conn: Connection): void {
    if (this.closed || this.free.length >= this.maxFree || conn.socket.destroyed) {
      conn.socket.destroy()
      return
    }
    // Paused by a slow client just as the response completed: an idle connection must read, to see the dyno close it.
    if (conn.socket.isPaused()) conn.socket.resume()
    conn.socket.unref()
    this.free.push(conn)
  }

  forget(conn: Connection): void {
    this.all.delete(conn)
    const index = this.free.indexOf(conn)
    if (index !== -1) this.free.splice(index, 1)
  }

  /** Closes every connection, idle or busy. */
  destroy(): void {
    this.closed = true
    for (const conn of this.all) conn.socket.destroy()
  }
}
