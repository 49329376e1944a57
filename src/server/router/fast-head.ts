// The fast path's request-head reader (issue 19). It reads only the common request: GET or HEAD,
// HTTP/1.1, an origin-form target, exactly one Host, no body (no Content-Length or
// Transfer-Encoding), no Upgrade or Expect, Connection naming only keep-alive/close, every byte
// of the head plain visible ASCII in token/field syntax. Anything else, and anything it is not
// sure of, is 'handoff': the connection goes to node's HTTP server with these bytes, which has
// every rule, limit and error page. This is hostile input, so the reader accepts a strict subset
// of what node accepts and never repairs: an obs-fold, a bare CR or LF, a NUL or other control
// byte, obs-text, a space before the colon, a second Host are all 'handoff'. The dyno gets a head
// rebuilt from the checked pieces only (no client byte is copied through unchecked).
import {isTchar, joinList} from './headers.js'

/** A head longer than this without its end is handed off (node:http has its own, larger limit and says 431). */
export const FAST_HEAD_LIMIT = 16 * 1024
/** More header lines than this: handed off (unusual for the common request; node counts its own). */
export const FAST_MAX_HEADERS = 100

export interface FastHead {
  method: 'GET' | 'HEAD'
  /** The origin-form target, as sent. */
  target: string
  /** The Host header's value (OWS trimmed). */
  host: string
  requestId: string | undefined
  /** Incoming X-Forwarded-For values joined by `, `. */
  forwardedFor: string | undefined
  /** Incoming Via values joined by `, `. */
  via: string | undefined
  /** `Connection: close`: the connection ends after this answer. */
  close: boolean
  /** The end-to-end header lines for the dyno, each `name: value\r\n` (hop-by-hop and the ones the router sets left out). */
  passed: string
  /** Bytes of the head, the blank line included: where a pipelined next request starts. */
  length: number
}

export type FastParse = FastHead | 'incomplete' | 'handoff'

const CRLF2 = Buffer.from('\r\n\r\n', 'latin1')
const SHORT = 2048

const GET = 'GET '
const HEAD = 'HEAD '
const VERSION = ' HTTP/1.1'

/** Whether the bytes so far can still begin `GET ` or `HEAD ` (a POST is handed off on its first bytes). */
function couldBeFast(buffer: Buffer): boolean {
  const n = Math.min(buffer.length, 5)
  let get = true
  let head = true
  for (let i = 0; i < n; i++) {
    const c = buffer[i]
    if (i < 4 && c !== GET.charCodeAt(i)) get = false
    if (c !== HEAD.charCodeAt(i)) head = false
  }
  return get || head
}

/** OWS-trimmed `[from, to)` of `text`. */
function trimmed(text: string, from: number, to: number): string {
  let a = from
  let b = to
  while (a < b && (text.charCodeAt(a) === 32 || text.charCodeAt(a) === 9)) a++
  while (b > a && (text.charCodeAt(b - 1) === 32 || text.charCodeAt(b - 1) === 9)) b--
  return text.slice(a, b)
}

/** Connection's tokens: only keep-alive and close are the fast path's; undefined = hand off. */
function connectionClose(value: string): boolean | undefined {
  // The one value nearly every client sends, without splitting.
  if (value.length === 10 && value.toLowerCase() === 'keep-alive') return false
  let close = false
  for (const token of value.split(',')) {
    const t = token.trim().toLowerCase()
    if (t === 'close') close = true
    else if (t !== 'keep-alive' && t !== '') return undefined
  }
  return close
}

/** Reads the request head at the start of `buffer`. */
export function parseFastHead(buffer: Buffer): FastParse {
  if (!couldBeFast(buffer)) return 'handoff'
  // A short buffer (one request, the common case) is searched as a string: cheaper than Buffer's indexOf.
  let end: number
  let text: string
  if (buffer.length <= SHORT) {
    const all = buffer.toString('latin1')
    end = all.indexOf('\r\n\r\n')
    text = end === -1 ? '' : all.slice(0, end)
  } else {
    end = buffer.indexOf(CRLF2)
    text = end === -1 || end > FAST_HEAD_LIMIT ? '' : buffer.toString('latin1', 0, end)
  }
  if (end === -1) return buffer.length > FAST_HEAD_LIMIT ? 'handoff' : 'incomplete'
  if (end > FAST_HEAD_LIMIT) return 'handoff'
  // The request line.
  const lineEnd = text.indexOf('\r\n')
  const line = lineEnd === -1 ? text.length : lineEnd
  const method = text.startsWith(GET) ? 'GET' : text.startsWith(HEAD) ? 'HEAD' : undefined
  if (method === undefined || line < method.length + 1 + VERSION.length + 1) return 'handoff'
  const targetStart = method.length + 1
  const targetEnd = line - VERSION.length
  if (text.slice(targetEnd, line) !== VERSION || text.charCodeAt(targetStart) !== 47) return 'handoff'
  for (let i = targetStart; i < targetEnd; i++) {
    const c = text.charCodeAt(i)
    if (c <= 0x20 || c >= 0x7f) return 'handoff'
  }
  const head: FastHead = {
    method,
    target: text.slice(targetStart, targetEnd),
    host: '',
    requestId: undefined,
    forwardedFor: undefined,
    via: undefined,
    close: false,
    passed: '',
    length: end + 4,
  }
  let hosts = 0
  let count = 0
  let at = line + 2
  while (at < text.length) {
    if (++count > FAST_MAX_HEADERS) return 'handoff'
    let next = text.indexOf('\r\n', at)
    if (next === -1) next = text.length
    // The name: one or more tchar, then the colon at once (no obs-fold: a line may not start with SP/HTAB).
    let colon = at
    while (colon < next) {
      const c = text.charCodeAt(colon)
      if (!isTchar(c)) break
      colon++
    }
    if (colon === at || colon === next || text.charCodeAt(colon) !== 58) return 'handoff'
    // The value: HTAB, SP and visible ASCII only (no CR, LF, NUL, other controls, DEL or obs-text).
    for (let i = colon + 1; i < next; i++) {
      const c = text.charCodeAt(i)
      if ((c < 0x20 && c !== 9) || c >= 0x7f) return 'handoff'
    }
    const name = text.slice(at, colon)
    const value = trimmed(text, colon + 1, next)
    at = next + 2
    // Lower-cased only when its length is one the switch knows (or it may be a Proxy-* header).
    const n = name.length
    switch (n <= 4 || n === 6 || n === 7 || (n >= 10 && n <= 17 && n !== 11 && n !== 13) || (name.charCodeAt(0) | 0x20) === 112 ? name.toLowerCase() : '') {
      case 'host':
        if (++hosts > 1) return 'handoff'
        head.host = value
        head.passed += `${name}: ${value}\r\n`
        break
      case 'content-length':
      case 'transfer-encoding':
      case 'upgrade':
      case 'expect':
      case 'http2-settings':
        return 'handoff'
      case 'connection': {
        const close = connectionClose(value)
        if (close === undefined) return 'handoff'
        if (close) head.close = true
        break
      }
      case 'x-request-id':
        head.requestId ??= value
        break
      case 'x-forwarded-for':
        head.forwardedFor = joinList(head.forwardedFor, value)
        break
      case 'via':
        head.via = joinList(head.via, value)
        break
      // Hop-by-hop, and the ones the router sets itself.
      case 'keep-alive':
      case 'te':
      case 'trailer':
      case 'x-forwarded-proto':
      case 'x-forwarded-port':
        break
      default:
        if (name.length > 6 && name.slice(0, 6).toLowerCase() === 'proxy-') break
        head.passed += `${name}: ${value}\r\n`
    }
  }
  return hosts === 1 ? head : 'handoff'
}
