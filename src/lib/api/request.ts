// The one request path of the client: auth, media type, Request-Id, timeouts, retries and error
// mapping all happen here, so that every resource behaves the same way.
//
// Without HTTP(S)_PROXY in the environment a request goes over node:http(s) (http-transport.ts:
// the cheapest start for a short command). With one, or with a dispatcher given, it calls the
// global `fetch` with an undici dispatcher (EnvHttpProxyAgent picks the proxy and applies
// NO_PROXY, as before). nock 14 intercepts both.
import {readFileSync} from 'node:fs'

import type {Dispatcher} from 'undici'

import {ApiError, NetworkError} from '../errors.js'
import {defaultDispatcher, usesProxy} from './dispatcher.js'
import {formatSeconds, sendOverHttp, TimeoutError, type Attempt, type ResponseHeaders} from './http-transport.js'
import type {ErrorBody} from '../../shared/api-types.js'
import {API_ACCEPT} from '../../shared/api-types.js'

export interface RequestOptions {
  /** JSON-encoded, except a Uint8Array, which is sent as raw bytes with no Content-Type. */
  body?: unknown
  headers?: Record<string, string>
  range?: string
  variant?: string
  /** Default: true for GET/HEAD/PUT/DELETE, false for POST/PATCH. */
  idempotent?: boolean
  /** Do not read the answer as JSON (an upload to a storage URL answers with anything). */
  discardBody?: boolean
}

export interface ApiResponse<T> {
  status: number
  headers: ResponseHeaders
  body: T
}

/** What the request function needs from a client; ApiClient builds it from its options. */
export interface RequestConfig {
  baseUrl: string
  token?: string
  userAgent?: string
  timeoutMs: number
  retries: number
  variant?: string
  dispatcher?: Dispatcher
  sleep: (ms: number) => Promise<void>
  onWarning?: (message: string) => void
  /** Warnings already reported by this client: Heroku's CLI prints each one once. */
  warned?: Set<string>
}

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE'])
const RETRY_STATUSES = new Set([429, 503])
// Failures of the connection itself. A reset may come after the server already read the
// request (a reused keep-alive socket closed under us), so only idempotent requests retry it.
const RETRY_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET'])
// A refused connection never carried a byte of the request: the only failure after which even
// a POST or PATCH can be sent again without the risk of doing the work twice.
const NEVER_SENT_CODES = new Set(['ECONNREFUSED'])

const BACKOFF_BASE_MS = 500
/** A body of bytes (a source upload) gets this much extra time to be sent: 64 KiB/s at worst. */
const MIN_UPLOAD_BYTES_PER_MS = 64
/** No single wait is longer, whatever Retry-After asks for: a CLI must not hang for minutes. */
export const MAX_RETRY_WAIT_MS = 30_000

const STATUS_IDS: Record<number, string> = {
  400: 'bad_request', 401: 'unauthorized', 402: 'delinquent', 403: 'forbidden', 404: 'not_found',
  406: 'not_acceptable', 409: 'conflict', 410: 'gone', 412: 'precondition_failed',
  416: 'requested_range_not_satisfiable', 422: 'invalid_params', 429: 'rate_limit',
  500: 'internal_server_error', 502: 'bad_gateway', 503: 'service_unavailable', 504: 'gateway_timeout',
}

let packageVersion: string | undefined

/** `tug/<version>`, read from package.json on the first request rather than at import. */
export function defaultUserAgent(): string {
  if (packageVersion === undefined) {
    try {
      // src/lib/api/ and dist/lib/api/ are both three levels below the package root.
      const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {version?: unknown}
      packageVersion = typeof pkg.version === 'string' ? pkg.version : '0.0.0'
    } catch {
      packageVersion = '0.0.0'
    }
  }
  return `tug/${packageVersion}`
}

/**
 * A version 4 UUID for the Request-Id header, which only has to tell requests apart in logs.
 * From Math.random: crypto's randomUUID loads node:crypto (~18M instructions, 3 % of a `tug ps`).
 */
export function newRequestId(): string {
  const hex = (digits: number): string => Math.floor(Math.random() * 16 ** digits).toString(16).padStart(digits, '0')
  const variant = (8 + Math.floor(Math.random() * 4)).toString(16)
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${variant}${hex(3)}-${hex(12)}`
}

export function acceptHeader(variant?: string): string {
  return variant ? `${API_ACCEPT}.${variant}` : API_ACCEPT
}

export function resolveUrl(baseUrl: string, path: string): URL {
  if (/^https?:\/\//i.test(path)) return new URL(path)
  return new URL(baseUrl.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`))
}

/** Seconds or an HTTP date, as milliseconds from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000)
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}

export function backoffMs(attempt: number, retryAfterMs?: number): number {
  const wait = retryAfterMs ?? BACKOFF_BASE_MS * 2 ** attempt
  return Math.min(wait, MAX_RETRY_WAIT_MS)
}

/** The `code` of an error or of any error in its cause chain (fetch wraps the socket error). */
export function errorCode(error: unknown): string | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 5 && current instanceof Object; depth++) {
    const code = (current as {code?: unknown}).code
    if (typeof code === 'string') return code
    current = (current as {cause?: unknown}).cause
  }
  return undefined
}

function innermostMessage(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error)
  let current: unknown = error
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current.message) message = current.message
    current = current.cause
  }
  return message
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  UND_ERR_SOCKET: 'the connection was closed before an answer came',
  EPIPE: 'the connection was closed while sending',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  UND_ERR_CONNECT_TIMEOUT: 'timed out connecting',
  UND_ERR_HEADERS_TIMEOUT: 'timed out waiting for an answer',
  UND_ERR_BODY_TIMEOUT: 'timed out reading the answer',
}

export function describeNetworkError(error: unknown): string {
  const code = errorCode(error)
  const known = code === undefined ? undefined : REASONS[code]
  return known ? `${known} (${code})` : innermostMessage(error)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function hintFor(status: number, body: Partial<ErrorBody> | undefined): string | undefined {
  if (status === 401) return 'Run `tug login`, or check TUG_API_KEY.'
  if (status === 404 && body?.resource === 'app') return 'Check the app name with `tug apps`.'
  return undefined
}

export function apiErrorFrom(status: number, text: string, method: string, path: string, requestId?: string): ApiError {
  let parsed: unknown
  try {
    parsed = text === '' ? undefined : JSON.parse(text)
  } catch {
    parsed = undefined
  }
  const body = isObject(parsed) ? (parsed as Partial<ErrorBody>) : undefined
  const message =
    (typeof body?.message === 'string' && body.message.trim() !== '' && body.message.trim()) ||
    (typeof body?.error === 'string' && body.error.trim() !== '' && body.error.trim()) ||
    `HTTP ${status} from ${method} ${path}`
  const id = typeof body?.id === 'string' && body.id !== '' ? body.id : (STATUS_IDS[status] ?? `http_${status}`)
  return new ApiError({status, id, message, requestId, body: parsed ?? (text === '' ? undefined : text), hint: hintFor(status, body)})
}

function reportWarnings(config: RequestConfig, headers: ResponseHeaders): void {
  if (!config.onWarning) return
  for (const name of ['x-heroku-warning', 'warning-message']) {
    const value = headers.get(name)?.trim()
    if (!value) continue
    config.warned ??= new Set()
    if (config.warned.has(value)) continue
    config.warned.add(value)
    config.onWarning(value)
  }
}

class TimeoutSignal {
  readonly controller = new AbortController()
  timedOut = false
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly ms: number) {}

  /** (Re)start the clock: once for sending and the headers, once more for reading the body. */
  arm(ms: number = this.ms): void {
    this.disarm()
    this.timer = setTimeout(() => {
      this.timedOut = true
      this.controller.abort()
    }, ms)
    this.timer.unref()
  }

  disarm(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }
}

/**
 * Every request of the client. Absolute URLs are allowed (a source upload's put_url); the token
 * is only sent to the base URL's origin, so that a storage URL elsewhere never sees it.
 */
export async function apiRequest<T>(config: RequestConfig, method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  method = method.toUpperCase()
  const url = resolveUrl(config.baseUrl, path)
  const base = resolveUrl(config.baseUrl, '/')
  const shownPath = url.pathname + url.search
  const idempotent = options.idempotent ?? IDEMPOTENT_METHODS.has(method)
  const viaFetch = config.dispatcher !== undefined || usesProxy()
  const dispatcher = viaFetch ? (config.dispatcher ?? (await defaultDispatcher({timeoutMs: config.timeoutMs, bodyTimeoutMs: config.timeoutMs}))) : undefined

  const raw = options.body instanceof Uint8Array
  const payload = options.body === undefined ? undefined : raw ? (options.body as Uint8Array) : JSON.stringify(options.body)

  for (let attempt = 0; ; attempt++) {
    const headers: Record<string, string> = {
      Accept: acceptHeader(options.variant ?? config.variant),
      'User-Agent': config.userAgent ?? defaultUserAgent(),
      'Request-Id': newRequestId(),
    }
    if (config.token && url.origin === base.origin) headers.Authorization = `Bearer ${config.token}`
    if (payload !== undefined && !raw) headers['Content-Type'] = 'application/json'
    if (options.range !== undefined) headers.Range = options.range
    // A caller's header replaces ours whatever its case, rather than being sent beside it.
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      for (const key of Object.keys(headers)) if (key.toLowerCase() === name.toLowerCase()) delete headers[key]
      headers[name] = value
    }

    const sendAllowanceMs = payload instanceof Uint8Array ? Math.ceil(payload.byteLength / MIN_UPLOAD_BYTES_PER_MS) : 0
    const discardBody = options.discardBody === true || method === 'HEAD'
    const result = dispatcher
      ? await attemptOverFetch(url, {method, headers, body: payload, dispatcher}, config.timeoutMs, sendAllowanceMs, discardBody)
      : await sendOverHttp(url, {method, headers, body: payload}, config.timeoutMs, sendAllowanceMs, discardBody)

    const last = attempt >= config.retries
    if (result.kind === 'network') {
      const code = errorCode(result.error)
      const retryable = code !== undefined && RETRY_NETWORK_CODES.has(code) && (idempotent || NEVER_SENT_CODES.has(code))
      if (!last && retryable) {
        await config.sleep(backoffMs(attempt))
        continue
      }
      throw networkError(result.error, url, method, shownPath, config.timeoutMs)
    }

    reportWarnings(config, result.headers)
    const requestId = result.headers.get('request-id') ?? undefined
    if (result.status < 200 || result.status >= 300) {
      // POST/PATCH are never retried on a status: the server got the request and may have acted.
      if (!last && idempotent && RETRY_STATUSES.has(result.status)) {
        await config.sleep(backoffMs(attempt, parseRetryAfter(result.headers.get('retry-after'))))
        continue
      }
      throw apiErrorFrom(result.status, result.text, method, shownPath, requestId)
    }

    let body: unknown
    if (result.text !== '') {
      try {
        body = JSON.parse(result.text)
      } catch (error) {
        const snippet = result.text.length > 60 ? `${result.text.slice(0, 60)}…` : result.text
        throw new ApiError({
          status: result.status,
          id: 'invalid_response',
          message: `The server answered ${method} ${shownPath} with malformed JSON (HTTP ${result.status}): ${(error as Error).message}. The answer began: ${JSON.stringify(snippet)}`,
          requestId,
          body: result.text,
        })
      }
    }
    return {status: result.status, headers: result.headers, body: body as T}
  }
}

async function attemptOverFetch(
  url: URL,
  init: {method: string; headers: Record<string, string>; body: string | Uint8Array | undefined; dispatcher: Dispatcher},
  timeoutMs: number,
  sendAllowanceMs: number,
  discardBody: boolean,
): Promise<Attempt> {
  const timeout = new TimeoutSignal(timeoutMs)
  timeout.arm(timeoutMs + sendAllowanceMs)
  try {
    // The dispatcher comes from undici 7 while the global fetch bundles its own undici types;
    // both speak the same dispatch interface, so the init is typed loosely at this one seam.
    const fetchInit: Omit<RequestInit, 'dispatcher'> & {dispatcher: Dispatcher} = {
      method: init.method,
      headers: init.headers,
      body: init.body,
      dispatcher: init.dispatcher,
      signal: timeout.controller.signal,
      redirect: 'follow',
    }
    const response = await fetch(url, fetchInit as unknown as RequestInit)
    timeout.arm()
    let text = ''
    if (discardBody) await response.body?.cancel()
    else text = await response.text()
    return {kind: 'response', status: response.status, headers: response.headers, text}
  } catch (error) {
    if (timeout.timedOut) return {kind: 'network', error: new TimeoutError(timeoutMs, error)}
    return {kind: 'network', error}
  } finally {
    timeout.disarm()
  }
}

function networkError(error: unknown, url: URL, method: string, path: string, timeoutMs: number): NetworkError {
  let reason = error instanceof TimeoutError ? `no answer to ${method} ${path} within ${formatSeconds(timeoutMs)}` : describeNetworkError(error)
  // fetch refuses the ports browsers block (6000, 6665-6669, 5060...) before connecting, with just "bad port".
  if (reason === 'bad port') reason = `fetch refuses to connect to port ${url.port} (a port browsers block); run the control plane on another port`
  return new NetworkError(`Could not reach the control plane at ${url.origin}: ${reason}`, {cause: error})
}
