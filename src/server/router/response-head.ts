// The dyno's response head on bytes (session 7). upstream.ts finds the head's end in the buffer
// it arrived in (the shared read buffer, or a copy when the head came in several reads) and this
// reads it there once: the status line, each header line checked (a token name with the colon
// right after it, a value without control bytes), the framing headers noted, and each line's
// offsets kept. The fast path builds its client's head from those offsets (`clientHead`): kept
// lines copied as byte ranges, the router's own lines added, into one Buffer with room for a
// small body. The node path still gets `rawHeaders` strings, made only when it asks.
//
// The bytes are valid only while upstream.ts's `onResponse` runs (the read buffer is reused by
// the next read): `statusMessage`, `rawHeaders` and `clientHead` are for that call; `release`
// ends it (what was asked stays, cached).
import {STATUS_CODES} from 'node:http'
import {FIELDS, fieldsLength, isName, put, putFields, putText} from './bytes.js'
import {isTchar} from './headers.js'

export interface HeadFailure {
  message: string
  code: string
}

/** Lines' offsets, reused from one head to the next (a head is read and used within one call). */
let scratch = new Int32Array(64 * FIELDS)
/** Each line's `Kind` while the client's head is built. */
let kinds = new Uint8Array(64)

/** A value's leading and trailing whitespace: what JS's `trim()` takes from a latin1 value without controls (HTAB, SP, NBSP). */
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 0xa0
}

function sameText(buffer: Buffer, at: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (buffer[at + i] !== text.charCodeAt(i)) return false
  return true
}

function sameBytes(buffer: Buffer, a: number, b: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (buffer[a + i] !== buffer[b + i]) return false
  return true
}

/** `timeout=N` in a Keep-Alive value, case-insensitive, the first one with digits (as `/timeout=(\d+)/i`): N <= 1. */
function shortTimeout(buffer: Buffer, from: number, to: number): boolean {
  for (let i = from; i + 8 < to; i++) {
    if (!isName(buffer, i, 7, 'timeout') || buffer[i + 7] !== 61) continue
    let n = 0
    let j = i + 8
    while (j < to && (buffer[j] as number) >= 48 && (buffer[j] as number) <= 57) n = n * 10 + (buffer[j++] as number) - 48
    if (j > i + 8) return n <= 1
  }
  return false
}

/** `start` + `value` + CRLF. */
function putLine(target: Buffer, at: number, start: string, value: string): number {
  const w = putText(target, putText(target, at, start), value)
  target[w] = 13
  target[w + 1] = 10
  return w + 2
}

const VIA_END = ', 1.1 tug\r\n'
const VIA_ALONE = 'via: 1.1 tug\r\n'
const REQUEST_ID = 'x-request-id: '
const DATE = 'Date: '
const CLOSE = 'Connection: close\r\n'
const KEEP_ALIVE = 'Connection: keep-alive\r\nKeep-Alive: '
const CHUNKED = 'Transfer-Encoding: chunked\r\n'

/** The head's last lines (what node's ServerResponse adds, then the blank line), cached by their variant (Date or not, chunked or not, keep-alive or not): they change once a second. */
const tails: Array<{date: string; keepAlive: string | undefined; bytes: Buffer} | undefined> = []

function tail(date: string | undefined, keepAlive: string | undefined, chunked: boolean): Buffer {
  const variant = (date === undefined ? 0 : 1) + (chunked ? 2 : 0) + (keepAlive === undefined ? 4 : 0)
  const cached = tails[variant]
  if (cached !== undefined && cached.date === (date ?? '') && cached.keepAlive === keepAlive) return cached.bytes
  const text = `${date === undefined ? '' : `${DATE}${date}\r\n`}${keepAlive === undefined ? CLOSE : `${KEEP_ALIVE}${keepAlive}\r\n`}${chunked ? CHUNKED : ''}\r\n`
  const bytes = Buffer.from(text, 'latin1')
  tails[variant] = {date: date ?? '', keepAlive, bytes}
  return bytes
}

/** What a line does in the client's head. */
const enum Kind {
  Keep,
  RequestId,
  Length,
  Date,
  /** Kinds from here on are not copied as they are. */
  Drop,
  Via,
}

/** A response head read from bytes. */
export class ResponseHead {
  status = 0
  /** Content-Length's value, -1 without one. */
  contentLength = -1
  transferEncoding = false
  chunked = false
  /** What the Connection header(s) and the version say. */
  keepAlive = true
  /** `Keep-Alive: timeout=1` or less. */
  shortKeepAlive = false
  private source: Buffer | undefined
  private lines = 0
  /** The status line's start and end (its CR). */
  private statusFrom = 0
  private statusEnd = 0
  private message: string | undefined
  private raw: string[] | undefined
  /** Some Connection header names a header other than keep-alive/close (those are hop-by-hop too). */
  private connectionNames = false

  /** The reason phrase as sent (latin1), '' without one. */
  get statusMessage(): string {
    this.message ??= this.bytes().toString('latin1', this.statusFrom + 13, this.statusEnd)
    return this.message
  }

  /** `[name, value, name, value, ...]` as the dyno sent them (latin1, values trimmed, like node's rawHeaders). */
  get rawHeaders(): string[] {
    if (this.raw !== undefined) return this.raw
    const source = this.bytes()
    const raw: string[] = []
    for (let l = 0; l < this.lines; l++) {
      const o = l * FIELDS
      raw.push(source.toString('latin1', scratch[o] as number, scratch[o + 1] as number), source.toString('latin1', scratch[o + 2] as number, scratch[o + 3] as number))
    }
    this.raw = raw
    return raw
  }

  /** The bytes are about to be reused: only what was asked for stays. */
  release(): void {
    this.source = undefined
  }

  private bytes(): Buffer {
    if (this.source === undefined) throw new Error('the response head was read after its onResponse call')
    return this.source
  }

  /**
   * Reads `[from, to)` of `buffer` (`to` is where the blank line's CRLF CRLF starts). Fails as
   * node's parser and its ServerResponse would: no HTTP/1.x status line, a control byte (a bare CR
   * or LF included) in a line, a bad header name, two different lengths, or both a length and
   * Transfer-Encoding.
   */
  static read(buffer: Buffer, from: number, to: number): ResponseHead | HeadFailure {
    const head = new ResponseHead()
    // The status line: `HTTP/1.x DDD[ reason]`, no control byte in it.
    let lineEnd = from
    while (lineEnd < to && !(buffer[lineEnd] === 13 && buffer[lineEnd + 1] === 10)) {
      const c = buffer[lineEnd] as number
      if ((c < 0x20 && c !== 9) || c === 0x7f) return {message: 'invalid character in the status line', code: 'HPE_INVALID_CONSTANT'}
      lineEnd++
    }
    const line = lineEnd - from
    if (line < 12 || !sameText(buffer, from, 'HTTP/1.') || buffer[from + 8] !== 32 || (line > 12 && buffer[from + 12] !== 32)) return {message: 'not an HTTP/1.x status line', code: 'HPE_INVALID_CONSTANT'}
    const minor = (buffer[from + 7] as number) - 48
    if (minor !== 0 && minor !== 1) return {message: 'not an HTTP/1.x status line', code: 'HPE_INVALID_CONSTANT'}
    let code = 0
    for (let i = from + 9; i < from + 12; i++) {
      const digit = (buffer[i] as number) - 48
      if (digit < 0 || digit > 9) return {message: 'not an HTTP/1.x status line', code: 'HPE_INVALID_CONSTANT'}
      code = code * 10 + digit
    }
    head.status = code
    head.keepAlive = minor === 1
    head.statusFrom = from
    head.statusEnd = lineEnd
    if (line === 12) head.message = ''
    let lengthAt = -1
    let lengthSize = 0
    let at = lineEnd + 2
    let lines = 0
    while (at < to) {
      let colon = at
      while (isTchar(buffer[colon] as number)) colon++
      if (colon === at || buffer[colon] !== 58) {
        const text = buffer.toString('latin1', at, to)
        const next = text.indexOf('\r\n')
        return {message: `invalid header line "${text.slice(0, Math.min(next === -1 ? text.length : next, 40))}"`, code: 'HPE_INVALID_HEADER_TOKEN'}
      }
      let next = colon + 1
      while (next < to) {
        const c = buffer[next] as number
        if (c < 0x20 || c === 0x7f) {
          if (c === 13 && buffer[next + 1] === 10) break
          if (c !== 9) return {message: 'invalid character in a header value', code: 'HPE_INVALID_HEADER_TOKEN'}
        }
        next++
      }
      let vs = colon + 1
      let ve = next
      while (vs < ve && isSpace(buffer[vs] as number)) vs++
      while (ve > vs && isSpace(buffer[ve - 1] as number)) ve--
      if ((lines + 1) * FIELDS > scratch.length) {
        const grown = new Int32Array(scratch.length * 2)
        grown.set(scratch)
        scratch = grown
      }
      const o = lines * FIELDS
      scratch[o] = at
      scratch[o + 1] = colon
      scratch[o + 2] = vs
      scratch[o + 3] = ve
      scratch[o + 4] = next
      lines++
      const n = colon - at
      const size = ve - vs
      if (n === 14 && isName(buffer, at, n, 'content-length')) {
        if (size === 0 || size > 15 || (lengthAt !== -1 && (size !== lengthSize || !sameBytes(buffer, lengthAt, vs, size)))) return {message: 'invalid Content-Length', code: 'HPE_UNEXPECTED_CONTENT_LENGTH'}
        let length = 0
        for (let i = vs; i < ve; i++) {
          const digit = (buffer[i] as number) - 48
          if (digit < 0 || digit > 9) return {message: 'invalid Content-Length', code: 'HPE_UNEXPECTED_CONTENT_LENGTH'}
          length = length * 10 + digit
        }
        lengthAt = vs
        lengthSize = size
        head.contentLength = length
      } else if (n === 17 && isName(buffer, at, n, 'transfer-encoding')) {
        head.transferEncoding = true
        head.chunked = /(?:^|,)\s*chunked\s*$/i.test(buffer.toString('latin1', vs, ve))
      } else if (n === 10 && isName(buffer, at, n, 'connection')) {
        // The usual single token without a string (another value of 5 or 10 bytes says nothing of keep-alive).
        if (size === 5 || size === 10) {
          if (isName(buffer, vs, size, 'close')) head.keepAlive = false
          else if (isName(buffer, vs, size, 'keep-alive')) head.keepAlive = true
          else head.connectionNames = true
        } else {
          const value = buffer.toString('latin1', vs, ve)
          if (/(?:^|,)\s*close\s*(?:,|$)/i.test(value)) head.keepAlive = false
          else if (/(?:^|,)\s*keep-alive\s*(?:,|$)/i.test(value)) head.keepAlive = true
          // It may name headers (hop-by-hop too): `namedByConnection` says which.
          if (size > 0) head.connectionNames = true
        }
      } else if (n === 10 && isName(buffer, at, n, 'keep-alive')) {
        // A dyno that keeps an idle connection a second or less: not worth pooling (node's Agent does the same).
        if (shortTimeout(buffer, vs, ve)) head.shortKeepAlive = true
      }
      at = next + 2
    }
    if (head.transferEncoding && lengthAt !== -1) return {message: 'both Content-Length and Transfer-Encoding', code: 'HPE_UNEXPECTED_CONTENT_LENGTH'}
    head.lines = lines
    head.source = buffer
    return head
  }

  /** Header names the Connection headers list, lower case (only when some Connection header names one). */
  private namedByConnection(): string[] | undefined {
    if (!this.connectionNames) return undefined
    const source = this.bytes()
    let named: string[] | undefined
    for (let l = 0; l < this.lines; l++) {
      const o = l * FIELDS
      const at = scratch[o] as number
      if (!isName(source, at, (scratch[o + 1] as number) - at, 'connection')) continue
      const value = source.toString('latin1', scratch[o + 2] as number, scratch[o + 3] as number)
      // The usual single token names no header.
      if ((value.length === 10 || value.length === 5) && /^(?:keep-alive|close)$/i.test(value)) continue
      for (const token of value.split(',')) {
        const t = token.trim().toLowerCase()
        if (t !== '' && t !== 'keep-alive' && t !== 'close') (named ??= []).push(t)
      }
    }
    return named
  }

  /** What the line at `at` (its name `n` bytes long) does in the client's head: hop-by-hop headers and those the Connection header names are dropped. */
  private kind(source: Buffer, at: number, n: number, named: string[] | undefined): Kind {
    switch (n) {
      case 2:
        if (isName(source, at, n, 'te')) return Kind.Drop
        break
      case 3:
        if (isName(source, at, n, 'via')) return Kind.Via
        break
      case 4:
        if (isName(source, at, n, 'date')) return Kind.Date
        break
      case 7:
        if (isName(source, at, n, 'trailer') || isName(source, at, n, 'upgrade')) return Kind.Drop
        break
      case 10:
        if (isName(source, at, n, 'connection') || isName(source, at, n, 'keep-alive')) return Kind.Drop
        break
      case 12:
        if (isName(source, at, n, 'x-request-id')) return Kind.RequestId
        break
      case 14:
        if (isName(source, at, n, 'content-length')) return Kind.Length
        break
      case 17:
        if (isName(source, at, n, 'transfer-encoding')) return Kind.Drop
        break
      default:
    }
    if (n >= 6 && isName(source, at, 6, 'proxy-')) return Kind.Drop
    if (named !== undefined && named.includes(source.toString('latin1', at, at + n).toLowerCase())) return Kind.Drop
    return Kind.Keep
  }

  /**
   * The client's head, as node's ServerResponse writes the node path's: the status line, the
   * dyno's end-to-end lines as it sent them (`name: value`, the value trimmed), Via with the
   * router's hop, X-Request-Id when the dyno set none, then what ServerResponse adds: Date, the
   * connection's fate, chunked framing without a length. `room` bytes are left free after it for
   * a small body. A line the dyno sent as `name: value` is copied with its neighbours as one range.
   */
  clientHead(requestId: string, bodyAllowed: boolean, keepAlive: string | undefined, date: string, room: number): {bytes: Buffer; length: number; chunked: boolean} {
    const source = this.bytes()
    const named = this.namedByConnection()
    const lines = this.lines
    if (kinds.length < lines) kinds = new Uint8Array(scratch.length / FIELDS)
    let viaCount = 0
    let viaSize = 0
    let hasRequestId = false
    let hasLength = false
    let hasDate = false
    for (let l = 0; l < lines; l++) {
      const o = l * FIELDS
      const at = scratch[o] as number
      const kind = this.kind(source, at, (scratch[o + 1] as number) - at, named)
      kinds[l] = kind
      if (kind === Kind.Via) viaSize += (viaCount++ === 0 ? 0 : 2) + (scratch[o + 3] as number) - (scratch[o + 2] as number)
      else if (kind === Kind.RequestId) hasRequestId = true
      else if (kind === Kind.Length) hasLength = true
      else if (kind === Kind.Date) hasDate = true
    }
    // The dyno's status line from its code on when it has a reason phrase; otherwise node's phrase.
    const ownLine = this.statusEnd - this.statusFrom > 13 ? undefined : `HTTP/1.1 ${this.status} ${STATUS_CODES[this.status] ?? ''}\r\n`
    const statusLine = ownLine === undefined ? this.statusEnd + 2 - this.statusFrom : ownLine.length
    const via = viaCount >= 2 || viaSize > 0
    const chunked = bodyAllowed && !hasLength
    const end = tail(hasDate ? undefined : date, keepAlive, chunked)
    const size = fieldsLength(scratch, lines, kinds, Kind.Drop) + statusLine + (via ? 5 + viaSize + VIA_END.length : VIA_ALONE.length) + (hasRequestId ? 0 : REQUEST_ID.length + requestId.length + 2) + end.length
    const out = Buffer.allocUnsafe(size + room)
    let w = 0
    if (ownLine === undefined) {
      w = putText(out, w, 'HTTP/1.1')
      w = put(out, w, source, this.statusFrom + 8, this.statusEnd + 2)
    } else w = putText(out, w, ownLine)
    // Kept lines: a run of lines sent as `name: value` is one range.
    w = putFields(out, w, source, scratch, lines, kinds, Kind.Drop)
    if (via) {
      w = putText(out, w, 'via: ')
      let first = true
      for (let l = 0; l < lines; l++) {
        if (kinds[l] !== Kind.Via) continue
        if (!first) w = putText(out, w, ', ')
        first = false
        const o = l * FIELDS
        w = put(out, w, source, scratch[o + 2] as number, scratch[o + 3] as number)
      }
      w = putText(out, w, VIA_END)
    } else w = putText(out, w, VIA_ALONE)
    if (!hasRequestId) w = putLine(out, w, REQUEST_ID, requestId)
    out.set(end, w)
    return {bytes: out, length: w + end.length, chunked}
  }
}
