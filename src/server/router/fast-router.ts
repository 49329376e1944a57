// What the fast path needs of the router and of its client connection (router.ts and
// fast-connection.ts implement them; fast-exchange.ts uses them). Types only.
import type {Socket} from 'node:net'
import type {DeadlineQueue} from './deadlines.js'
import type {RoutedApp, WebDyno} from './directory.js'
import type {RouterErrorCode} from './errors.js'
import type {RouterLogFields} from './log-line.js'
import type {DynoPool} from './upstream.js'

export type DynoChoice = {dyno: WebDyno} | {error: RouterErrorCode}

/** What a request's log line is made of (the router formats it). */
export interface LoggedExchange {
  app: RoutedApp
  method: string
  path: string
  host: string
  requestId: string
  fwd: string
  logged: boolean
}

/** What the fast path needs of the router (router.ts implements it). */
export interface FastRouter {
  readonly now: () => number
  readonly protocol: 'http' | 'https'
  /** The Keep-Alive header's value on answers (`timeout=5`), as node's server says it. */
  readonly keepAliveHeader: string
  readonly connectTimeoutMs: number
  /** The response timeout (H12). */
  readonly responses: DeadlineQueue
  readonly headersDeadlines: DeadlineQueue
  readonly keepAliveDeadlines: DeadlineQueue
  readonly idleTimeoutMs: number
  /** The app the Host header names and an `up` dyno for it now; undefined: node's server answers. */
  route(host: string): {app: RoutedApp; host: string; dyno: WebDyno} | undefined
  /** Counts a request against the dyno (least outstanding requests); returns its endpoint key for `end` and `pool`. */
  begin(app: RoutedApp, dyno: WebDyno): string
  end(endpoint: string): void
  pool(endpoint: string, app: RoutedApp, dyno: WebDyno): DynoPool
  /** Another dyno after a failed attempt (`tried` grows), or the error to answer. */
  nextDyno(app: RoutedApp, tried: Set<string>, failed: WebDyno, gone: () => boolean): Promise<DynoChoice>
  log(ex: LoggedExchange, code: RouterErrorCode | undefined, fields: Partial<RouterLogFields>): void
  /** Node's server takes the connection over, `bytes` first. */
  handoff(socket: Socket, bytes: Buffer | undefined): void
  /** The connection is closed or handed off. */
  forget(conn: FastClient): void
  /** The Date header's value now (cached, reset by a timer each second: no clock read per request). */
  date(): string
}

/** The client connection an exchange answers on. */
export interface FastClient {
  readonly socket: Socket
  readonly clientIp: string
  readonly localPort: number
  /** The exchange's answer is written and its dyno call closed: the next request may be read. */
  exchangeDone(ex: object): void
}
