// What the node:http path of the router keeps per request (router.ts, upgrades.ts), and the
// request-target rule they share.
import type {IncomingMessage} from 'node:http'
import type {DynoChoice, LoggedExchange} from './fast-router.js'
import type {RawRequestHead} from './headers.js'
import {requestTarget} from './host.js'
import type {UpstreamCall} from './upstream.js'

/** The dyno chosen for a request, or the H-code why none was (the fast path's type, shared). */
export type Choice = DynoChoice

/** A request on the node:http path: what a log line is made of (LoggedExchange), and more. */
export interface Exchange extends LoggedExchange {
  clientIp: string
  localPort: number
  started: number
  upgrade: boolean
  /** The request's head as the router reads it. */
  head: RawRequestHead
  /** The attempt in flight to a dyno, destroyed when the client goes away. */
  upstream?: UpstreamCall
}

/** Connect errors after which no byte reached the dyno: the request can go to another one. */
export const RETRYABLE_CONNECT: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE'])

/** The balancer's exclusion set when no dyno has been tried yet. */
export const NO_EXCLUSION: ReadonlySet<string> = new Set()

export function ignore(): void {}

/**
 * RFC 9112 3.2: why the request gets a 400, or undefined. An absolute-form target
 * (`GET http://shop.localhost:5080/x`) becomes origin form (`/x`) in `req.url`, and its authority
 * is the host (it wins over the Host header, and the dyno gets it as Host).
 */
export function normaliseTarget(req: IncomingMessage, head: RawRequestHead): string | undefined {
  if (head.duplicateHost) return 'it has more than one Host header'
  const url = req.url ?? '/'
  // Origin form, the common case: nothing to do.
  if (url.charCodeAt(0) === 47) return undefined
  const target = requestTarget(url)
  if (!target) return 'its request-target is neither a path nor an http(s) URL'
  req.url = target.path
  if (target.authority !== undefined) {
    head.host = target.authority
    head.targetAuthority = target.authority
  }
  return undefined
}
