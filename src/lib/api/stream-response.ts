// A log stream's response, read the same way whether it came from fetch or from node:http. The
// frames stream of a busy tail carries ~130 MB/s: node:http hands the socket's chunks over as
// they are, where fetch's web streams cost about twice the CPU per byte (bench/logs), so a
// frames request goes through node:http unless a proxy is set (undici's EnvHttpProxyAgent
// handles those) or a test injects a dispatcher.
import {request as httpRequest, type IncomingMessage} from 'node:http'
import type {Dispatcher} from 'undici'

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

async function openWithNodeHttp(url: string, options: OpenOptions): Promise<StreamResponse> {
  const target = new URL(url)
  // node:https (and TLS with it) only for an https URL.
  const send = target.protocol === 'https:' ? (await import('node:https')).request : httpRequest
  return new Promise((resolve, reject) => {
    // agent: false: one connection of its own, closed with the stream (a pooled idle socket
    // would be one more thing to keep from holding the process open).
    const request = send(target, {method: 'GET', headers: options.headers, signal: options.signal, agent: false, timeout: options.connectTimeoutMs})
    const noAnswer = (): void => void request.destroy(new Error(`no answer in ${options.connectTimeoutMs} ms`))
    request.once('timeout', noAnswer)
    request.once('error', reject)
    request.once('response', (response: IncomingMessage) => {
      // From now on the timeout is the body's: a stream silent for longer is dead.
      request.removeListener('timeout', noAnswer)
      request.setTimeout(options.idleTimeoutMs, () => request.destroy(new Error(`no data in ${options.idleTimeoutMs} ms`)))
      request.removeListener('error', reject)
      // Errors reach the reader through the iterator; this keeps an unread one from being thrown.
      request.on('error', () => {})
      const chunks = response[Symbol.asyncIterator]() as AsyncIterator<Buffer>
      resolve({
        status: response.statusCode ?? 0,
        header: (name) => {
          const value = response.headers[name.toLowerCase()]
          return Array.isArray(value) ? value.join(', ') : value
        },
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
      })
    })
    request.end()
  })
}
