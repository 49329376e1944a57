// The fast path's request-head reader (issue 19). It reads only the common request: GET or HEAD,
// HTTP/1.1, an origin-form target, exactly one Host, no body (no Content-Length or
// Transfer-Encoding), no Upgrade or Expect, Connection naming only keep-alive/close, every byte
// of the head plain visible ASCII in token/field syntax. Anything else, and anything it is not
// sure of, is 'handoff': the connection goes to node's HTTP server with these bytes, which has
// every rule, limit and error page. This is hostile input, so the reader accepts a strict subset
// of what node accepts and never repairs: an obs-fold, a bare CR or LF, a NUL or other control
// byte, obs-text, a space before the colon, a second Host are all 'handoff'. The dyno gets a head
// rebuilt from the checked pieces only (no client byte is copied through unchecked): the request
// line and the passed lines are taken from the head's text by their offsets (session 7): a run of
// lines sent as `name: value` is one slice, no line is cut into name and value.
import {FIELDS, fieldsString, isName} from './bytes.js'
import {isTchar, joinList} from './headers.js'

/** A head longer than this without its end is handed off (node:http has its own, larger limit and says 431). */
export const FAST_HEAD_LIMIT = 16 * 1024
/** More header lines than this: handed off (unusual for the common request; node counts its own). */
export const FAST_MAX_HEADERS = 100

export class FastHead {
  /** The Host header's value (OWS trimmed). */
  host = ''
  requestId: string | undefined
  /** Incoming X-Forwarded-For values joined by `, `. */
  forwardedFor: string | undefined
  /** Incoming Via values joined by `, `. */
  via: string | undefined
  /** `Connection: close`: the connection ends after this answer. */
  close = false
  /** The end-to-end header lines for the dyno (hop-by-hop and the ones the router sets left out): their offsets in `text`, `FIELDS` per line (bytes.ts). */
  readonly fields: number[] = []

  constructor(
    /** The head (latin1), without its blank line. */
    private readonly text: string,
    readonly method: 'GET' | 'HEAD',
    /** The origin-form target, as sent. */
    readonly target: string,
    /** Where the request line ends (its CR). */
    private readonly lineEnd: number,
    /** Bytes of the head, the blank line included: where a pipelined next request starts. */
    readonly length: number,
  ) {}

  /** `METHOD target HTTP/1.1\r\n`, as it came (fast-head checked it is exactly that). */
  get requestLine(): string {
    return this.text.slice(0, this.lineEnd + 2)
  }

  /** The passed lines as the dyno gets them, each `name: value\r\n`, the value trimmed. */
  get passed(): string {
    return fieldsString(this.text, this.fields, this.fields.length / FIELDS)
  }
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

const enum Kind {
  Pass,
  Host,
  Handoff,
  Connection,
  RequestId,
  ForwardedFor,
  Via,
  /** Hop-by-hop, and the ones the router sets itself. */
  Drop,
}

/** What the header line named by `buffer[at, at + n)` is to the fast path. */
function kindOf(buffer: Buffer, at: number, n: number): Kind {
  switch (n) {
    case 2:
      if (isName(buffer, at, n, 'te')) return Kind.Drop
      break
    case 3:
      if (isName(buffer, at, n, 'via')) return Kind.Via
      break
    case 4:
      if (isName(buffer, at, n, 'host')) return Kind.Host
      break
    case 6:
      if (isName(buffer, at, n, 'expect')) return Kind.Handoff
      break
    case 7:
      if (isName(buffer, at, n, 'upgrade')) return Kind.Handoff
      if (isName(buffer, at, n, 'trailer')) return Kind.Drop
      break
    case 10:
      if (isName(buffer, at, n, 'connection')) return Kind.Connection
      if (isName(buffer, at, n, 'keep-alive')) return Kind.Drop
      break
    case 12:
      if (isName(buffer, at, n, 'x-request-id')) return Kind.RequestId
      break
    case 14:
      if (isName(buffer, at, n, 'content-length') || isName(buffer, at, n, 'http2-settings')) return Kind.Handoff
      break
    case 15:
      if (isName(buffer, at, n, 'x-forwarded-for')) return Kind.ForwardedFor
      break
    case 16:
      if (isName(buffer, at, n, 'x-forwarded-port')) return Kind.Drop
      break
    case 17:
      if (isName(buffer, at, n, 'transfer-encoding')) return Kind.Handoff
      if (isName(buffer, at, n, 'x-forwarded-proto')) return Kind.Drop
      break
    default:
  }
  return n >= 6 && isName(buffer, at, 6, 'proxy-') ? Kind.Drop : Kind.Pass
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
  // `text` runs at least to the CRLF ending the last line (`end` + 2): each line is sliced with its CRLF.
  let end: number
  let text: string
  if (buffer.length <= SHORT) {
    text = buffer.toString('latin1')
    end = text.indexOf('\r\n\r\n')
  } else {
    end = buffer.indexOf(CRLF2)
    text = end === -1 || end > FAST_HEAD_LIMIT ? '' : buffer.toString('latin1', 0, end + 2)
  }
  if (end === -1) return buffer.length > FAST_HEAD_LIMIT ? 'handoff' : 'incomplete'
  if (end > FAST_HEAD_LIMIT) return 'handoff'
  // The request line.
  const lineEnd = text.indexOf('\r\n')
  const line = lineEnd === -1 || lineEnd > end ? end : lineEnd
  const method = text.startsWith(GET) ? 'GET' : text.startsWith(HEAD) ? 'HEAD' : undefined
  if (method === undefined || line < method.length + 1 + VERSION.length + 1) return 'handoff'
  const targetStart = method.length + 1
  const targetEnd = line - VERSION.length
  if (text.slice(targetEnd, line) !== VERSION || text.charCodeAt(targetStart) !== 47) return 'handoff'
  for (let i = targetStart; i < targetEnd; i++) {
    const c = text.charCodeAt(i)
    if (c <= 0x20 || c >= 0x7f) return 'handoff'
  }
  const head = new FastHead(text, method, text.slice(targetStart, targetEnd), line, end + 4)
  const fields = head.fields
  let hosts = 0
  let count = 0
  let at = line + 2
  while (at < end) {
    if (++count > FAST_MAX_HEADERS) return 'handoff'
    const next = text.indexOf('\r\n', at)
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
    // OWS trimmed.
    let vs = colon + 1
    let ve = next
    while (vs < ve && (text.charCodeAt(vs) === 32 || text.charCodeAt(vs) === 9)) vs++
    while (ve > vs && (text.charCodeAt(ve - 1) === 32 || text.charCodeAt(ve - 1) === 9)) ve--
    const start = at
    at = next + 2
    switch (kindOf(buffer, start, colon - start)) {
      case Kind.Host:
        if (++hosts > 1) return 'handoff'
        head.host = text.slice(vs, ve)
        fields.push(start, colon, vs, ve, next)
        break
      case Kind.Handoff:
        return 'handoff'
      case Kind.Connection: {
        const close = connectionClose(text.slice(vs, ve))
        if (close === undefined) return 'handoff'
        if (close) head.close = true
        break
      }
      case Kind.RequestId:
        head.requestId ??= text.slice(vs, ve)
        break
      case Kind.ForwardedFor:
        head.forwardedFor = joinList(head.forwardedFor, text.slice(vs, ve))
        break
      case Kind.Via:
        head.via = joinList(head.via, text.slice(vs, ve))
        break
      case Kind.Drop:
        break
      default:
        fields.push(start, colon, vs, ve, next)
    }
  }
  return hosts === 1 ? head : 'handoff'
}
