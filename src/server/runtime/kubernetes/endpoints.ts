// The router's view of an app's web dynos on Kubernetes: the EndpointSlices of the app's `web`
// Service (label kubernetes.io/service-name=web) in its namespace, kept by one informer per app
// (client-node's ListWatch: list, then watch from the list's resourceVersion; a watch that gets
// 410 Gone lists again, and the objects gone meanwhile are dropped). A watch that fails otherwise
// is started again after a back-off. Each slice carries its own port (a controller may split a
// Service's endpoints into slices any way it likes), and each endpoint its pod (targetRef).
import {DiscoveryV1Api, makeInformer} from '@kubernetes/client-node'
import type {Informer, KubeConfig, ObjectCache, V1EndpointSlice} from '@kubernetes/client-node'

import type {WebDyno} from '../../router/directory.js'

export const WEB_SERVICE_LABEL = 'kubernetes.io/service-name=web'

export interface EndpointSliceDirectoryOptions {
  kc: KubeConfig
  namespaceFor: (appName: string) => string
  onError?: (error: Error) => void
  /** First and longest wait before a failed watch is started again, ms (250 and 10 000). */
  retryDelayMs?: {min: number; max: number}
}

interface Watched {
  namespace: string
  informer: Informer<V1EndpointSlice> & ObjectCache<V1EndpointSlice>
  stopped: boolean
  failures: number
  retry?: NodeJS.Timeout
  started: Promise<void>
}

export class EndpointSliceDirectory {
  private readonly apps = new Map<string, Watched>()
  private readonly api: DiscoveryV1Api

  constructor(private readonly options: EndpointSliceDirectoryOptions) {
    this.api = options.kc.makeApiClient(DiscoveryV1Api)
  }

  watchApp(appName: string): void {
    if (this.apps.has(appName)) return
    const namespace = this.options.namespaceFor(appName)
    const path = `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/endpointslices`
    const informer = makeInformer<V1EndpointSlice>(
      this.options.kc,
      path,
      () => this.api.listNamespacedEndpointSlice({namespace, labelSelector: WEB_SERVICE_LABEL}),
      WEB_SERVICE_LABEL,
    )
    const watched: Watched = {namespace, informer, stopped: false, failures: 0, started: Promise.resolve()}
    informer.on('connect', () => {
      watched.failures = 0
    })
    informer.on('error', (error: unknown) => this.failed(appName, watched, error))
    this.apps.set(appName, watched)
    this.start(appName, watched)
  }

  unwatchApp(appName: string): void {
    const watched = this.apps.get(appName)
    if (!watched) return
    this.apps.delete(appName)
    this.stop(watched)
  }

  list(appName: string): WebDyno[] {
    const watched = this.apps.get(appName)
    if (!watched) return []
    return webDynos(watched.informer.list(watched.namespace))
  }

  /** Resolves once every app's first list is in (or failed): for tests and the server's start. */
  async ready(): Promise<void> {
    await Promise.all([...this.apps.values()].map((w) => w.started))
  }

  async close(): Promise<void> {
    const all = [...this.apps.values()]
    this.apps.clear()
    for (const watched of all) this.stop(watched)
    await Promise.all(all.map((w) => w.started))
  }

  private start(appName: string, watched: Watched): void {
    watched.started = watched.informer.start().catch((error: unknown) => this.failed(appName, watched, error))
  }

  private stop(watched: Watched): void {
    watched.stopped = true
    clearTimeout(watched.retry)
    void watched.informer.stop()
  }

  private failed(appName: string, watched: Watched, error: unknown): void {
    // Stopping a watch aborts its request, which the informer reports as an error.
    if (watched.stopped) return
    const err = error instanceof Error ? error : new Error(String(error))
    this.options.onError?.(new Error(`watching the EndpointSlices of namespace ${watched.namespace} failed: ${err.message}`, {cause: err}))
    if (watched.retry) return
    const {min, max} = this.options.retryDelayMs ?? {min: 250, max: 10_000}
    watched.failures += 1
    watched.retry = setTimeout(() => {
      watched.retry = undefined
      if (!watched.stopped) this.start(appName, watched)
    }, Math.min(max, min * 2 ** Math.min(watched.failures - 1, 10)))
  }
}

/**
 * WebDynos of a set of slices: one per pod (by targetRef, else hostname or address), on the
 * slice's own port. `ready` (unset means ready, as the API says) -> `up`; terminating -> `down`;
 * otherwise (not ready yet) -> `starting`. A pod listed by two slices keeps its best state.
 */
export function webDynos(slices: readonly V1EndpointSlice[]): WebDyno[] {
  const byName = new Map<string, WebDyno>()
  for (const slice of slices) {
    const port = (slice.ports ?? []).find((p) => p.port !== undefined && (p.protocol ?? 'TCP') === 'TCP')?.port
    if (port === undefined) continue
    for (const endpoint of slice.endpoints ?? []) {
      const host = endpoint.addresses[0]
      if (!host) continue
      const name = (endpoint.targetRef?.kind ?? 'Pod') === 'Pod' && endpoint.targetRef?.name ? endpoint.targetRef.name : (endpoint.hostname ?? host)
      const conditions = endpoint.conditions ?? {}
      const state = conditions.terminating ? 'down' : conditions.ready === false ? 'starting' : 'up'
      const known = byName.get(name)
      if (known && rank(known.state) >= rank(state)) continue
      byName.set(name, {name, host, port, state})
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name))
}

function rank(state: string): number {
  return state === 'up' ? 2 : state === 'starting' ? 1 : 0
}
