// One log drain: a live subscription to its app's lines, a bounded buffer, and a transport that
// sends the buffer on (syslog over TCP or TLS, or batched HTTPS POSTs). The router never waits for
// a drain: the subscription's sink always accepts, and a full buffer drops lines, counts them, and
// says so in the app's own stream once the drain has caught up (`Error L10`, as Logplex does).
import {randomUUID} from 'node:crypto'
import {connect as netConnect, type Socket} from 'node:net'
import {connect as tlsConnect, type ConnectionOptions} from 'node:tls'
import type {Agent, buildConnector, fetch as undiciFetch} from 'undici'
import {overflowNotice} from '../../../shared/log-line.js'
import {TIMESTAMP_LENGTH} from '../format.js'
import {NOTICE_DYNO, NOTICE_SOURCE, type LogRouter} from '../router.js'
import {Queue} from '../ring.js'
import type {LogItem, LogSubscription} from '../subscription.js'
import {addressProblem, DrainAddressRefused, guardedLookup} from './address-policy.js'
import {syslogFrame} from './frame.js'

export interface DrainTarget {
  id: string
  appId: string
  url: string
  /** `d.<uuid>`: the syslog HOSTNAME of every message, and the Logplex-Drain-Token header. */
  token: string
}

export interface DrainOptions {
  /** Lines a drain holds while its endpoint is slow or away (default 10,000). */
  bufferLines?: number
  /** Most lines per HTTPS POST (default 500). */
  batchLines?: number
  /** Reconnect / retry back-off: first wait and cap (default 500 ms, 30 s). */
  retryBaseMs?: number
  retryCapMs?: number
  /** Attempts at one HTTPS batch before it is dropped (and counted), default 5. */
  batchAttempts?: number
  /** Extra TLS options (a private CA in tests). */
  tls?: ConnectionOptions
  /**
   * Connect to loopback, link-local, private and other non-public addresses too (`tug server
   * --allow-private-drains`; tests with listeners on 127.0.0.1). Default: public addresses only.
   */
  allowPrivate?: boolean
  onError?: (error: unknown) => void
}

export interface DrainStats {
  /** Lines handed to the endpoint (written to the socket, or in a POST it acknowledged). */
  sent: number
  dropped: number
  buffered: number
  connected: boolean
  failures: number
}

export const DRAIN_DEFAULTS = {bufferLines: 10_000, batchLines: 500, retryBaseMs: 500, retryCapMs: 30_000, batchAttempts: 5} as const

abstract class Drain {
  protected readonly buffer = new Queue<string>()
  protected readonly options: Required<Omit<DrainOptions, 'tls' | 'allowPrivate' | 'onError'>> & DrainOptions
  protected sent = 0
  protected failures = 0
  protected closed = false
  private totalDropped = 0
  private dropping = 0
  private droppingSince = ''
  /** A refused address was told in the app's stream; again only after a delivery. */
  private refusalTold = false
  private retryTimer: NodeJS.Timeout | undefined
  private subscription: LogSubscription | undefined
  /** Told once the drain has stopped, whatever stopped it. */
  onClosed: (() => void) | undefined

  constructor(readonly target: DrainTarget, protected readonly router: LogRouter, options: DrainOptions) {
    this.options = {...DRAIN_DEFAULTS, ...options}
  }

  start(): void {
    this.subscription = this.router.subscribe(this.target.appId, {tail: true, lines: 0}, {
      deliver: (items) => this.accept(items),
      // The app is gone, or the router closes.
      end: () => this.close(),
    })
  }

  stats(): DrainStats {
    return {sent: this.sent, dropped: this.totalDropped, buffered: this.buffer.length, connected: this.isConnected(), failures: this.failures}
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.subscription?.close()
    this.shutdown()
    this.onClosed?.()
  }

  protected abstract pump(): void
  protected abstract shutdown(): void
  protected abstract isConnected(): boolean

  protected drop(count: number, since: string): void {
    if (this.dropping === 0) this.droppingSince = since
    this.dropping += count
    this.totalDropped += count
  }

  /** Called by a transport after it has handed lines over: the buffer may now be empty. */
  protected delivered(count: number): void {
    this.sent += count
    this.failures = 0
    this.refusalTold = false
    if (this.dropping > 0 && this.buffer.length === 0) {
      const notice = overflowNotice(this.dropping, this.droppingSince, this.target.token)
      this.dropping = 0
      this.droppingSince = ''
      // Into the app's stream: every reader (and this drain) sees that the drain lost lines.
      this.router.write(this.target.appId, {source: NOTICE_SOURCE, dyno: NOTICE_DYNO, message: notice})
    }
  }

  /** Runs `task` after the back-off for the current number of consecutive failures. */
  protected retryLater(task: () => void): void {
    if (this.closed || this.retryTimer) return
    const wait = Math.min(this.options.retryCapMs, this.options.retryBaseMs * 2 ** Math.min(20, Math.max(0, this.failures - 1)))
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      if (!this.closed) task()
    }, wait)
    this.retryTimer.unref()
  }

  protected get waitingToRetry(): boolean {
    return this.retryTimer !== undefined
  }

  protected report(error: unknown): void {
    // The address policy's refusal goes into the app's own stream (once), so that whoever added
    // the drain sees why nothing arrives. undici's fetch wraps it as the cause of a TypeError.
    const refused = error instanceof DrainAddressRefused ? error : error instanceof Error && error.cause instanceof DrainAddressRefused ? error.cause : undefined
    if (refused && !this.refusalTold && !this.closed) {
      this.refusalTold = true
      this.router.write(this.target.appId, {source: NOTICE_SOURCE, dyno: NOTICE_DYNO, message: `drain ${this.target.token}: ${refused.message}`})
    }
    try {
      this.options.onError?.(error)
    } catch {
      // nobody left to tell
    }
  }

  private accept(items: readonly LogItem[]): boolean {
    if (this.closed) return true
    for (const item of items) {
      if (this.buffer.length >= this.options.bufferLines) {
        this.drop(1, item.text.slice(0, TIMESTAMP_LENGTH))
        continue
      }
      this.buffer.push(item.text)
    }
    this.pump()
    // Always true: the drain's own buffer, not the subscription's queue, is where it drops.
    return true
  }
}

/** `syslog://host:port` and `syslog+tls://host:port`: one long-lived connection, frames written in order. */
export class SyslogDrain extends Drain {
  private socket: Socket | undefined
  private connected = false
  private waitingForDrain = false
  private readonly host: string
  private readonly port: number
  private readonly secure: boolean

  constructor(target: DrainTarget, router: LogRouter, options: DrainOptions) {
    super(target, router, options)
    const url = new URL(target.url)
    this.secure = url.protocol === 'syslog+tls:'
    this.host = url.hostname.replace(/^\[(.*)\]$/, '$1')
    this.port = url.port === '' ? (this.secure ? 6514 : 514) : Number(url.port)
  }

  protected isConnected(): boolean {
    return this.connected
  }

  protected pump(): void {
    if (this.closed) return
    if (!this.socket) {
      if (!this.waitingToRetry && this.buffer.length > 0) this.connect()
      return
    }
    if (!this.connected || this.waitingForDrain) return
    while (this.buffer.length > 0) {
      let chunk = ''
      let count = 0
      while (count < 1000 && this.buffer.length > 0) {
        chunk += syslogFrame(this.buffer.shift() as string, this.target.token)
        count++
      }
      const more = this.socket.write(chunk)
      this.delivered(count)
      if (!more) {
        this.waitingForDrain = true
        return
      }
    }
  }

  protected shutdown(): void {
    const socket = this.socket
    this.socket = undefined
    this.connected = false
    // What is already written gets out; nothing new is sent.
    socket?.end()
    socket?.setTimeout(5000, () => socket.destroy())
  }

  private connect(): void {
    const onConnected = (): void => {
      this.connected = true
      this.failures = 0
      this.pump()
    }
    // An IP literal is never looked up, so the policy judges it here; a name, in the lookup.
    const problem = this.options.allowPrivate ? undefined : addressProblem(this.host)
    if (problem !== undefined) {
      this.failures++
      this.retryLater(() => this.pump())
      this.report(new DrainAddressRefused(this.host, this.host, problem))
      return
    }
    const lookup = this.options.allowPrivate ? {} : {lookup: guardedLookup()}
    const socket = this.secure
      ? tlsConnect({host: this.host, port: this.port, servername: /^[\d.:]+$/.test(this.host) ? undefined : this.host, ...lookup, ...this.options.tls}, onConnected)
      : netConnect({host: this.host, port: this.port, ...lookup}, onConnected)
    socket.setNoDelay(true)
    socket.setKeepAlive(true, 60_000)
    this.socket = socket
    socket.on('drain', () => {
      this.waitingForDrain = false
      this.pump()
    })
    socket.on('error', (error) => this.report(error))
    socket.on('close', () => {
      if (this.socket !== socket) return
      this.socket = undefined
      this.connected = false
      this.waitingForDrain = false
      this.failures++
      this.retryLater(() => this.pump())
    })
    // A syslog receiver sends nothing back; reading keeps the socket's close from going unnoticed.
    socket.resume()
  }
}

/** `https://` (and `http://`, for local testing): batched POSTs of octet-counted frames, `application/logplex-1`. */
export class HttpsDrain extends Drain {
  private inFlight: AbortController | undefined
  private client: Promise<DrainClient> | undefined
  private batch: string[] | undefined
  private attempts = 0
  private readonly endpoint: string
  private readonly authorization: string | undefined

  constructor(target: DrainTarget, router: LogRouter, options: DrainOptions) {
    super(target, router, options)
    const url = new URL(target.url)
    // fetch refuses URLs with credentials: they become a Basic Authorization header.
    if (url.username !== '' || url.password !== '') {
      this.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
      url.username = ''
      url.password = ''
    }
    this.endpoint = url.toString()
  }

  protected isConnected(): boolean {
    return this.inFlight !== undefined
  }

  protected pump(): void {
    if (this.closed || this.inFlight || this.waitingToRetry) return
    if (!this.batch) {
      if (this.buffer.length === 0) return
      const batch: string[] = []
      while (batch.length < this.options.batchLines && this.buffer.length > 0) batch.push(this.buffer.shift() as string)
      this.batch = batch
      this.attempts = 0
    }
    void this.post(this.batch)
  }

  protected shutdown(): void {
    this.inFlight?.abort()
    void this.client?.then(({dispatcher}) => dispatcher.destroy()).catch(() => undefined)
  }

  private async post(batch: string[]): Promise<void> {
    const controller = new AbortController()
    this.inFlight = controller
    this.attempts++
    const timer = setTimeout(() => controller.abort(), 30_000)
    let ok = false
    try {
      const headers: Record<string, string> = {
        'Content-Type': 'application/logplex-1',
        'Logplex-Msg-Count': String(batch.length),
        'Logplex-Drain-Token': this.target.token,
        'Logplex-Frame-Id': randomUUID(),
        'User-Agent': 'tug-logplex',
      }
      if (this.authorization) headers.Authorization = this.authorization
      const body = batch.map((line) => syslogFrame(line, this.target.token)).join('')
      this.client ??= drainClient(this.options)
      const {fetch, dispatcher} = await this.client
      // A redirect is not followed: it could lead anywhere, and Logplex does not follow one either.
      const response = await fetch(this.endpoint, {method: 'POST', headers, body, signal: controller.signal, dispatcher, redirect: 'manual'})
      await response.arrayBuffer().catch(() => undefined)
      ok = response.ok
      if (!ok) this.report(new Error(`drain ${this.target.token}: ${this.endpoint} answered ${response.status}`))
    } catch (error) {
      if (!this.closed) this.report(error)
    } finally {
      clearTimeout(timer)
      this.inFlight = undefined
    }
    if (this.closed) return
    if (ok) {
      this.batch = undefined
      this.delivered(batch.length)
      this.pump()
      return
    }
    this.failures++
    if (this.attempts >= this.options.batchAttempts) {
      // Given up on: lost, and counted as such.
      this.batch = undefined
      this.drop(batch.length, (batch[0] ?? '').slice(0, TIMESTAMP_LENGTH))
    }
    this.retryLater(() => this.pump())
  }
}

interface DrainClient {
  fetch: typeof undiciFetch
  dispatcher: Agent
}

/**
 * An HTTPS drain's connections: undici's fetch over an Agent of its own whose connector applies
 * the address policy (a literal host judged before connecting, a name through guardedLookup) and
 * the drain's TLS options; SNI and Host stay the URL's name. undici (its index is ~85 ms to load)
 * is loaded by the first HTTPS drain's first POST.
 */
async function drainClient(options: DrainOptions): Promise<DrainClient> {
  const {Agent, buildConnector, fetch} = await import('undici')
  const base = buildConnector({...options.tls, ...(options.allowPrivate ? {} : {lookup: guardedLookup()})})
  const connect: buildConnector.connector = (target, callback) => {
    const host = target.hostname.replace(/^\[(.*)\]$/, '$1')
    const problem = options.allowPrivate ? undefined : addressProblem(host)
    if (problem !== undefined) return callback(new DrainAddressRefused(host, host, problem), null)
    base(target, callback)
  }
  return {fetch, dispatcher: new Agent({connect, keepAliveTimeout: 10_000})}
}

export type AnyDrain = SyslogDrain | HttpsDrain

export function createDrain(target: DrainTarget, router: LogRouter, options: DrainOptions = {}): AnyDrain {
  const protocol = new URL(target.url).protocol
  return protocol === 'syslog:' || protocol === 'syslog+tls:' ? new SyslogDrain(target, router, options) : new HttpsDrain(target, router, options)
}
