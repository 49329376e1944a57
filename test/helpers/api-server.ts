// A real control plane for API tests: listening on 127.0.0.1 port 0 in a fresh temp data dir,
// with the admin token read from the file the server wrote. `close()` stops it and removes the dir.
// Every answer `call` gets is checked against the schema (see ./schema.ts).
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {randomUUID} from 'node:crypto'
import {startServer, type ServerOptions} from '../../src/server/index.js'
import {StoreOnlyRuntime} from './store-only-runtime.js'
import {createRelease} from '../../src/server/domain/releases.js'
import {Store} from '../../src/server/store/index.js'
import {assertErrorBody, assertResponseSchema} from './schema.js'

export const ACCEPT_V3 = 'application/vnd.heroku+json; version=3'

export interface ApiResponse<T = unknown> {
  status: number
  headers: Headers
  /** The parsed JSON body; undefined when the body is empty. */
  body: T
  text: string
}

export interface CallOptions {
  body?: unknown
  /** Sent as is, instead of `JSON.stringify(body)`. */
  rawBody?: string | Uint8Array
  headers?: Record<string, string>
  /** Overrides the admin token; `null` sends no Authorization at all. */
  token?: string | null
  /** Skip the schema check every answer gets (for answers a test inspects as odd on purpose). */
  unchecked?: boolean
}

export interface TestApiServer {
  url: string
  token: string
  dataDir: string
  adminTokenPath: string
  call<T = unknown>(method: string, path: string, options?: CallOptions): Promise<ApiResponse<T>>
  /**
   * Gives `app` code with these process types, as a build would, without the builds API: the
   * release (with a new slug id) is made through a second connection to the database, then an
   * empty formation update lets the running server's runtime converge. Answers its version.
   */
  deploy(app: string, processTypes: Record<string, string>): Promise<number>
  close(): Promise<void>
}

export async function startApiServer(options: Partial<Omit<ServerOptions, 'dataDir'>> & {dataDir?: string} = {}): Promise<TestApiServer> {
  const ownsDir = options.dataDir === undefined
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tug-api-test-'))
  // The wire-contract tests make releases without code: the store-only runtime keeps their dyno
  // records (nothing could run). Tests of the real dyno manager pass `runtime` or use e2e.
  const server = await startServer({host: '127.0.0.1', port: 0, runtime: (store) => new StoreOnlyRuntime(store), ...options, dataDir})
  const token = readFileSync(server.adminTokenPath, 'utf8').trim()

  async function call<T>(method: string, path: string, call: CallOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {Accept: ACCEPT_V3}
    const bearer = call.token === undefined ? token : call.token
    if (bearer !== null) headers.Authorization = `Bearer ${bearer}`
    let payload: string | Uint8Array | undefined = call.rawBody
    if (payload === undefined && call.body !== undefined) payload = JSON.stringify(call.body)
    if (payload !== undefined) headers['Content-Type'] = 'application/json'
    const response = await fetch(server.url + path, {method, headers: {...headers, ...call.headers}, body: payload})
    const text = await response.text()
    let body: unknown
    if (text !== '') {
      try {
        body = JSON.parse(text) as unknown
      } catch {
        body = undefined
      }
    }
    // Every answer is checked: success bodies against the Platform API schema (by route), error
    // bodies against the error shape of platform-api.md 1.9.
    if (!call.unchecked && method !== 'HEAD' && response.status !== 304) {
      if (response.status >= 400) assertErrorBody(body, `${method} ${path}`)
      else assertResponseSchema(method, path.split('?')[0] as string, body)
    }
    return {status: response.status, headers: response.headers, body: body as T, text}
  }

  async function deploy(app: string, processTypes: Record<string, string>): Promise<number> {
    const store = new Store({path: join(dataDir, 'tug.db')})
    let version: number
    try {
      const record = store.apps.findByName(app)
      const owner = record && store.accounts.get(record.owner_id)
      if (!record || !owner) throw new Error(`deploy: no app ${app}`)
      version = createRelease(store, {
        appId: record.id,
        description: 'Deploy',
        slugId: randomUUID(),
        codeDir: null,
        processTypes: Object.entries(processTypes).map(([name, command]) => ({name, command})),
        user: owner,
      }).version
    } finally {
      store.close()
    }
    // An empty batch update makes the running server's runtime converge onto the new formation.
    const response = await call('PATCH', `/apps/${app}/formation`, {body: {updates: []}})
    if (response.status !== 200) throw new Error(`deploy: ${response.status} ${response.text}`)
    return version
  }

  return {
    url: server.url,
    deploy,
    token,
    dataDir,
    adminTokenPath: server.adminTokenPath,
    call,
    async close() {
      await server.close()
      if (ownsDir) rmSync(dataDir, {recursive: true, force: true})
    },
  }
}
