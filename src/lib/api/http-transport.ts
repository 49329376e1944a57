// One API request over node:http(s), for the client's direct connections (no proxy).
//
// Why not the global fetch here: in a short-lived process its first call loads Node's bundled
// undici (~30-45 ms) and compiles its WebAssembly HTTP parser, and the undici dispatcher it takes
// costs ~25-35 ms more: together about half of a `tug ps`. node:http's parser is native and
// already part of Node. nock 14 intercepts node:http as it does fetch, so the tests exercise this
// path too. A proxied request still goes through fetch and undici's EnvHttpProxyAgent (request.ts).
import type {Agent, ClientRequest, IncomingHttpHeaders, IncomingMessage} from 'node:http'
import {headersFor, isRedirect, MAX_REDIRECTS, redirectTarget, tooManyRedirects} from './redirects.js'

/** What the client reads of a response's headers; both fetch's Headers and NodeHeaders have it. */
export interface ResponseHeaders {
  get(name: string): string | null
}

/** A Headers-like view of Node's response headers (names already lower-case). */
export class NodeHeaders implements ResponseHeaders {
  constructor(private readonly raw: IncomingHttpHeaders) {}

  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()]
    if (value === undefined) return null
    return Array.isArray(value) ? value.join(', ') : value
  }
}

export interface TransportRequest {
  method: string
  headers: Record<string, string>
  body: string | Uint8Array | undefined
}

export type Attempt =
  | {kind: 'response'; status: number; headers: ResponseHeaders; text: string}
  | {kind: 'network'; error: unknown}

export class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT_TUG'
  constructor(readonly ms: number, cause?: unknown) {
    super(`no answer within ${formatSeconds(ms)}`, {cause})
  }
}

export function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`
}

// Idle keep-alive sockets are unref'd by Node's agent, so holding them open never delays exit.
const KEEP_ALIVE_MS = 10_000

interface Protocol {
  request: (url: URL, options: {method: string; headers: Record<string, string>; agent: Agent}, callback: (response: IncomingMessage) => void) => ClientRequest
  agent: Agent
}

const protocols = new Map<string, Promise<Protocol>>()

/** node:http or node:https with one keep-alive agent each, loaded on first use (https only when asked). */
function protocolFor(scheme: string): Promise<Protocol> {
  let protocol = protocols.get(scheme)
  if (!protocol) {
    protocol = (scheme === 'https:' ? import('node:https') : import('node:http')).then((module) => ({
      request: module.request,
      agent: new module.Agent({keepAlive: true, keepAliveMsecs: KEEP_ALIVE_MS}),
    }))
    protocols.set(scheme, protocol)
  }
  return protocol
}

/**
 * Sends one request and reads the whole answer as text, following redirects as fetch does.
 * `timeoutMs + sendAllowanceMs` covers connecting, sending and the headers; `timeoutMs` again
 * covers reading the body.
 */
export async function sendOverHttp(url: URL, init: TransportRequest, timeoutMs: number, sendAllowanceMs: number, discardBody: boolean): Promise<Attempt> {
  let current = url
  let request = init
  for (let redirects = 0; ; redirects++) {
    let answer: {status: number; headers: IncomingHttpHeaders; text: string}
    try {
      answer = await once(current, request, timeoutMs, sendAllowanceMs, discardBody)
    } catch (error) {
      return {kind: 'network', error}
    }
    const location = answer.headers.location
    if (!isRedirect(answer.status) || location === undefined) {
      return {kind: 'response', status: answer.status, headers: new NodeHeaders(answer.headers), text: answer.text}
    }
    let next: URL
    try {
      next = redirectTarget(location, current)
    } catch (error) {
      return {kind: 'network', error}
    }
    if (redirects === MAX_REDIRECTS) return {kind: 'network', error: tooManyRedirects(next)}
    // Credentials stay with the origin they were meant for, as fetch does (a copy: the loop edits it).
    const headers = {...headersFor(next, current, request.headers)}
    // 303, and 301/302 after a POST, turn into a GET without a body (fetch's rules).
    const toGet = answer.status === 303 ? request.method !== 'HEAD' : (answer.status === 301 || answer.status === 302) && request.method === 'POST'
    if (toGet) {
      for (const name of Object.keys(headers)) if (name.toLowerCase() === 'content-type') delete headers[name]
      request = {method: 'GET', headers, body: undefined}
    } else {
      request = {...request, headers}
    }
    current = next
  }
}

async function once(url: URL, init: TransportRequest, timeoutMs: number, sendAllowanceMs: number, discardBody: boolean): Promise<{status: number; headers: IncomingHttpHeaders; text: string}> {
  const protocol = await protocolFor(url.protocol)
  const headers = {...init.headers}
  if (init.body !== undefined) headers['Content-Length'] = String(typeof init.body === 'string' ? Buffer.byteLength(init.body) : init.body.byteLength)
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined
    // The timeout settles the promise first: destroying the request or the response afterwards
    // also emits a reset, which must not be what the caller sees.
    const arm = (ms: number, destroy: () => void): void => {
      if (timer) clearTimeout(timer)
      timer = setTimeout(() => {
        reject(new TimeoutError(timeoutMs))
        destroy()
      }, ms)
      timer.unref()
    }
    const fail = (error: unknown): void => {
      if (timer) clearTimeout(timer)
      reject(error)
    }
    const req = protocol.request(url, {method: init.method, headers, agent: protocol.agent}, (res) => {
      arm(timeoutMs, () => res.destroy())
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => {
        if (!discardBody) chunks.push(chunk)
      })
      res.once('error', fail)
      res.once('aborted', () => fail(Object.assign(new Error('the connection was closed before the whole answer came'), {code: 'ECONNRESET'})))
      res.once('end', () => {
        if (timer) clearTimeout(timer)
        resolve({status: res.statusCode ?? 0, headers: res.headers, text: discardBody ? '' : Buffer.concat(chunks).toString('utf8')})
      })
    })
    arm(timeoutMs + sendAllowanceMs, () => req.destroy())
    req.once('error', fail)
    req.end(init.body)
  })
}
