// Header rewriting between client and dyno. Pure functions over node's header objects.
import {randomUUID} from 'node:crypto'
import type {IncomingHttpHeaders, OutgoingHttpHeaders} from 'node:http'

/** Heroku keeps a client's Request-Id when it looks like one: 20-200 chars of `[-\w+=/]`. */
const SANE_REQUEST_ID = /^[-\w+=/]{20,200}$/

export function requestId(header: string | string[] | undefined, fresh: () => string = randomUUID): string {
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
