// Upgrades (WebSocket and friends) through node's HTTP server: a fresh connection to the dyno,
// the sockets piped once it says 101, a refused connection retried once elsewhere, a declined
// upgrade relayed and closed. Upgraded connections do not count as outstanding requests.
import {request as httpRequest, STATUS_CODES} from 'node:http'
import type {ClientRequest, IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders} from 'node:http'
import type {Socket} from 'node:net'
import type {Duplex} from 'node:stream'
import type {Balancer} from './balancer.js'
import type {ConnectionGuard} from './connections.js'
import type {RoutedApp, WebDyno} from './directory.js'
import {badRequestPage, errorPage, noSuchAppPage, ROUTER_ERRORS, type RouterErrorCode} from './errors.js'
import {ignore, normaliseTarget, RETRYABLE_CONNECT, type Choice, type Exchange} from './exchange.js'
import type {LoggedExchange} from './fast-router.js'
import {readRequestHead, requestHeadersForDyno, stripHopByHop, type RawRequestHead} from './headers.js'
import {hostname} from './host.js'
import type {RouterLogFields} from './log-line.js'


/** What upgrades need of the router (router.ts). */
export interface UpgradeHost {
  readonly options: {protocol?: 'http' | 'https'; connectTimeoutMs?: number; responseTimeoutMs?: number}
  readonly guard: ConnectionGuard
  readonly balancer: Balancer
  /** Upgraded client sockets, destroyed at close. */
  readonly upgraded: Set<Duplex>
  now(): number
  resolve(host: string | undefined): RoutedApp | undefined
  exchange(req: IncomingMessage, app: RoutedApp, upgrade: boolean, head: RawRequestHead, host: string | undefined): Exchange
  choose(app: RoutedApp, exclude: ReadonlySet<string>, gone: () => boolean): Promise<Choice>
  log(ex: LoggedExchange, code: RouterErrorCode | undefined, fields: Partial<RouterLogFields>): void
}

function badRequestHead(body: string): string {
  return `HTTP/1.1 400 Bad Request\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-cache, no-store\r\nConnection: close\r\n\r\n`
}

export class UpgradeProxy {
  constructor(private readonly host: UpgradeHost) {}

  async handle(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', ignore)
    if (this.host.guard.refuseUpgrade(socket, req.socket)) return
    const requestHead = readRequestHead(req.rawHeaders)
    const invalid = normaliseTarget(req, requestHead)
    if (invalid !== undefined) {
      const body = badRequestPage(invalid)
      socket.end(badRequestHead(body) + body)
      return
    }
    const host = hostname(requestHead.host)
    const app = this.host.resolve(host)
    if (!app) {
      const body = noSuchAppPage()
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
      return
    }
    const ex = this.host.exchange(req, app, true, requestHead, host)
    const tried = new Set<string>()
    for (;;) {
      const choice = await this.host.choose(app, tried, () => socket.destroyed)
      if ('error' in choice) {
        const code = tried.size > 0 && (choice.error === 'H14' || choice.error === 'H10') ? 'H13' : choice.error
        this.rawError(socket, ex, code)
        return
      }
      tried.add(choice.dyno.name)
      const outcome = await this.upgradeTo(req, socket, head, ex, choice.dyno)
      if (outcome !== 'refused' || tried.size > 1) {
        if (outcome === 'refused') this.rawError(socket, ex, 'H13', choice.dyno.name)
        return
      }
    }
  }

  private upgradeTo(req: IncomingMessage, socket: Duplex, head: Buffer, ex: Exchange, dyno: WebDyno): Promise<'done' | 'refused'> {
    return new Promise((resolve) => {
      const finished = this.host.balancer.begin(ex.app.name, dyno)
      const attemptStart = this.host.now()
      let connectMs: number | undefined
      const headers = requestHeadersForDyno(req.headers, {requestId: ex.requestId, clientIp: ex.clientIp, port: ex.localPort, protocol: this.host.options.protocol ?? 'http', upgrade: true})
      if (ex.head.targetAuthority !== undefined) headers.host = ex.head.targetAuthority
      // Upgraded sockets leave any pool, so no keep-alive agent here.
      const proxyReq: ClientRequest = httpRequest({host: dyno.host, port: dyno.port, method: ex.method, path: ex.path, headers, agent: false})
      let connected = false
      let timer = setTimeout(() => proxyReq.destroy(Object.assign(new Error('connect timeout'), {code: 'ETIMEDOUT'})), this.host.options.connectTimeoutMs ?? 5000)
      proxyReq.on('socket', (s: Socket) => {
        const onConnect = (): void => {
          connected = true
          connectMs = this.host.now() - attemptStart
          clearTimeout(timer)
          timer = setTimeout(() => {
            this.rawError(socket, ex, 'H12', dyno.name)
            proxyReq.destroy()
            resolve('done')
          }, this.host.options.responseTimeoutMs ?? 30_000)
        }
        if (s.connecting) s.once('connect', onConnect)
        else onConnect()
      })
      proxyReq.on('close', () => {
        clearTimeout(timer)
        finished()
      })
      proxyReq.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        if (!connected && RETRYABLE_CONNECT.has(error.code ?? '')) return resolve('refused')
        this.rawError(socket, ex, 'H13', dyno.name)
        resolve('done')
      })
      proxyReq.on('upgrade', (proxyRes: IncomingMessage, proxySocket: Socket, proxyHead: Buffer) => {
        clearTimeout(timer)
        proxySocket.on('error', ignore)
        if (socket.destroyed) {
          proxySocket.destroy()
          return resolve('done')
        }
        socket.write(rawHead(proxyRes.statusCode ?? 101, proxyRes.statusMessage, proxyRes.rawHeaders, {via: '1.1 tug'}))
        if (proxyHead.length > 0) socket.write(proxyHead)
        if (head.length > 0) proxySocket.write(head)
        this.host.upgraded.add(socket)
        const end = (): void => {
          this.host.upgraded.delete(socket)
          socket.destroy()
          proxySocket.destroy()
        }
        socket.on('close', end)
        proxySocket.on('close', end)
        proxySocket.pipe(socket)
        socket.pipe(proxySocket)
        this.host.log(ex, undefined, {dyno: dyno.name, connectMs, serviceMs: this.host.now() - attemptStart, status: proxyRes.statusCode ?? 101, bytes: 0})
        resolve('done')
      })
      proxyReq.on('response', (proxyRes: IncomingMessage) => {
        // The dyno declined the upgrade: relay its answer, then close (no framing to reuse).
        clearTimeout(timer)
        proxyRes.on('error', ignore)
        const out = stripHopByHop(proxyRes.headers)
        out.connection = 'close'
        out.via = '1.1 tug'
        socket.write(rawHead(proxyRes.statusCode ?? 502, proxyRes.statusMessage, undefined, out))
        let bytes = 0
        proxyRes.on('data', (chunk: Buffer) => {
          bytes += chunk.length
        })
        proxyRes.on('end', () => this.host.log(ex, undefined, {dyno: dyno.name, connectMs, serviceMs: this.host.now() - attemptStart, status: proxyRes.statusCode ?? 0, bytes}))
        proxyRes.pipe(socket)
        resolve('done')
      })
      proxyReq.end()
    })
  }

  private rawError(socket: Duplex, ex: Exchange, code: RouterErrorCode, dyno?: string): void {
    if (ex.logged) return
    const {status} = ROUTER_ERRORS[code]
    if (code === 'H27' || socket.destroyed) {
      this.host.log(ex, 'H27', {dyno})
      socket.destroy()
      return
    }
    const body = errorPage(code, ex.requestId)
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${ex.requestId}\r\nConnection: close\r\n\r\n${body}`)
    this.host.log(ex, code, {dyno, status})
  }
}

/** A response head written by hand on an upgraded socket. */
function rawHead(status: number, message: string | undefined, rawHeaders: string[] | undefined, extra: OutgoingHttpHeaders | IncomingHttpHeaders): string {
  const lines = [`HTTP/1.1 ${status} ${message ?? STATUS_CODES[status] ?? ''}`]
  const seen = new Set<string>()
  if (rawHeaders) {
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      lines.push(`${rawHeaders[i]}: ${rawHeaders[i + 1]}`)
      seen.add(String(rawHeaders[i]).toLowerCase())
    }
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined || (rawHeaders && seen.has(name))) continue
    for (const item of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${String(item)}`)
  }
  return `${lines.join('\r\n')}\r\n\r\n`
}
