// Header rewriting between client and dyno. Pure functions over node's header objects.
import {randomFillSync} from 'node:crypto'
import type {IncomingHttpHeaders, OutgoingHttpHeaders} from 'node:http'

/** Heroku keeps a client's Request-Id when it looks like one: 20-200 chars of `[-\w+=/]`. */
const SANE_REQUEST_ID = /^[-\w+=/]{20,200}$/

/** Random bytes for request ids, refilled 256 ids at a time. */
const RANDOM = Buffer.allocUnsafe(16 * 256)
let randomUsed = RANDOM.length
const UUID = Buffer.allocUnsafe(36)
const HEX = '0123456789abcdef'

/**
 * A random (version 4) UUID, as `crypto.randomUUID` makes (from the same CSPRNG, batched the
 * same way), written as one flat string: randomUUID's is a concatenation of 20 pieces, flattened
 * again each time it is written or compared (a request id is written to both heads and the log).
 */
export function randomRequestId(): string {
  if (randomUsed === RANDOM.length) {
    randomFillSync(RANDOM)
    randomUsed = 0
  }
  let w = 0
  for (let i = 0; i < 16; i++) {
    let byte = RANDOM[randomUsed + i] as number
    if (i === 6) byte = (byte & 0x0f) | 0x40
    else if (i === 8) byte = (byte & 0x3f) | 0x80
    if (i === 4 || i === 6 || i === 8 || i === 10) UUID[w++] = 45
    UUID[w++] = HEX.charCodeAt(byte >> 4)
    UUID[w++] = HEX.charCodeAt(byte & 15)
  }
  randomUsed += 16
  return UUID.toString('latin1', 0, 36)
}

export function requestId(header: string | string[] | undefined, fresh: () => string = randomRequestId): string {
  const value = Array.isArray(header) ? header[0] : header
  return value !== undefined && SANE_REQUEST_ID.test(value) ? value : fresh()
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade'])

function connectionTokens(value: string | string[] | number | undefined): Set<string> {
  if (value === undefined) return new Set()
  const text = Array.isArray(value) ? value.join(',') : String(value)
  return new Set(text.split(',').map((token) => token.trim().toLowerCase()).filter((token) => token !== ''))
}

/**
 * A copy without the hop-by-hop headers: Connection and every header it names, Keep-Alive,
 * Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade. On an upgrade request `Connection: upgrade`
 * and `Upgrade` are kept, since they are the point of the request.
 */
export function stripHopByHop<T extends IncomingHttpHeaders | OutgoingHttpHeaders>(headers: T, options: {upgrade?: boolean} = {}): OutgoingHttpHeaders {
  const named = connectionTokens(headers.connection)
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    const key = name.toLowerCase()
    if (options.upgrade && (key === 'upgrade' || key === 'connection')) continue
    if (HOP_BY_HOP.has(key) || key.startsWith('proxy-') || named.has(key)) continue
    out[key] = value
  }
  if (options.upgrade && headers.upgrade !== undefined) {
    out.connection = 'Upgrade'
    out.upgrade = headers.upgrade
  }
  return out
}

/** `::ffff:127.0.0.1` -> `127.0.0.1`: what a client on IPv4 is, seen from a dual-stack socket. */
export function clientAddress(address: string | undefined): string {
  if (address === undefined) return ''
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}

function appendList(existing: string | string[] | number | undefined, value: string): string {
  if (existing === undefined) return value
  const previous = Array.isArray(existing) ? existing.join(', ') : String(existing)
  return previous.trim() === '' ? value : `${previous}, ${value}`
}

export interface ForwardContext {
  requestId: string
  /** The client's address (the TCP peer). */
  clientIp: string
  /** The router's own port the client connected to. */
  port: number
  protocol: 'http' | 'https'
  upgrade?: boolean
}

/** The headers sent to the dyno. */
export function requestHeadersForDyno(headers: IncomingHttpHeaders, context: ForwardContext): OutgoingHttpHeaders {
  const out = stripHopByHop(headers, {upgrade: context.upgrade ?? false})
  out['x-request-id'] = context.requestId
  out['x-forwarded-for'] = appendList(headers['x-forwarded-for'], context.clientIp)
  out['x-forwarded-proto'] = context.protocol
  out['x-forwarded-port'] = String(context.port)
  out.via = appendList(headers.via, '1.1 tug')
  return out
}

/** The headers sent back to the client. */
export function responseHeadersForClient(headers: IncomingHttpHeaders, requestIdValue: string): OutgoingHttpHeaders {
  const out = stripHopByHop(headers)
  out.via = appendList(headers.via, '1.1 tug')
  // Kept on the response too, so that a client can quote it when reporting a problem.
  out['x-request-id'] ??= requestIdValue
  return out
}

// ---- the hot path: the same rules over `rawHeaders` ([name, value, name, value, ...]) ----
// Node builds `req.headers` lazily; reading `rawHeaders` once and writing a flat array skips
// that object, its lower-casing and merging, on every proxied request.

/** What the router reads of a request's head, in one pass over its raw headers. */
export interface RawRequestHead {
  host?: string
  /** A second Host header was sent: RFC 9112 3.2 says 400 (two hosts, two possible apps). */
  duplicateHost?: boolean
  /** The authority of an absolute-form target: the dyno gets it as Host instead of the client's header. */
  targetAuthority?: string
  requestId?: string
  /** Incoming X-Forwarded-For values joined by `, ` (as node joins them). */
  forwardedFor?: string
  via?: string
  contentLength?: string
  chunked: boolean
  /** Header names the Connection header lists (lower case), besides `keep-alive`/`close`. */
  connectionNamed?: string[]
}

/** RFC 9110 tchar: ! # $ % & ' * + - . ^ _ ` | ~ DIGIT ALPHA. */
const TCHAR = new Uint8Array(128)
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1
for (let c = 48; c <= 57; c++) TCHAR[c] = 1
for (let c = 65; c <= 90; c++) TCHAR[c] = 1
for (let c = 97; c <= 122; c++) TCHAR[c] = 1

/** Whether a character code is a token character (header names, methods). */
export function isTchar(c: number): boolean {
  return c < 128 && TCHAR[c] === 1
}

/** A list header's values joined as one (RFC 9110 5.3), as both request paths read them. */
export function joinList(previous: string | undefined, value: string): string {
  return previous === undefined ? value : `${previous}, ${value}`
}

export function readRequestHead(raw: readonly string[]): RawRequestHead {
  const head: RawRequestHead = {chunked: false}
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase()
    const value = raw[i + 1] as string
    switch (name) {
      case 'host':
        if (head.host === undefined) head.host = value
        else head.duplicateHost = true
        break
      case 'x-request-id':
        head.requestId ??= value
        break
      case 'x-forwarded-for':
        head.forwardedFor = joinList(head.forwardedFor, value)
        break
      case 'via':
        head.via = joinList(head.via, value)
        break
      case 'content-length':
        head.contentLength ??= value
        break
      case 'transfer-encoding':
        head.chunked = true
        break
      case 'connection':
        for (const token of value.split(',')) {
          const t = token.trim().toLowerCase()
          if (t !== '' && t !== 'keep-alive' && t !== 'close') (head.connectionNamed ??= []).push(t)
        }
        break
      default:
    }
  }
  return head
}

function isHopByHop(name: string, named: readonly string[] | undefined): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith('proxy-') || (named !== undefined && named.includes(name))
}

/** Header names the Connection header(s) of a raw list name. */
function rawConnectionNamed(raw: readonly string[]): string[] | undefined {
  let named: string[] | undefined
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] as string).length !== 10 || (raw[i] as string).toLowerCase() !== 'connection') continue
    for (const token of (raw[i + 1] as string).split(',')) {
      const t = token.trim().toLowerCase()
      if (t !== '' && t !== 'keep-alive' && t !== 'close') (named ??= []).push(t)
    }
  }
  return named
}

/** `requestHeadersForDyno` over raw headers: a flat list for `http.request`, names as the client wrote them. */
export function rawRequestHeadersForDyno(raw: readonly string[], head: RawRequestHead, context: ForwardContext): string[] {
  const out: string[] = []
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string
    const key = name.toLowerCase()
    if (isHopByHop(key, head.connectionNamed)) continue
    if (key === 'x-request-id' || key === 'x-forwarded-for' || key === 'x-forwarded-proto' || key === 'x-forwarded-port' || key === 'via') continue
    if (head.targetAuthority !== undefined && key === 'host') continue
    out.push(name, raw[i + 1] as string)
  }
  if (head.targetAuthority !== undefined) out.push('host', head.targetAuthority)
  const previousFwd = head.forwardedFor?.trim()
  const previousVia = head.via?.trim()
  out.push(
    'x-request-id', context.requestId,
    'x-forwarded-for', previousFwd ? `${head.forwardedFor}, ${context.clientIp}` : context.clientIp,
    'x-forwarded-proto', context.protocol,
    'x-forwarded-port', String(context.port),
    'via', previousVia ? `${head.via}, 1.1 tug` : '1.1 tug',
  )
  return out
}

/** `responseHeadersForClient` over raw headers. */
export function rawResponseHeadersForClient(raw: readonly string[], requestIdValue: string): string[] {
  const named = rawConnectionNamed(raw)
  const out: string[] = []
  let via: string | undefined
  let hasRequestId = false
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string
    const key = name.toLowerCase()
    if (isHopByHop(key, named)) continue
    if (key === 'via') {
      via = joinList(via, raw[i + 1] as string)
      continue
    }
    if (key === 'x-request-id') hasRequestId = true
    out.push(name, raw[i + 1] as string)
  }
  out.push('via', via?.trim() ? `${via}, 1.1 tug` : '1.1 tug')
  if (!hasRequestId) out.push('x-request-id', requestIdValue)
  return out
}
