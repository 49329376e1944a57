// The HTTP router: one listener in front of every app's web dynos. A request's Host header names
// the app; the balancer picks an `up` web dyno; bodies are piped both ways (never buffered whole,
// backpressure through `pipe`); every request gets one log line in the app's stream. A connection
// starts on the fast path (fast-connection.ts: the common request on the raw socket); whatever it
// does not take goes to node's HTTP server: node-path.ts for requests, upgrades.ts for upgrades.
import {createServer} from 'node:http'
import type {IncomingMessage, Server} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'
import type {Duplex} from 'node:stream'
import {Balancer, endpointKey} from './balancer.js'
import {ConnectionGuard, type RouterConnectionLimits} from './connections.js'
import {DeadlineQueue} from './deadlines.js'
import type {AppResolver, RoutedApp, WebDyno, WebDynoDirectory} from './directory.js'
import {ROUTER_ERRORS, type RouterErrorCode} from './errors.js'
import {NO_EXCLUSION, type Choice, type Exchange} from './exchange.js'
import {FastConnection} from './fast-connection.js'
import type {FastClient, FastRouter, LoggedExchange} from './fast-router.js'
import {clientAddress, requestId as chooseRequestId, type RawRequestHead} from './headers.js'
import {appInHostname, hostname, routedDomains} from './host.js'
import {formatRouterLine, type RouterLogFields} from './log-line.js'
import {NodePath} from './node-path.js'
import {UpgradeProxy} from './upgrades.js'
import {DynoPool} from './upstream.js'

export const DEFAULT_ROUTER_HOST = '127.0.0.1'
export const DEFAULT_ROUTER_PORT = 5080

export interface RouterOptions {
  directory: WebDynoDirectory
  resolveApp: AppResolver
  /** One line per request, for the app's log stream (source `tug`, dyno `router`). */
  log?: (app: RoutedApp, line: string) => void
  host?: string
  /** 0 picks a free port. */
  port?: number
  /** Extra domains routed as `<app>.<domain>`, besides `<app>.localhost`. */
  domains?: string[]
  /** No response headers from the dyno within this → 503 H12 (default 30 s, as Heroku). */
  responseTimeoutMs?: number
  /** Connecting to a dyno longer than this counts as refused (default 5 s). */
  connectTimeoutMs?: number
  /** With no dyno up but one starting (or draining), a request waits this long for one (default 30 s). */
  queueTimeoutMs?: number
  /** After a drain, the endpoint stays out of rotation this long unless seen stopped first (default 60 s). */
  drainHoldMs?: number
  /** What X-Forwarded-Proto says (default http; https when a TLS terminator sits in front). */
  protocol?: 'http' | 'https'
  /** Caps and timeouts of the router's own connections (connections.ts has the defaults). */
  connections?: RouterConnectionLimits
  /** Where the router says it refused connections (default: stderr). */
  warn?: (message: string) => void
  now?: () => number
  /**
   * Serve the common request (GET/HEAD without a body, one Host, an app with a dyno up) on the
   * raw socket, handing every other connection to node's HTTP server (default true; false:
   * node's server for everything, as before issue 19).
   */
  fastPath?: boolean
}

const POLL_MS = 25

export class HttpRouter {
  private readonly balancer: Balancer
  private readonly pools = new Map<string, {pool: DynoPool; app: string}>()
  private readonly upgraded = new Set<Duplex>()
  private readonly server: Server
  private readonly guard: ConnectionGuard
  private readonly now: () => number
  /** `localhost` and the configured domains, normalised once. */
  private readonly domains: string[]
  private sweepTimer: NodeJS.Timeout | undefined
  private closed = false
  /** node's own 'connection' listener: the fast path hands it the connections it does not serve. */
  private readonly nodeConnection: (socket: Socket) => void
  private readonly fastConnections = new Set<FastClient>()
  private readonly fast: FastRouter
  private readonly upgrades: UpgradeProxy
  private readonly nodePath: NodePath
  private fastServed = 0
  /** The Date header's value, until the next second (node's server caches it the same way). */
  private dateText: string | undefined
  /** Host header -> its host and app name, for the fast path (clients repeat a few): pure given the domains. */
  private readonly hostNames = new Map<string, {host: string; name: string} | null>()

  constructor(private readonly options: RouterOptions) {
    this.now = options.now ?? Date.now
    this.domains = routedDomains(options.domains ?? [])
    this.balancer = new Balancer(this.now)
    this.guard = new ConnectionGuard(options.connections, options.warn ?? ((message) => process.stderr.write(`${message}\n`)))
    this.server = createServer({maxHeaderSize: 64 * 1024, noDelay: true, ...this.guard.serverOptions()}, (req, res) => {
      try {
        this.nodePath.handle(req, res)
      } catch (error) {
        this.nodePath.internalError(res, error)
      }
    })
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.upgrades.handle(req, socket, head).catch(() => socket.destroy())
    })
    this.guard.attach(this.server)
    this.nodePath = new NodePath({
      options: this.options,
      guard: this.guard,
      balancer: this.balancer,
      now: () => this.now(),
      resolve: (host) => this.resolve(host),
      exchange: (req, app, upgrade, head, host) => this.exchange(req, app, upgrade, head, host),
      choose: (app, exclude, gone) => this.choose(app, exclude, gone),
      nextDyno: (app, tried, failed, gone) => this.nextDyno(app, tried, failed, gone),
      poolFor: (appName, dyno) => this.poolFor(appName, dyno),
      log: this.log,
    })
    this.upgrades = new UpgradeProxy({
      options: this.options,
      guard: this.guard,
      balancer: this.balancer,
      upgraded: this.upgraded,
      now: () => this.now(),
      resolve: (host) => this.resolve(host),
      exchange: (req, app, upgrade, head, host) => this.exchange(req, app, upgrade, head, host),
      choose: (app, exclude, gone) => this.choose(app, exclude, gone),
      log: this.log,
    })
    this.nodeConnection = this.takeConnections()
    this.fast = this.fastRouter()
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
      // A client that took longer than the headers timeout gets 408, as node answers without this handler.
      const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request'
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
      else socket.destroy()
    })
  }

  /** Starts listening; resolves with the port (useful with port 0). */
  async listen(): Promise<{host: string; port: number}> {
    const host = this.options.host ?? DEFAULT_ROUTER_HOST
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.options.port ?? DEFAULT_ROUTER_PORT, host, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
    this.sweepTimer = setInterval(() => this.sweepAgents(), 10_000)
    this.sweepTimer.unref()
    return {host, port: this.port}
  }

  /** Requests served on the fast path so far (tests, and the bench's check that it is taken). */
  get fastRequests(): number {
    return this.fastServed
  }

  /** Client connections the router holds now. */
  get connections(): number {
    return this.guard.connections
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0
  }

  /** The app's address through this router. */
  url(appName: string): string {
    return `http://${appName}.localhost:${this.port}/`
  }

  /** Requests in flight to a dyno right now (tests, and the runtime's patience). */
  inFlight(appName: string, dyno: WebDyno): number {
    return this.balancer.inFlight(appName, dyno)
  }

  /**
   * Before a web dyno stops: no new requests go to it, and this resolves once its in-flight
   * requests have finished or `timeoutMs` has passed. Idle keep-alive connections to it are closed.
   */
  async drain(appName: string, dynoName: string, options: {timeoutMs: number}): Promise<{idle: boolean}> {
    const dyno = this.options.directory.list(appName).find((d) => d.name === dynoName)
    if (!dyno) return {idle: true}
    const result = await this.balancer.drain(appName, dyno, {timeoutMs: options.timeoutMs, holdMs: this.options.drainHoldMs ?? 60_000})
    const key = endpointKey(appName, dyno)
    const entry = this.pools.get(key)
    if (entry && result.idle) {
      entry.pool.destroy()
      this.pools.delete(key)
    }
    return result
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.sweepTimer) clearInterval(this.sweepTimer)
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeAllConnections()
    for (const conn of this.fastConnections) conn.socket.destroy()
    this.fastConnections.clear()
    this.fast.responses.clear()
    this.fast.headersDeadlines.clear()
    this.fast.keepAliveDeadlines.clear()
    for (const socket of this.upgraded) socket.destroy()
    this.upgraded.clear()
    for (const {pool} of this.pools.values()) pool.destroy()
    this.pools.clear()
    if (this.server.listening) await closing
  }

  // ---- the fast path (fast-connection.ts): the common request on the raw socket ----

  /**
   * Replaces node's 'connection' listener with the fast path's (the guard's accounting stays
   * first); returns node's, which takes the connections the fast path hands over.
   */
  private takeConnections(): (socket: Socket) => void {
    const node = this.server.listeners('connection')[0] as (socket: Socket) => void
    if (this.options.fastPath === false) return node
    this.server.removeListener('connection', node)
    this.server.on('connection', (socket: Socket) => {
      // Closed by the guard (over the cap per address), or answered 503 by node's server (the band past the cap).
      if (socket.destroyed) return
      if (this.guard.isBusy(socket)) {
        node.call(this.server, socket)
        // node's listener set the idle timeout; a connection in the band has the shorter busy one.
        socket.setTimeout(this.guard.limits.busyTimeoutMs)
        return
      }
      this.fastConnections.add(new FastConnection(socket, this.fast))
    })
    return node
  }

  private fastRouter(): FastRouter {
    const limits = this.guard.limits
    return {
      now: this.now,
      protocol: this.options.protocol ?? 'http',
      keepAliveHeader: `timeout=${Math.floor(limits.keepAliveTimeoutMs / 1000)}`,
      connectTimeoutMs: this.options.connectTimeoutMs ?? 5000,
      // On the router's clock: the exchanges hand them readings of `now` (sentAt, endedAt).
      responses: new DeadlineQueue(this.options.responseTimeoutMs ?? 30_000, this.now),
      headersDeadlines: new DeadlineQueue(limits.headersTimeoutMs, this.now),
      keepAliveDeadlines: new DeadlineQueue(limits.keepAliveTimeoutMs, this.now),
      idleTimeoutMs: limits.idleTimeoutMs,
      route: (header) => {
        const named = this.hostAndName(header)
        const app = named === null ? undefined : this.options.resolveApp(named.name)
        if (!app || named === null) return undefined
        const dyno = this.balancer.pick(app.name, this.options.directory.list(app.name), NO_EXCLUSION)
        if (!dyno) return undefined
        this.fastServed++
        return {app, host: named.host, dyno}
      },
      begin: (app, dyno) => {
        const key = endpointKey(app.name, dyno)
        this.balancer.enter(key)
        return key
      },
      end: (key) => this.balancer.leave(key),
      pool: (key, app, dyno) => this.poolForKey(key, app.name, dyno),
      nextDyno: (app, tried, failed, gone) => this.nextDyno(app, tried, failed, gone),
      log: this.log,
      handoff: (socket, bytes) => {
        if (bytes !== undefined) socket.unshift(bytes)
        this.nodeConnection.call(this.server, socket)
        // The fast path may have paused it (a pipelined request); node's server reads it from here.
        socket.resume()
      },
      forget: (conn) => this.fastConnections.delete(conn),
      date: () => this.dateText ?? this.newDate(),
    }
  }

  private newDate(): string {
    const now = Date.now()
    const text = new Date(now).toUTCString()
    this.dateText = text
    setTimeout(() => (this.dateText = undefined), 1000 - (now % 1000)).unref()
    return text
  }

  // ---- plain requests ----

  /** `host` is the Host header (or the target's authority) through `hostname`. */
  private exchange(req: IncomingMessage, app: RoutedApp, upgrade: boolean, head: RawRequestHead, host: string | undefined): Exchange {
    const clientIp = clientAddress(req.socket.remoteAddress)
    const forwarded = head.forwardedFor
    return {
      app,
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      host: host ?? '',
      requestId: chooseRequestId(head.requestId),
      fwd: forwarded === undefined ? clientIp : `${forwarded}, ${clientIp}`,
      clientIp,
      localPort: req.socket.localPort ?? this.port,
      started: this.now(),
      upgrade,
      logged: false,
      head,
    }
  }

  /** `hostname` and `appInHostname` of a Host header, cached (at most 1,024 headers of 256 characters or less, then afresh). */
  private hostAndName(header: string): {host: string; name: string} | null {
    let named = this.hostNames.get(header)
    if (named === undefined) {
      const host = hostname(header)
      const name = appInHostname(host, this.domains)
      named = host === undefined || name === undefined ? null : {host, name}
      if (this.hostNames.size >= 1024) this.hostNames.clear()
      if (header.length <= 256) this.hostNames.set(header, named)
    }
    return named
  }

  private resolve(host: string | undefined): RoutedApp | undefined {
    const name = appInHostname(host, this.domains)
    return name === undefined ? undefined : this.options.resolveApp(name)
  }

  /**
   * An `up`, not draining dyno, or the error to answer with. With none up but one starting,
   * stopping or draining (a restart in progress), waits for one up to `queueTimeoutMs`.
   */
  private async choose(app: RoutedApp, exclude: ReadonlySet<string>, gone: () => boolean): Promise<Choice> {
    const deadline = this.now() + (this.options.queueTimeoutMs ?? 30_000)
    for (;;) {
      const dynos = this.options.directory.list(app.name)
      const dyno = this.balancer.pick(app.name, dynos, exclude)
      if (dyno) return {dyno}
      // A restart in progress: some dyno is on its way up, or on its way out with a successor to come.
      const pending = dynos.some((d) => d.state === 'starting' || d.state === 'stopping' || (d.state === 'up' && !exclude.has(d.name) && this.balancer.isDraining(app.name, d)))
      if (!pending) return {error: dynos.some((d) => d.state === 'crashed') ? 'H10' : 'H14'}
      if (this.now() >= deadline) return {error: 'H12'}
      if (gone() || this.closed) return {error: 'H27'}
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    }
  }

  private poolFor(appName: string, dyno: WebDyno): DynoPool {
    return this.poolForKey(endpointKey(appName, dyno), appName, dyno)
  }

  private poolForKey(key: string, appName: string, dyno: WebDyno): DynoPool {
    let entry = this.pools.get(key)
    if (!entry) {
      entry = {pool: new DynoPool(dyno.host, dyno.port), app: appName}
      this.pools.set(key, entry)
    }
    return entry.pool
  }

  /** Closes keep-alive pools of endpoints no longer in their app's directory. */
  private sweepAgents(): void {
    const live = new Map<string, Set<string>>()
    for (const [key, entry] of this.pools) {
      let keys = live.get(entry.app)
      if (!keys) {
        keys = new Set(this.options.directory.list(entry.app).map((d) => endpointKey(entry.app, d)))
        live.set(entry.app, keys)
      }
      if (!keys.has(key)) {
        entry.pool.destroy()
        this.pools.delete(key)
      }
    }
  }

  /** The dyno for a retry after `failed` (`tried` grows), or the error to answer. */
  private async nextDyno(app: RoutedApp, tried: Set<string>, failed: WebDyno, gone: () => boolean): Promise<Choice> {
    const choice = await this.choose(app, tried, gone)
    if ('error' in choice) {
      // The only dyno there is refused: one more go at it (a keep-alive race, or a dyno just restarted).
      const again = this.options.directory.list(app.name).find((d) => d.name === failed.name && d.state === 'up')
      if (choice.error !== 'H27' && again && !this.balancer.isDraining(app.name, again)) {
        tried.add(`${failed.name}#retry`)
        return {dyno: again}
      }
      return {error: choice.error === 'H14' || choice.error === 'H10' ? 'H13' : choice.error}
    }
    tried.add(choice.dyno.name)
    return choice
  }

  // ---- the log line ----

  /** One log entry point for the three request paths: an H-code line when there is a code, an info line otherwise. */
  private readonly log = (ex: LoggedExchange, code: RouterErrorCode | undefined, fields: Partial<RouterLogFields>): void =>
    code === undefined ? this.logInfo(ex, fields) : this.logError(ex, code, fields)

  private logInfo(ex: LoggedExchange, fields: Partial<RouterLogFields>): void {
    this.write(ex, fields)
  }

  private logError(ex: LoggedExchange, code: RouterErrorCode, fields: Partial<RouterLogFields>): void {
    const {status, desc} = ROUTER_ERRORS[code]
    this.write(ex, fields, {code, desc}, status)
  }

  /** `fields` says how the request went (dyno, times, status, bytes); the rest is the exchange's. */
  private write(ex: LoggedExchange, fields: Partial<RouterLogFields>, error?: {code: string; desc: string}, errorStatus?: number): void {
    if (ex.logged) return
    ex.logged = true
    if (!this.options.log) return
    // Named one by one, not spread: this runs once per request.
    const line = formatRouterLine({
      method: ex.method,
      path: ex.path,
      host: ex.host,
      requestId: ex.requestId,
      fwd: ex.fwd,
      dyno: fields.dyno,
      connectMs: fields.connectMs,
      serviceMs: fields.serviceMs,
      status: fields.status ?? errorStatus ?? 0,
      bytes: fields.bytes,
      protocol: this.options.protocol ?? 'http',
      error,
    })
    try {
      this.options.log(ex.app, line)
    } catch {
      // A failing log must not fail the request.
    }
  }
}
