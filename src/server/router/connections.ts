// The router's connection limits: the router is the port the public reaches, so it must not be
// able to take every descriptor of the process it shares with the API (issue 14). A cap in all,
// a cap per client address, a time to send the request's headers and an idle timeout.
//
// Over the cap per address, a new connection is closed at once: one client gets no more. Over the
// cap in all, a small band of further connections is accepted only to answer 503 with
// `Connection: close` (a clear answer to whoever comes while the router is full); past the band,
// node closes new connections as it accepts them (`server.maxConnections`). Each is said once a
// minute (per address for the cap per address), never once per connection.
import type {Server, ServerResponse} from 'node:http'
import type {Socket} from 'node:net'
import type {Duplex} from 'node:stream'

export interface RouterConnectionLimits {
  /** Connections held at once (default 10,000). */
  maxConnections?: number
  /** Connections one client address may hold (default 256). */
  maxPerAddress?: number
  /** Time a connection has to send a request's headers (default 10 s): 408, then closed. */
  headersTimeoutMs?: number
  /** A connection with no traffic either way this long is closed (default 60 s). */
  idleTimeoutMs?: number
  /** How long a connection kept alive between requests waits for the next one (default 5 s, node's). */
  keepAliveTimeoutMs?: number
  /** How long a connection over the cap has to send its request before it is closed unanswered (default 2 s). */
  busyTimeoutMs?: number
}

export const DEFAULT_ROUTER_LIMITS = {
  maxConnections: 10_000,
  maxPerAddress: 256,
  headersTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5000,
  busyTimeoutMs: 2000,
} as const satisfies Required<RouterConnectionLimits>

/** Connections accepted over the cap only to be answered 503. */
export const BUSY_BAND = 64
const WARN_EVERY_MS = 60_000
/** Past this many addresses remembered for the once-a-minute notice, old ones are forgotten. */
const MAX_WARNED_ADDRESSES = 4096

const BUSY = Symbol('tug.routerBusy')
type GuardedSocket = Socket & {[BUSY]?: boolean}

export const BUSY_BODY = 'The router is at its connection limit; try again shortly.\n'

export class ConnectionGuard {
  readonly limits: Required<RouterConnectionLimits>
  private open = 0
  private readonly perAddress = new Map<string, number>()
  private readonly warnedAt = new Map<string, number>()
  private fullWarnedAt = Number.NEGATIVE_INFINITY

  constructor(
    limits: RouterConnectionLimits | undefined,
    private readonly warn: (message: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.limits = {...DEFAULT_ROUTER_LIMITS, ...definedOnly(limits ?? {})}
  }

  /** The options of `http.createServer` that carry the limits. */
  serverOptions(): {headersTimeout: number; connectionsCheckingInterval: number} {
    const {headersTimeoutMs} = this.limits
    return {
      headersTimeout: headersTimeoutMs,
      // How often node looks for connections past their headers timeout (its default, 30 s, would make 10 s up to 40).
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeoutMs / 4))),
    }
  }

  /** Installs the accounting on the router's server (before it listens). */
  attach(server: Server): void {
    server.maxConnections = this.limits.maxConnections + BUSY_BAND
    server.keepAliveTimeout = this.limits.keepAliveTimeoutMs
    // Sockets with no traffic for this long are destroyed by node (no 'timeout' listener on the server).
    server.timeout = this.limits.idleTimeoutMs
    server.on('connection', (socket: Socket) => this.admit(socket))
    server.on('drop', () => this.warnFull())
  }

  /** Connections the router holds now. */
  get connections(): number {
    return this.open
  }

  /** A connection accepted over the cap, only to be answered 503. */
  isBusy(socket: Socket): boolean {
    return (socket as GuardedSocket)[BUSY] === true
  }

  /** Answers a request that came on a connection over the cap; true when it did. */
  refuse(socket: Socket, res: ServerResponse, method: string | undefined): boolean {
    if (!(socket as GuardedSocket)[BUSY]) return false
    res.writeHead(503, {'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(BUSY_BODY), 'retry-after': '5', connection: 'close', 'cache-control': 'no-cache, no-store'})
    res.end(method === 'HEAD' ? undefined : BUSY_BODY)
    return true
  }

  /** The same for an Upgrade request, on its raw socket. */
  refuseUpgrade(socket: Duplex, underlying: Socket): boolean {
    if (!(underlying as GuardedSocket)[BUSY]) return false
    socket.end(`HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(BUSY_BODY)}\r\nRetry-After: 5\r\nConnection: close\r\n\r\n${BUSY_BODY}`)
    return true
  }

  private admit(socket: Socket): void {
    const address = socket.remoteAddress ?? ''
    const held = this.perAddress.get(address) ?? 0
    if (held >= this.limits.maxPerAddress) {
      socket.destroy()
      this.warnAddress(address)
      return
    }
    this.perAddress.set(address, held + 1)
    this.open++
    if (this.open > this.limits.maxConnections) {
      ;(socket as GuardedSocket)[BUSY] = true
      socket.setTimeout(this.limits.busyTimeoutMs)
      this.warnFull()
    }
    socket.once('close', () => {
      this.open--
      const left = (this.perAddress.get(address) ?? 1) - 1
      if (left > 0) this.perAddress.set(address, left)
      else this.perAddress.delete(address)
    })
  }

  private warnAddress(address: string): void {
    const now = this.now()
    const last = this.warnedAt.get(address)
    if (last !== undefined && now - last < WARN_EVERY_MS) return
    if (this.warnedAt.size >= MAX_WARNED_ADDRESSES) {
      for (const [key, at] of this.warnedAt) if (now - at >= WARN_EVERY_MS) this.warnedAt.delete(key)
    }
    this.warnedAt.set(address, now)
    this.warn(`router: ${address} holds ${this.limits.maxPerAddress} connections, the most one address may; closing its new ones (said once a minute per address)`)
  }

  private warnFull(): void {
    const now = this.now()
    if (now - this.fullWarnedAt < WARN_EVERY_MS) return
    this.fullWarnedAt = now
    this.warn(`router: ${this.limits.maxConnections} connections open, its limit; new ones get 503 or are closed (said once a minute)`)
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
