// The string reading of a dyno's response head that response-head.ts replaced (upstream.ts's
// `head` and fast-exchange.ts's `clientHead` before session 7), kept as the oracle its byte
// reading is tested against: the same failures, framing, rawHeaders and client head, byte for
// byte. One change: a header named exactly `Proxy-` is hop-by-hop here too, as on node's path
// (`rawResponseHeadersForClient`); the string version kept it unless Connection named a header.
import {STATUS_CODES} from 'node:http'
import {isTchar} from '../../../src/server/router/headers.js'

export interface ReferenceHead {
  status: number
  statusMessage: string
  rawHeaders: string[]
  contentLength: number
  chunked: boolean
  transferEncoding: boolean
  keepAlive: boolean
  shortKeepAlive: boolean
}

function hasControl(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i)
    if ((c < 0x20 && c !== 9) || c === 0x7f) return true
  }
  return false
}

function isDigits(value: string): boolean {
  return /^\d{1,15}$/.test(value)
}

/** A failure's code, or the head read (interim answers too: `status` < 200). */
export function referenceRead(text: string): ReferenceHead | {code: string} {
  let lineEnd = text.indexOf('\r\n')
  if (lineEnd === -1) lineEnd = text.length
  if (hasControl(text, 0, lineEnd)) return {code: 'HPE_INVALID_CONSTANT'}
  const match = lineEnd >= 12 ? /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/s.exec(text.slice(0, lineEnd)) : null
  if (!match || (lineEnd > 12 && text.charCodeAt(12) !== 32)) return {code: 'HPE_INVALID_CONSTANT'}
  const head: ReferenceHead = {status: Number(match[2]), statusMessage: match[3] ?? '', rawHeaders: [], contentLength: -1, chunked: false, transferEncoding: false, keepAlive: match[1] === '1', shortKeepAlive: false}
  let length: string | undefined
  let at = lineEnd + 2
  while (at < text.length) {
    let next = text.indexOf('\r\n', at)
    if (next === -1) next = text.length
    let colon = at
    while (colon < next && isTchar(text.charCodeAt(colon))) colon++
    if (colon === at || colon === next || text.charCodeAt(colon) !== 58) return {code: 'HPE_INVALID_HEADER_TOKEN'}
    if (hasControl(text, colon + 1, next)) return {code: 'HPE_INVALID_HEADER_TOKEN'}
    const name = text.slice(at, colon)
    const value = text.slice(colon + 1, next).trim()
    at = next + 2
    head.rawHeaders.push(name, value)
    switch (name.toLowerCase()) {
      case 'content-length':
        if (!isDigits(value) || (length !== undefined && length !== value)) return {code: 'HPE_UNEXPECTED_CONTENT_LENGTH'}
        length = value
        break
      case 'transfer-encoding':
        head.transferEncoding = true
        head.chunked = /(?:^|,)\s*chunked\s*$/i.test(value)
        break
      case 'connection':
        if (value.length === 5 || value.length === 10) {
          const token = value.toLowerCase()
          if (token === 'close') head.keepAlive = false
          else if (token === 'keep-alive') head.keepAlive = true
        } else if (/(?:^|,)\s*close\s*(?:,|$)/i.test(value)) head.keepAlive = false
        else if (/(?:^|,)\s*keep-alive\s*(?:,|$)/i.test(value)) head.keepAlive = true
        break
      case 'keep-alive': {
        const timeout = /timeout=(\d+)/i.exec(value)?.[1]
        if (timeout !== undefined && Number(timeout) <= 1) head.shortKeepAlive = true
        break
      }
      default:
    }
  }
  if (head.transferEncoding && length !== undefined) return {code: 'HPE_UNEXPECTED_CONTENT_LENGTH'}
  if (length !== undefined) head.contentLength = Number.parseInt(length, 10)
  return head
}

/** The client's head as fast-exchange.ts built it from rawHeaders. */
export function referenceClientHead(answer: ReferenceHead, requestId: string, bodyAllowed: boolean, keepAlive: string | undefined, date: string): {text: string; chunked: boolean} {
  const raw = answer.rawHeaders
  const message = answer.statusMessage === '' ? (STATUS_CODES[answer.status] ?? '') : answer.statusMessage
  let named: string[] | undefined
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() !== 'connection') continue
    const value = raw[i + 1] as string
    if (/^(?:keep-alive|close)$/i.test(value)) continue
    for (const token of value.split(',')) {
      const t = token.trim().toLowerCase()
      if (t !== '' && t !== 'keep-alive' && t !== 'close') (named ??= []).push(t)
    }
  }
  let text = `HTTP/1.1 ${answer.status} ${message}\r\n`
  let via: string | undefined
  let hasRequestId = false
  let hasLength = false
  let hasDate = false
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    const value = raw[i + 1] as string
    const key = name.toLowerCase()
    switch (key) {
      case 'connection':
      case 'keep-alive':
      case 'te':
      case 'trailer':
      case 'transfer-encoding':
      case 'upgrade':
        continue
      case 'via':
        via = via === undefined ? value : `${via}, ${value}`
        continue
      case 'x-request-id':
        hasRequestId = true
        break
      case 'content-length':
        hasLength = true
        break
      case 'date':
        hasDate = true
        break
      default:
        if (key.startsWith('proxy-') || (named !== undefined && named.includes(key))) continue
    }
    text += `${name}: ${value}\r\n`
  }
  text += via?.trim() ? `via: ${via}, 1.1 tug\r\n` : 'via: 1.1 tug\r\n'
  if (!hasRequestId) text += `x-request-id: ${requestId}\r\n`
  if (!hasDate) text += `Date: ${date}\r\n`
  text += keepAlive === undefined ? 'Connection: close\r\n' : `Connection: keep-alive\r\nKeep-Alive: ${keepAlive}\r\n`
  const chunked = bodyAllowed && !hasLength
  if (chunked) text += 'Transfer-Encoding: chunked\r\n'
  return {text: `${text}\r\n`, chunked}
}
