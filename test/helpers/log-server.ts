// A control plane for log-stream tests, built in-process so that a test can reach its log router
// (write lines as dynos would) and set short session lifetimes: buildApp with a real store, a
// real persisted LogRouter and the store-only runtime, listening on 127.0.0.1 port 0.
// `openStream` reads a stream URL with node:http, so a test sees every byte and can hang up.
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {request, type IncomingHttpHeaders, type IncomingMessage} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {buildApp} from '../../src/server/http/app.js'
import type {AppDeps} from '../../src/server/http/deps.js'
import type {LogSessionSettings} from '../../src/server/http/routes/log-sessions.js'
import {ensureAdmin} from '../../src/server/index.js'
import {LogRouter, type LogRouterOptions} from '../../src/server/logs/index.js'
import {StoreOnlyRuntime} from './store-only-runtime.js'
import {Store} from '../../src/server/store/index.js'

export interface LogServer {
  url: string
  token: string
  logs: LogRouter
  store: Store
  deps: AppDeps
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<{status: number; body: T}>
  /** Creates an app; answers its id. */
  createApp(name: string): Promise<string>
  /** A log session's URL for `app`. */
  session(app: string, body: Record<string, unknown>): Promise<string>
  close(): Promise<void>
}

export async function startLogServer(
  options: {sessions?: LogSessionSettings; router?: Omit<LogRouterOptions, 'persist'>; clock?: () => Date} = {},
): Promise<LogServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tug-log-server-'))
  const store = new Store({path: join(dataDir, 'tug.db'), ...(options.clock ? {clock: options.clock} : {})})
  const {tokenPath} = ensureAdmin(store, dataDir)
  const token = readFileSync(tokenPath, 'utf8').trim()
  const logs = await LogRouter.open({...options.router, persist: {dir: join(dataDir, 'logs')}})
  let url = ''
  const deps: AppDeps = {store, runtime: new StoreOnlyRuntime(store), logs, dataDir, publicUrl: () => url, ...(options.sessions ? {logSessions: options.sessions} : {})}
  const app = buildApp(deps)
  await app.listen({host: '127.0.0.1', port: 0})
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

  async function call<T>(method: string, path: string, body?: unknown): Promise<{status: number; body: T}> {
    const headers: Record<string, string> = {Accept: 'application/vnd.heroku+json; version=3', Authorization: `Bearer ${token}`}
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    const response = await fetch(url + path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)})
    const text = await response.text()
    return {status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T}
  }

  let closed = false
  return {
    get url() {
      return url
    },
    token,
    logs,
    store,
    deps,
    call,
    async createApp(name) {
      const created = await call<{id: string}>('POST', '/apps', {name})
      if (created.status !== 201) throw new Error(`create app ${name}: ${created.status}`)
      return created.body.id
    },
    async session(appName, body) {
      const created = await call<{logplex_url: string}>('POST', `/apps/${appName}/log-sessions`, body)
      if (created.status !== 201) throw new Error(`log session: ${created.status} ${JSON.stringify(created.body)}`)
      return created.body.logplex_url
    },
    async close() {
      if (closed) return
      closed = true
      await app.close()
      await logs.close()
      store.close()
      rmSync(dataDir, {recursive: true, force: true})
    },
  }
}

export interface SseEventSeen {
  id?: string
  data: string
}

export interface OpenStream {
  status: number
  headers: IncomingHttpHeaders
  /** Every byte received so far, as text. */
  text: string
  /** The SSE events so far (comments excluded). */
  events(): SseEventSeen[]
  /** The lines of every event so far (SSE: an event may carry several), or every complete line (text). */
  lines(): string[]
  /** Resolves when the server ended the response (or the connection broke). */
  ended: Promise<void>
  isEnded(): boolean
  /** Hangs up. */
  close(): void
  /** Stops reading (the socket's buffers fill up, as with a paused client) and resumes. */
  pause(): void
  resume(): void
}

export function openStream(url: string, headers: Record<string, string> = {Accept: 'text/event-stream'}): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const req = request(url, {headers})
    req.on('error', reject)
    req.on('response', (response: IncomingMessage) => {
      let text = ''
      let ended = false
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (text += chunk))
      const endedPromise = new Promise<void>((done) => {
        const finish = (): void => {
          ended = true
          done()
        }
        response.on('end', finish)
        response.on('close', finish)
        response.on('error', finish)
      })
      req.removeListener('error', reject)
      req.on('error', () => {})
      const stream: OpenStream = {
        status: response.statusCode ?? 0,
        headers: response.headers,
        get text() {
          return text
        },
        events() {
          const events: SseEventSeen[] = []
          for (const block of text.split('\n\n').slice(0, -1)) {
            let id: string | undefined
            let data: string | undefined
            for (const line of block.split('\n')) {
              if (line.startsWith('id: ')) id = line.slice(4)
              // A data field per line: several join with \n (the SSE rule), as a batch of log lines does.
              else if (line.startsWith('data: ')) data = data === undefined ? line.slice(6) : `${data}\n${line.slice(6)}`
            }
            if (data !== undefined) events.push(id === undefined ? {data} : {id, data})
          }
          return events
        },
        lines() {
          if ((response.headers['content-type'] ?? '').includes('text/event-stream')) return stream.events().flatMap((e) => e.data.split('\n'))
          return text.split('\n').slice(0, -1)
        },
        ended: endedPromise,
        isEnded: () => ended,
        close: () => {
          req.destroy()
          response.destroy()
        },
        pause: () => response.pause(),
        resume: () => response.resume(),
      }
      resolve(stream)
    })
    req.end()
  })
}
