// The node:http path of the router: every request the fast path hands over (a body, another
// method, an absolute-form target, an unknown app, a wait for a dyno, the 503 band...). The head
// is read from node's `rawHeaders` in one pass, the request forwarded through upstream.ts, the
// body piped with node's backpressure, and every error answered with its H-code.
import type {IncomingMessage, OutgoingHttpHeaders, ServerResponse} from 'node:http'
import type {Balancer} from './balancer.js'
import type {ConnectionGuard} from './connections.js'
import type {RoutedApp, WebDyno, WebDynoDirectory} from './directory.js'
import {badRequestPage, errorPage, noSuchAppPage, ROUTER_ERRORS, type RouterErrorCode} from './errors.js'
import {ignore, NO_EXCLUSION, normaliseTarget, RETRYABLE_CONNECT, type Choice, type Exchange} from './exchange.js'
import type {LoggedExchange} from './fast-router.js'
import {rawRequestHeadersForDyno, rawResponseHeadersForClient, readRequestHead, type RawRequestHead} from './headers.js'
import {hostname} from './host.js'
import type {RouterLogFields} from './log-line.js'
import type {DynoPool, UpstreamCall, UpstreamResponse} from './upstream.js'

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])

function hasBody(head: RawRequestHead): boolean {
  return head.chunked || (head.contentLength !== undefined && head.contentLength !== '0')
}

/** What the node:http path needs of the router (router.ts). */
export interface NodePathHost {
  readonly options: {directory: WebDynoDirectory; protocol?: 'http' | 'https'; connectTimeoutMs?: number; responseTimeoutMs?: number}
  readonly guard: ConnectionGuard
  readonly balancer: Balancer
  now(): number
  resolve(host: string | undefined): RoutedApp | undefined
  exchange(req: IncomingMessage, app: RoutedApp, upgrade: boolean, head: RawRequestHead, host: string | undefined): Exchange
  choose(app: RoutedApp, exclude: ReadonlySet<string>, gone: () => boolean): Promise<Choice>
  nextDyno(app: RoutedApp, tried: Set<string>, failed: WebDyno, gone: () => boolean): Promise<Choice>
  poolFor(appName: string, dyno: WebDyno): DynoPool
  log(ex: LoggedExchange, code: RouterErrorCode | undefined, fields: Partial<RouterLogFields>): void
}

export class NodePath {
  constructor(private readonly host: NodePathHost) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    req.on('error', ignore)
    res.on('error', ignore)
    if (this.host.guard.refuse(req.socket, res, req.method)) return
    const head = readRequestHead(req.rawHeaders)
    const invalid = normaliseTarget(req, head)
    if (invalid !== undefined) {
      const body = badRequestPage(invalid)
      res.writeHead(400, {'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache, no-store', connection: 'close'})
      res.end(req.method === 'HEAD' ? undefined : body)
      return
    }
    const host = hostname(head.host)
    const app = this.host.resolve(host)
    if (!app) {
      const body = noSuchAppPage()
      res.writeHead(404, {'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache, no-store'})
      res.end(req.method === 'HEAD' ? undefined : body)
      return
    }
    const ex = this.host.exchange(req, app, false, head, host)
    res.on('close', () => {
      if (res.writableFinished) return
      this.host.log(ex, 'H27', {})
      ex.upstream?.destroy()
    })
    // The common case without a wait: an `up` dyno is there now.
    const dyno = this.host.balancer.pick(app.name, this.host.options.directory.list(app.name), NO_EXCLUSION)
    if (dyno) return this.forward(req, res, ex, dyno, undefined)
    this.host.choose(app, NO_EXCLUSION, () => res.destroyed).then(
      (choice) => {
        if (res.destroyed) return
        if ('error' in choice) return this.respondError(req, res, ex, choice.error, {})
        this.forward(req, res, ex, choice.dyno, undefined)
      },
      (error: unknown) => this.internalError(res, error),
    )
  }

  /** `tried` is undefined on the first attempt; a retry passes the dynos tried so far. */
  private forward(req: IncomingMessage, res: ServerResponse, ex: Exchange, dyno: WebDyno, tried: Set<string> | undefined): void {
    const head = ex.head
    const finished = this.host.balancer.begin(ex.app.name, dyno)
    const attemptStart = this.host.now()
    const withBody = hasBody(head)
    // The body goes on with its own framing; a chunked body without a length stays chunked.
    const chunkedBody = withBody && head.contentLength === undefined
    const headers = rawRequestHeadersForDyno(req.rawHeaders, head, {requestId: ex.requestId, clientIp: ex.clientIp, port: ex.localPort, protocol: this.host.options.protocol ?? 'http'})
    if (chunkedBody) headers.push('transfer-encoding', 'chunked')
    let connected = false
    let connectMs: number | undefined
    let sentAt = attemptStart
    let response: UpstreamResponse | undefined
    let timedOut = false
    let timer: NodeJS.Timeout | undefined
    let bytes = 0
    const resume = (): void => call.resume()

    const onConnect = (): void => {
      if (connected) return
      connected = true
      if (timer) clearTimeout(timer)
      sentAt = this.host.now()
      connectMs = sentAt - attemptStart
      timer = setTimeout(() => {
        timedOut = true
        call.destroy()
        if (!response) this.respondError(req, res, ex, 'H12', {dyno: dyno.name, connectMs, serviceMs: this.host.now() - sentAt})
      }, this.host.options.responseTimeoutMs ?? 30_000)
      // The body is read from the client only once the dyno accepted the connection, so that a
      // refused connection can be retried elsewhere with nothing of the body consumed.
      if (withBody) {
        req.on('data', (chunk: Buffer) => {
          if (!call.write(chunk)) req.pause()
        })
        req.on('end', () => call.end())
      }
    }

    const call: UpstreamCall = this.host.poolFor(ex.app.name, dyno).call(
      {
        onConnect,
        onDrain: () => req.resume(),
        onResponse: (answer) => {
          response = answer
          if (timer) clearTimeout(timer)
          if (res.destroyed) return call.destroy()
          // A status line without a reason phrase gets node's (`200 OK`), as on the fast path.
          res.writeHead(answer.status, answer.statusMessage || undefined, rawResponseHeadersForClient(answer.rawHeaders, ex.requestId))
        },
        onData: (chunk) => {
          bytes += chunk.length
          // A client that reads slowly stalls the dyno's writes. A copy: the chunk is upstream's read buffer.
          if (!res.write(Buffer.from(chunk))) {
            call.pause()
            res.once('drain', resume)
          }
        },
        onEnd: (last) => {
          if (last) bytes += last.length
          res.once('finish', () => this.host.log(ex, undefined, {dyno: dyno.name, connectMs, serviceMs: this.host.now() - sentAt, status: response?.status ?? 0, bytes}))
          res.end(last && Buffer.from(last))
        },
        onError: (error) => {
          if (timedOut || ex.logged) return
          if (response) {
            // The dyno went away mid-response: the client cannot be told by a status any more.
            this.host.log(ex, 'H13', {dyno: dyno.name, connectMs, serviceMs: this.host.now() - sentAt, status: response.status, bytes})
            res.destroy()
            return
          }
          const code = error.code ?? ''
          const beforeAnyByte = !connected && RETRYABLE_CONNECT.has(code)
          // A connection that died before any answer, for a request without a body that may be
          // repeated (a killed dyno, or a keep-alive connection the dyno closed as we reused it).
          const safeToRepeat = connected && !withBody && IDEMPOTENT.has(ex.method) && (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNREFUSED')
          if ((beforeAnyByte || safeToRepeat) && tried === undefined && !res.destroyed) {
            void this.retry(req, res, ex, new Set([dyno.name]), dyno)
            return
          }
          this.respondError(req, res, ex, 'H13', {dyno: dyno.name, connectMs, serviceMs: this.host.now() - sentAt})
        },
        onClose: () => {
          if (timer) clearTimeout(timer)
          finished()
        },
      },
      {headRequest: ex.method === 'HEAD', chunkedBody},
    )
    ex.upstream = call
    call.send(ex.method, ex.path, headers, withBody)
    if (!call.connecting) return onConnect()
    // A new connection (a reused keep-alive one needs no connect timer).
    timer = setTimeout(() => call.destroy(Object.assign(new Error('connect timeout'), {code: 'ETIMEDOUT'})), this.host.options.connectTimeoutMs ?? 5000)
  }

  private async retry(req: IncomingMessage, res: ServerResponse, ex: Exchange, tried: Set<string>, failed: WebDyno): Promise<void> {
    const choice = await this.host.nextDyno(ex.app, tried, failed, () => res.destroyed)
    if ('error' in choice) return this.respondError(req, res, ex, choice.error, {dyno: failed.name})
    this.forward(req, res, ex, choice.dyno, tried)
  }

  private respondError(req: IncomingMessage, res: ServerResponse, ex: Exchange, code: RouterErrorCode, fields: Partial<RouterLogFields>): void {
    if (ex.logged) return
    const {status} = ROUTER_ERRORS[code]
    if (code === 'H27' || res.destroyed) {
      this.host.log(ex, 'H27', fields)
      return
    }
    if (res.headersSent) {
      this.host.log(ex, code, fields)
      res.destroy()
      return
    }
    const body = errorPage(code, ex.requestId)
    const headers: OutgoingHttpHeaders = {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-cache, no-store',
      'x-request-id': ex.requestId,
      via: '1.1 tug',
    }
    // A body the client is still sending is not read on: this connection ends with the answer.
    if (!req.complete) headers.connection = 'close'
    res.writeHead(status, headers)
    res.end(req.method === 'HEAD' ? undefined : body)
    this.host.log(ex, code, {...fields, status})
  }

  internalError(res: ServerResponse, error: unknown): void {
    if (res.headersSent) res.destroy()
    else {
      res.writeHead(500, {'content-type': 'text/plain; charset=utf-8', connection: 'close'})
      res.end(`router error: ${error instanceof Error ? error.message : String(error)}\n`)
    }
  }
}
