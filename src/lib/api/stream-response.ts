// A log stream's response, read the same way whether it came from fetch or from node:http. The
// frames stream of a busy tail carries ~130 MB/s: node:http hands the socket's chunks over as
// they are, where fetch's web streams cost about twice the CPU per byte (bench/logs), so a
// frames request goes through node:http unless a proxy is set (undici's EnvHttpProxyAgent
// handles those) or a test injects a dispatcher. Both follow redirects the same way (see
// openWithNodeHttp).
import {request as httpRequest, type ClientRequest, type IncomingMessage} from 'node:http'
import type {Dispatcher} from 'undici'
import {headersFor, isRedirect, MAX_REDIRECTS, redirectTarget, tooManyRedirects} from './redirects.js'

export interface StreamResponse {
  status: number
  header(name: string): string | undefined
  /** The next chunk of the body, undefined at its end; rejects when the connection breaks. */
  read(): Promise<Uint8Array | undefined>
  /** Stops reading and releases the connection. */
  cancel(): Promise<void>
  text(): Promise<string>
}

export interface OpenOptions {
  headers: Record<string, string>
  signal?: AbortSignal
  /** fetch's dispatcher; undefined: through node:http rather than fetch. */
  dispatcher: Dispatcher | undefined
  connectTimeoutMs: number
  idleTimeoutMs: number
}

export async function openStream(url: string, options: OpenOptions): Promise<StreamResponse> {
  return options.dispatcher === undefined ? openWithNodeHttp(url, options) : openWithFetch(url, options, options.dispatcher)
}

async function openWithFetch(url: string, options: OpenOptions, dispatcher: Dispatcher): Promise<StreamResponse> {
  const init: Omit<RequestInit, 'dispatcher'> & {dispatcher: Dispatcher} = {headers: options.headers, signal: options.signal, dispatcher}
  const response = await fetch(url, init as unknown as RequestInit)
  // Made on the first read: text() needs the body unlocked.
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  return {
    status: response.status,
    header: (name) => response.headers.get(name) ?? undefined,
    read: async () => {
      reader ??= response.body?.getReader()
      if (!reader) return undefined
      const chunk = await reader.read()
      return chunk.done ? undefined : chunk.value
    },
    cancel: async () => {
      await (reader ? reader.cancel() : response.body?.cancel())?.catch(() => undefined)
    },
    text: () => response.text(),
  }
}

/**
 * Follows redirects as fetch does (undici, the WHATWG fetch rules): a 301, 302, 303, 307 or 308
 * with a Location goes on to that URL (relative to the current one), at most MAX_REDIRECTS times,
 * only to http(s), dropping Authorization and the like when the origin changes. The request is a
 * GET, and every one of those statuses keeps a GET a GET. A redirect without Location is the
 * answer, as with fetch.
 */
async function openWithNodeHttp(url: string, options: OpenOptions): Promise<StreamResponse> {
  // Errors name origins only: a log stream's URL is a capability.
  let target = new URL(url)
  let headers = options.headers
  for (let redirects = 0; ; redirects++) {
    const {request, response} = await send(target, headers, options)
    const location = isRedirect(response.statusCode) ? header(response, 'location') : undefined
    if (location === undefined) return streamOf(request, response, options)
    // The redirect's body is not read: the connection is its own (agent: false), closed here.
    response.destroy()
    request.destroy()
    const next = redirectTarget(location, target)
    if (redirects === MAX_REDIRECTS) throw tooManyRedirects(next)
    headers = headersFor(next, target, headers)
    target = next
  }
}

function header(response: IncomingMessage, name: string): string | undefined {
  const value = response.headers[name.toLowerCase()]
  return Array.isArray(value) ? value.join(', ') : value
}

/** One request, up to its answer's headers (within the connect timeout). */
async function send(target: URL, headers: Record<string, string>, options: OpenOptions): Promise<{request: ClientRequest; response: IncomingMessage}> {
  // node:https (and TLS with it) only for an https URL.
  const request = target.protocol === 'https:' ? (await import('node:https')).request : httpRequest
  return new Promise((resolve, reject) => {
    // agent: false: one connection of its own, closed with the stream (a pooled idle socket
    // would be one more thing to keep from holding the process open).
    const req = request(target, {method: 'GET', headers, signal: options.signal, agent: false, timeout: options.connectTimeoutMs})
    const noAnswer = (): void => void req.destroy(new Error(`no answer in ${options.connectTimeoutMs} ms`))
    req.once('timeout', noAnswer)
    req.once('error', reject)
    req.once('response', (response: IncomingMessage) => {
      req.removeListener('timeout', noAnswer)
      req.removeListener('error', reject)
      // Errors reach the reader through the iterator; this keeps an unread one from being thrown.
      req.on('error', () => {})
      resolve({request: req, response})
    })
    req.end()
  })
}

function streamOf(request: ClientRequest, response: IncomingMessage, options: OpenOptions): StreamResponse {
  // From now on the timeout is the body's: a stream silent for longer is dead.
  request.setTimeout(options.idleTimeoutMs, () => request.destroy(new Error(`no data in ${options.idleTimeoutMs} ms`)))
  const chunks = response[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  return {
    status: response.statusCode ?? 0,
    header: (name) => header(response, name),
    read: async () => {
      const next = await chunks.next()
      return next.done ? undefined : next.value
    },
    cancel: async () => {
      request.destroy()
      await chunks.return?.().catch(() => undefined)
    },
    text: async () => {
      const parts: Buffer[] = []
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) parts.push(next.value)
      return Buffer.concat(parts).toString('utf8')
    },
  }
}
