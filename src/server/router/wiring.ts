// The router inside the control plane: the runtime's web directory (when the runtime runs
// dynos), app names from the store, router lines into the log router as `tug[router]`, and a
// drain before the runtime stops a web dyno.
import type {Store} from '../store/index.js'
import type {WebDyno, WebDynoDirectory} from './directory.js'
import {normaliseDomain} from './host.js'
import {HttpRouter, type RouterOptions} from './router.js'

/** What the dyno manager offers the router (`DynoManager.webDirectory()`). */
export interface RuntimeWebDirectory extends WebDynoDirectory {
  /** Runs `hook` (awaited, bounded by the runtime) before a web dyno gets SIGTERM; returns an unregister function. */
  onBeforeStop(hook: (appId: string, dynoName: string) => void | Promise<void>): () => void
}

export interface LogWrite {
  write(appId: string, input: {source: string; dyno: string; message: string}): void
}

/** How long a drain may hold a stopping web dyno (the dyno manager caps the hook at 10 s too). */
export const DRAIN_TIMEOUT_MS = 10_000

export interface AppRouterOptions {
  host?: string
  port: number
  domains?: string[]
  responseTimeoutMs?: number
}

export interface RunningRouter {
  readonly router: HttpRouter
  readonly port: number
  /** `http://<app>.localhost:<port>/` */
  url(appName: string): string
  close(): Promise<void>
}

function hasWebDirectory(runtime: unknown): runtime is {webDirectory(): RuntimeWebDirectory} {
  return typeof (runtime as {webDirectory?: unknown} | null)?.webDirectory === 'function'
}

/**
 * The runtime lists the web dynos it runs; a crashed one has no process and is not listed, so
 * the store's records say when every web dyno has crashed (H10 rather than H14).
 */
export function directoryFor(store: Store, runtimeDirectory: WebDynoDirectory | undefined): WebDynoDirectory {
  return {
    list(appName: string): WebDyno[] {
      const running = runtimeDirectory?.list(appName) ?? []
      if (running.some((d) => d.state === 'up')) return running
      const appId = store.apps.idByName(appName)
      if (appId === undefined) return running
      const listed = new Set(running.map((d) => d.name))
      const crashed = store.dynos
        .list(appId)
        .filter((d) => !d.one_off && d.type === 'web' && d.state === 'crashed' && !listed.has(d.name))
        .map((d) => ({name: d.name, host: '', port: 0, state: 'crashed'}))
      return [...running, ...crashed]
    },
  }
}

export async function startAppRouter(deps: {store: Store; runtime: unknown; logs: LogWrite}, options: AppRouterOptions & Partial<RouterOptions>): Promise<RunningRouter> {
  const {store, logs} = deps
  const web = hasWebDirectory(deps.runtime) ? deps.runtime.webDirectory() : undefined
  const router = new HttpRouter({
    ...options,
    directory: directoryFor(store, web),
    resolveApp: (name) => {
      const id = store.apps.idByName(name)
      return id === undefined ? undefined : {id, name}
    },
    log: (app, line) => logs.write(app.id, {source: 'tug', dyno: 'router', message: line}),
  })
  await router.listen()
  const unregister = web?.onBeforeStop(async (appId, dynoName) => {
    const app = store.apps.get(appId)
    if (app) await router.drain(app.name, dynoName, {timeoutMs: DRAIN_TIMEOUT_MS})
  })
  return {
    router,
    port: router.port,
    url: (appName) => {
      // The first configured domain is the public one; otherwise `<app>.localhost`.
      const domain = options.domains?.map(normaliseDomain).find((d) => d !== '')
      if (!domain) return router.url(appName)
      return `http://${appName}.${domain}${router.port === 80 ? '' : `:${router.port}`}/`
    },
    async close() {
      unregister?.()
      await router.close()
    },
  }
}
