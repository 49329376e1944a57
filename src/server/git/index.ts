// The git endpoint's logic, apart from HTTP: each app's bare repository, `git http-backend` run
// for each request, and the pushes its pre-receive hook reports back. The route (http/routes/
// git.ts) authenticates and finds the app, then calls `serve`; the hook's call is `preReceive`.
import {createHash, randomBytes} from 'node:crypto'
import type {Readable} from 'node:stream'

import type {BuildService} from '../builds/index.js'
import type {AccountRecord, AppRecord, Store} from '../store/index.js'
import {HOOK_ENV, VERDICT_PREFIX} from './hook-script.js'
import {runHttpBackend, type CgiResponse} from './http-backend.js'
import {runPush} from './push.js'
import {ensureRepo, removeOrphanRepos, reposRoot} from './repos.js'

export {removeRepo} from './repos.js'
export {tooLarge as pushTooLarge} from './http-backend.js'

export interface GitServiceDeps {
  store: Store
  builds: BuildService
  dataDir: string
  /** Largest push (request body) accepted: the source upload limit. */
  maxBodyBytes: number
  log?: (message: string, error?: unknown) => void
}

/** The smart HTTP services git clients ask for. */
export type GitService = 'git-upload-pack' | 'git-receive-pack'

export interface GitRequest {
  app: AppRecord
  account: AccountRecord
  method: 'GET' | 'POST'
  /** What follows `/<app>.git`: `/info/refs`, `/git-upload-pack` or `/git-receive-pack`. */
  path: string
  query: string
  headers: {contentType?: string; contentLength?: number; contentEncoding?: string; gitProtocol?: string}
  remoteAddr: string
  body?: Readable
  /** The control plane's own address as this request reached it: the hook calls back there. */
  hookBaseUrl: string
}

interface PendingPush {
  appId: string
  accountId: string
  repo: string
}

function hash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

export class GitEndpoint {
  /** One-time secrets of the pushes in progress, by their hash. */
  private readonly pushes = new Map<string, PendingPush>()

  constructor(private readonly deps: GitServiceDeps) {
    try {
      removeOrphanRepos(deps.dataDir, (appId) => deps.store.apps.get(appId) !== undefined)
    } catch (error) {
      deps.log?.('could not remove the repositories of deleted apps', error)
    }
  }

  async serve(request: GitRequest): Promise<CgiResponse> {
    const repo = await ensureRepo(this.deps.dataDir, request.app.id)
    const receive = request.method === 'POST' && request.path === '/git-receive-pack'
    const env: Record<string, string> = {}
    let secretHash: string | undefined
    if (receive) {
      const secret = randomBytes(32).toString('base64url')
      secretHash = hash(secret)
      this.pushes.set(secretHash, {appId: request.app.id, accountId: request.account.id, repo})
      env[HOOK_ENV.node] = process.execPath
      env[HOOK_ENV.url] = `${request.hookBaseUrl}/git-hooks/pre-receive`
      env[HOOK_ENV.secret] = secret
    }
    const forget = (): void => {
      if (secretHash !== undefined) this.pushes.delete(secretHash)
    }
    try {
      const response = await runHttpBackend({
        method: request.method,
        projectRoot: reposRoot(this.deps.dataDir),
        pathInfo: `/${request.app.id}.git${request.path}`,
        query: request.query,
        ...request.headers,
        remoteUser: request.account.email,
        remoteAddr: request.remoteAddr,
        ...(request.body ? {body: request.body} : {}),
        maxBodyBytes: this.deps.maxBodyBytes,
        env,
      })
      void response.exited.then(forget)
      return response
    } catch (error) {
      forget()
      throw error
    }
  }

  /**
   * The hook's call: the push's secret names it (once), and `write` gets the lines for the pusher,
   * then the verdict line. Undefined (at once) when the secret names no push in progress.
   */
  preReceive(secret: string, body: {refs?: unknown; env?: unknown}, write: (text: string) => void): Promise<void> | undefined {
    const push = this.takePush(secret)
    if (!push) return undefined
    return this.decide(push, body, write)
  }

  private async decide(push: PendingPush, body: {refs?: unknown; env?: unknown}, write: (text: string) => void): Promise<void> {
    const app = this.deps.store.apps.get(push.appId)
    const account = this.deps.store.accounts.get(push.accountId)
    let accepted = false
    if (!app || !account) {
      write('!      The app was deleted during the push.\n')
    } else {
      try {
        const env = body.env && typeof body.env === 'object' ? (body.env as Record<string, unknown>) : {}
        const refs = typeof body.refs === 'string' ? body.refs : ''
        accepted = await runPush({store: this.deps.store, builds: this.deps.builds, app, account, repo: push.repo}, refs, env, (line) => write(`${line}\n`))
      } catch (error) {
        this.deps.log?.(`push to ${app.name} failed`, error)
        write(`!      ${(error as Error).message}\n`)
      }
    }
    write(`${VERDICT_PREFIX}${accepted ? 'accepted' : 'rejected'}\n`)
  }

  /** Looked up by the secret's hash (as capability tokens are), and forgotten at once: one use. */
  private takePush(secret: string): PendingPush | undefined {
    const key = hash(secret)
    const push = this.pushes.get(key)
    this.pushes.delete(key)
    return push
  }
}
