// Real sockets for the router tests: node:http servers on 127.0.0.1:0 stand in for web dynos
// behind a fake directory; the router listens on port 0 too.
import {Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type RequestListener, type Server} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'
import nock from 'nock'
import {HttpRouter, type RouterOptions} from '../../../src/server/router/index.js'
import type {RoutedApp, WebDyno, WebDynoDirectory} from '../../../src/server/router/index.js'

export class FakeDirectory implements WebDynoDirectory {
  readonly apps = new Map<string, WebDyno[]>()
  /** How often the router looked: it looks again on every poll while it holds a request. */
  lookups = 0
  list(appName: string): WebDyno[] {
    this.lookups += 1
    return (this.apps.get(appName) ?? []).map((d) => ({...d}))
  }
  set(appName: string, dynos: WebDyno[]): void {
    this.apps.set(appName, dynos)
  }
  setState(appName: string, name: string, state: string): void {
    const dyno = this.apps.get(appName)?.find((d) => d.name === name)
    if (dyno) dyno.state = state
  }
}

export interface Backend {
  name: string
  server: Server
  port: number
  dyno(state?: string): WebDyno
  close(): Promise<void>
}

export async function startBackend(name: string, handler?: RequestListener): Promise<Backend> {
  const sockets = new Set<Socket>()
  const server = createServer(
    handler ??
      ((req, res) => {
        req.resume()
        req.on('end', () => {
          const body = JSON.stringify({dyno: name, method: req.method, url: req.url, headers: req.headers})
          res.writeHead(200, {'content-type': 'application/json', connection: 'keep-alive', 'keep-alive': 'timeout=5'})
          res.end(body)
        })
      }),
  )
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    name,
    server,
    port,
    dyno: (state = 'up') => ({name, host: '127.0.0.1', port, state}),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        if (!server.listening) return resolve()
        server.close(() => resolve())
      }),
  }
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export interface LogEntry {
  app: RoutedApp
  line: string
}

export async function startRouter(directory: WebDynoDirectory, options: Partial<RouterOptions> = {}): Promise<{router: HttpRouter; port: number; logs: LogEntry[]}> {
  const logs: LogEntry[] = []
  const router = new HttpRouter({
    directory,
    resolveApp: (name) => (name === 'nosuch' ? undefined : {id: `id-${name}`, name}),
    log: (app, line) => logs.push({app, line}),
    host: '127.0.0.1',
    port: 0,
    ...options,
  })
  const {port} = await router.listen()
  return {router, port, logs}
}

export interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

export function fetchVia(port: number, host: string, options: {method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer; agent?: Agent} = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path ?? '/', headers: {host, ...options.headers}, agent: options.agent ?? false}, (res: IncomingMessage) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks)}))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

/**
 * The command tests load nock, which replaces node's http client in the whole mocha process; the
 * router's retry logic depends on real socket events (connect, refused), so these suites run with
 * it switched off, and switch it back on after.
 */
export function useRealHttp(): void {
  let wasActive = false
  before(() => {
    wasActive = nock.isActive()
    if (wasActive) nock.restore()
  })
  after(() => {
    if (wasActive && !nock.isActive()) nock.activate()
  })
}

/** A small deterministic PRNG (mulberry32): numbers in [0, 1), the same sequence for a seed. */
export function seededRandom(seed: number): () => number {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
