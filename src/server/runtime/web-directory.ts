// The web dynos the HTTP router sends requests to, and the drain it asks for before one stops.
import type {BeforeStopHook, ManagedDyno, WebDyno, WebDynoDirectory} from './contracts.js'

/** A drain hook (the HTTP router's) may delay a web dyno's stop at most this long. */
export const BEFORE_STOP_TIMEOUT_MS = 10_000

export interface WebDirectoryContext {
  appIdByName(appName: string): string | undefined
  dynos(): Iterable<ManagedDyno & {readonly port: number | undefined}>
  /** Where a dyno listens unless it was found on another loopback address. */
  loopback: string
  onError(error: unknown): void
}

export class WebDirectory implements WebDynoDirectory {
  private readonly hooks = new Set<BeforeStopHook>()

  constructor(private readonly context: WebDirectoryContext) {}

  /** Registers a hook run before a web dyno is stopped (the router drains it); returns an unregister function. */
  onBeforeStop(hook: BeforeStopHook): () => void {
    this.hooks.add(hook)
    return () => {
      this.hooks.delete(hook)
    }
  }

  /** Runs every hook for the dyno, each for at most BEFORE_STOP_TIMEOUT_MS; undefined when there is none. */
  beforeStop(appId: string, dynoName: string): Promise<unknown> | undefined {
    if (this.hooks.size === 0) return undefined
    return Promise.all(
      [...this.hooks].map((hook) => {
        let timer: NodeJS.Timeout | undefined
        const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, BEFORE_STOP_TIMEOUT_MS)))
        return Promise.race([Promise.resolve().then(() => hook(appId, dynoName)), timeout])
          .catch((error: unknown) => this.context.onError(error))
          .finally(() => clearTimeout(timer))
      }),
    )
  }

  list(appName: string): WebDyno[] {
    const appId = this.context.appIdByName(appName)
    if (appId === undefined) return []
    const result: WebDyno[] = []
    for (const dyno of this.context.dynos()) {
      if (dyno.appId !== appId || dyno.oneOff || dyno.type !== 'web' || dyno.port === undefined || !dyno.handle) continue
      result.push({name: dyno.name, host: dyno.host ?? this.context.loopback, port: dyno.port, state: dyno.phase})
    }
    // web.2 before web.10; the router asks on every request, so no locale collation here.
    return result.sort((a, b) => dynoIndex(a.name) - dynoIndex(b.name))
  }
}

/** The number after the type: 10 for `web.10`. */
function dynoIndex(name: string): number {
  return Number(name.slice(name.lastIndexOf('.') + 1)) || 0
}
