// The Kubernetes runtime (issue 18): `tug server --backend kubernetes`.
//
// Why it implements `Runtime` (contracts.ts), not the per-dyno `Backend` seam beneath the dyno
// manager: `Backend` starts ONE process and hands back its handle, and the manager owns every
// dyno's life (restarts, back-off, boot timeouts, rolling restarts, $PORT). On Kubernetes the
// Deployment controller owns the replicas: it starts, restarts and replaces pods itself, and
// scaling must be one `scale` request, not N starts. Driving Deployments through a per-dyno seam
// would either fight the controller or turn every Deployment into N bare pods. So this runtime sits
// at the seam the domain and HTTP layers already call (`Runtime`, plus the router's web directory),
// and reuses what fits below it: the attach hub's `DynoHandle`/`DynoIo` for `tug run`, the release
// phase policy, the scheduler, the one-off naming. Nothing above `Runtime` changed.
import type {KubeConfig} from '@kubernetes/client-node'

import {ReleasePhase} from '../policies/release-phase.js'
import {Scheduler} from '../../scheduler/scheduler.js'
import type {DynoRecord, ScheduleRecord, Store} from '../../store/index.js'
import {oneOffEnded, toTimestamp} from '../../store/index.js'
import type {AttachBroker} from '../attached.js'
import type {BeforeStopHook, DynoStats, LogInputSink, OneOffSpec, RestartTarget, Runtime, WebDynoDirectory} from '../contracts.js'
import {DEFAULT_STOP_GRACE_MS} from '../manager.js'
import {DEFAULT_BOOT_TIMEOUT_MS} from '../policies/boot-watch.js'
import {ONE_OFF_RETENTION_MS} from '../one-offs.js'
import {WebDirectory} from '../web-directory.js'
import {AppWatch} from './app-watch.js'
import {EndpointSliceDirectory} from './endpoints.js'
import {FormationReconciler} from './formation.js'
import {jobNameOf, KubernetesJobs} from './jobs.js'
import {describeKubeError, KubeApi} from './kube-api.js'
import {DEFAULT_NAMESPACE_PREFIX, DEFAULT_STACK_IMAGE, namespaceName} from './manifests.js'
import {buildNetworkPolicy, DEFAULT_CONTROL_PLANE_NAMESPACE} from './network-policy.js'
import {SLUG_ROUTE_PREFIX, SlugTokens, type SlugSource} from './slugs.js'

export const RECONCILE_INTERVAL_MS = 5000

export interface KubernetesRuntimeOptions {
  kc: KubeConfig
  store: Store
  logs: LogInputSink
  /** The data directory's slug key (slugs.ts loadSlugKey). */
  slugKey: Buffer
  /** The control plane's address as pods reach it; a function, since it is known once the API listens. */
  slugUrlBase: () => string
  attach?: AttachBroker
  namespacePrefix?: string
  stackImage?: string
  stopGraceMs?: number
  /** R10: a web pod not Ready this long after its container started is deleted (default 60 s, as locally). */
  bootTimeoutMs?: number
  /** The control plane's own namespace (its router and slug route), for the apps' NetworkPolicy. */
  controlPlaneNamespace?: string
  now?: () => number
  reconcileIntervalMs?: number
  onError?: (error: unknown) => void
}

export class KubernetesRuntime implements Runtime {
  readonly defaultStopGraceMs: number
  readonly scheduler: Scheduler
  readonly ready: Promise<void>
  readonly namespacePrefix: string
  private readonly api: KubeApi
  private readonly store: Store
  private readonly logs: LogInputSink
  private readonly now: () => number
  private readonly onError: (error: unknown) => void
  private readonly slugs: SlugTokens
  private readonly formation: FormationReconciler
  private readonly jobs: KubernetesJobs
  private readonly endpoints: EndpointSliceDirectory
  private readonly hooks: WebDirectory
  private readonly releasePhase: ReleasePhase
  private readonly watches = new Map<string, AppWatch>()
  private readonly waiters = new Map<string, Array<(record: DynoRecord | undefined) => void>>()
  /** One-offs the runtime was asked to stop: they end `down`. */
  private readonly stopping = new Set<string>()
  private readonly timers: NodeJS.Timeout[] = []
  /** Apps being deleted: never converged again. */
  private readonly destroying = new Set<string>()
  /** The last refusal said in each app's log (guarded). */
  private readonly refusals = new Map<string, string>()
  private closing = false

  constructor(private readonly options: KubernetesRuntimeOptions) {
    const {kc, store} = options
    this.store = store
    this.logs = options.logs
    this.now = options.now ?? Date.now
    this.onError = options.onError ?? (() => {})
    this.defaultStopGraceMs = options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS
    this.namespacePrefix = options.namespacePrefix ?? DEFAULT_NAMESPACE_PREFIX
    this.api = new KubeApi(kc)
    this.slugs = new SlugTokens(store, options.slugKey)
    const namespaceFor = (appName: string): string => namespaceName(this.namespacePrefix, appName)
    this.endpoints = new EndpointSliceDirectory({kc, namespaceFor, onError: this.onError})
    this.hooks = new WebDirectory({appIdByName: (name) => store.apps.idByName(name), dynos: () => [], loopback: '', onError: this.onError})
    this.formation = new FormationReconciler({
      api: this.api,
      store,
      namespaceFor,
      slugUrl: (appId, releaseId) => `${options.slugUrlBase().replace(/\/+$/, '')}${SLUG_ROUTE_PREFIX}${this.slugs.token(appId, releaseId)}`,
      stackImage: options.stackImage ?? DEFAULT_STACK_IMAGE,
      stopGraceSeconds: (appId) => Math.ceil(this.graceFor(appId) / 1000),
      networkPolicy: (appName) =>
        buildNetworkPolicy({appName, controlPlaneNamespace: options.controlPlaneNamespace ?? DEFAULT_CONTROL_PLANE_NAMESPACE, slugUrlBase: options.slugUrlBase()}),
      prepared: (appId, appName) => this.watch(appId, appName),
    })
    this.jobs = new KubernetesJobs({
      store,
      api: this.api,
      kc,
      formation: this.formation,
      attach: options.attach,
      event: this.event.bind(this),
      podOf: (appId, dynoId) => this.watches.get(appId)?.podOf(dynoId) ?? Promise.reject(new Error('the app has no pod watch')),
      endWithoutPod: (record, status) => this.endOneOff(record, status, false),
      stop: (appId, dynoId) => this.stopOneOff(appId, dynoId),
      onError: this.onError,
    })
    this.releasePhase = new ReleasePhase({
      store,
      isClosing: () => this.closing,
      createOneOff: (appId, spec) => this.createOneOff(appId, spec),
      waitForOneOff: (appId, dynoId) => this.waitForOneOff(appId, dynoId),
      releaseChanged: (appId) => this.releaseChanged(appId),
      event: this.event.bind(this),
      onError: this.onError,
    })
    this.scheduler = new Scheduler(store, this, this.now)
    this.ready = this.convergeAll().then(() => {
      if (this.closing) return
      this.scheduler.start()
      const timer = setInterval(() => {
        this.sweep()
        void this.convergeAll()
      }, options.reconcileIntervalMs ?? RECONCILE_INTERVAL_MS)
      timer.unref()
      this.timers.push(timer)
    })
  }

  // ---- the Runtime seam ------------------------------------------------------------------------

  async formationChanged(appId: string): Promise<void> {
    await this.converge(appId)
  }

  async releaseChanged(appId: string): Promise<void> {
    this.releasePhase.queue(appId)
    await this.converge(appId)
  }

  async restart(appId: string, target: RestartTarget): Promise<void> {
    if (target.kind === 'all') {
      for (const record of this.live(appId)) if (record.one_off) await this.stopOneOff(appId, record.id)
      await this.guarded(appId, () => this.formation.restart(appId, undefined, new Date(this.now()).toISOString()))
    } else if (target.kind === 'type') {
      if (this.store.formation.getByType(appId, target.type)) {
        await this.guarded(appId, () => this.formation.restart(appId, target.type, new Date(this.now()).toISOString()))
      }
    } else {
      await this.stop(appId, target)
    }
  }

  /** A formation dyno's pod is deleted (its Deployment makes a new one); a one-off's Job is deleted. */
  async stop(appId: string, target: Exclude<RestartTarget, {kind: 'all'}>): Promise<void> {
    const records = this.live(appId).filter((d) => (target.kind === 'dyno' ? d.id === target.dynoId : d.type === target.type))
    await Promise.all(records.map((record) => (record.one_off ? this.stopOneOff(appId, record.id) : this.deletePod(appId, record.name))))
  }

  async createOneOff(appId: string, spec: OneOffSpec): Promise<DynoRecord> {
    return this.jobs.create(appId, spec)
  }

  async appDestroyed(appId: string): Promise<void> {
    this.destroying.add(appId)
    setTimeout(() => this.destroying.delete(appId), 60_000).unref()
    this.slugs.revokeApp(appId)
    this.refusals.delete(appId)
    const app = this.store.apps.get(appId)
    const watch = this.watches.get(appId)
    this.watches.delete(appId)
    await watch?.close()
    this.formation.forget(appId)
    if (!app) return
    this.endpoints.unwatchApp(app.name)
    await this.api.deleteNamespace(namespaceName(this.namespacePrefix, app.name)).catch((error: unknown) => this.onError(error))
  }

  async schedulesChanged(appId: string): Promise<void> {
    await this.ready
    if (!this.closing) this.scheduler.changed(appId)
  }

  stats(appId: string, dynoId: string): DynoStats & {state_reason?: string} {
    const record = this.store.dynos.get(appId, dynoId)
    const records = this.watches.get(appId)?.records
    const view = record?.one_off ? records?.podOfDyno(dynoId) : record ? records?.view(record.name) : undefined
    return {memory_bytes: null, restart_count: view?.state.restarts ?? 0, ...(view?.state.reason ? {state_reason: view.state.reason} : {})}
  }

  /** The release's slug behind a capability token (GET /slugs/<token>). */
  slug(token: string): SlugSource | undefined {
    return this.slugs.resolve(token)
  }

  async close(): Promise<void> {
    if (this.closing) return
    this.closing = true
    this.scheduler.close()
    for (const timer of this.timers) clearInterval(timer)
    await this.ready.catch(() => {})
    // The pods are the cluster's: they keep running, and a restarted control plane reads them back.
    await Promise.all([...this.watches.values()].map((watch) => watch.close()))
    this.watches.clear()
    await this.endpoints.close()
  }

  // ---- for the router, the scheduler and the release phase -----------------------------------

  webDirectory(): WebDynoDirectory {
    return {list: (appName) => this.endpoints.list(appName), onBeforeStop: (hook: BeforeStopHook) => this.hooks.onBeforeStop(hook)}
  }

  isRunning(dynoId: string): boolean {
    for (const app of this.store.apps.list()) {
      const record = this.store.dynos.get(app.id, dynoId)
      if (record) return record.ended_at === null
    }
    return false
  }

  async runScheduled(appId: string, schedule: ScheduleRecord): Promise<string> {
    const app = this.store.apps.get(appId)
    if (!app?.current_release_id) throw new Error('the app has no release yet')
    const record = await this.createOneOff(appId, {command: schedule.command, type: 'scheduler', size: schedule.size, attach: false, forceNoTty: true, env: {}, timeToLive: null, releaseId: app.current_release_id})
    return record.id
  }

  waitForOneOff(appId: string, dynoId: string): Promise<DynoRecord | undefined> {
    const record = this.store.dynos.get(appId, dynoId)
    if (!record || record.ended_at !== null) return Promise.resolve(record)
    return new Promise((resolve) => {
      const list = this.waiters.get(dynoId) ?? []
      list.push(resolve)
      this.waiters.set(dynoId, list)
    })
  }

  event(appId: string, dyno: string, message: string): void {
    this.logs.write(appId, {source: 'tug', dyno, message})
  }

  // ---- inside ------------------------------------------------------------------------------------

  private graceFor(appId: string): number {
    try {
      return this.store.runtimeSettings.get(appId).stop_grace_ms ?? this.defaultStopGraceMs
    } catch {
      return this.defaultStopGraceMs
    }
  }

  private live(appId: string): DynoRecord[] {
    return this.store.dynos.list(appId).filter((d) => !oneOffEnded(d))
  }

  private converge(appId: string): Promise<void> {
    // Until the route has deleted it, the app still exists: nothing may make its namespace again.
    if (this.destroying.has(appId)) return Promise.resolve()
    return this.guarded(appId, () => this.formation.converge(appId))
  }

  private async convergeAll(): Promise<void> {
    if (this.closing) return
    await Promise.all(this.store.apps.list().map((app) => this.converge(app.id)))
  }

  /**
   * A failed request is said in the app's log and to onError; the API's caller is not failed by it.
   * The same refusal again (the periodic converge retries every few seconds) is said once, until
   * it changes or a request succeeds.
   */
  private async guarded(appId: string, task: () => Promise<void>): Promise<void> {
    try {
      await task()
      this.refusals.delete(appId)
    } catch (error) {
      this.onError(error)
      const message = `Error: the Kubernetes API refused a change: ${describeKubeError(error)}`
      if (this.refusals.get(appId) === message) return
      this.refusals.set(appId, message)
      this.event(appId, 'api', message)
    }
  }

  private watch(appId: string, appName: string): void {
    if (this.watches.has(appId) || this.closing) return
    const namespace = namespaceName(this.namespacePrefix, appName)
    this.endpoints.watchApp(appName)
    this.watches.set(
      appId,
      new AppWatch({
        kc: this.options.kc,
        api: this.api,
        namespace,
        appId,
        store: this.store,
        logs: this.logs,
        event: this.event.bind(this),
        now: this.now,
        bootTimeoutMs: this.options.bootTimeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS,
        endOneOff: (record, status, stopped) => this.endOneOff(record, status, stopped),
        stopRequested: (dynoId) => this.stopping.has(dynoId),
        onError: this.onError,
      }),
    )
  }

  private async deletePod(appId: string, podName: string): Promise<void> {
    const app = this.store.apps.get(appId)
    if (!app) return
    await this.hooks.beforeStop(appId, podName)
    await this.guarded(appId, async () => {
      await this.api.deletePod(namespaceName(this.namespacePrefix, app.name), podName)
    })
  }

  private async stopOneOff(appId: string, dynoId: string): Promise<void> {
    const app = this.store.apps.get(appId)
    const record = this.store.dynos.get(appId, dynoId)
    const release = record ? this.store.releases.get(appId, record.release_id) : undefined
    if (!app || !record || !release || record.ended_at !== null) return
    this.stopping.add(dynoId)
    this.event(appId, record.name, 'Stopping process with SIGTERM')
    await this.guarded(appId, async () => {
      await this.api.deleteJob(namespaceName(this.namespacePrefix, app.name), jobNameOf(record, release))
    })
    // No pod yet: nothing will report its end.
    if (!this.watches.get(appId)?.records.podOfDyno(dynoId)) this.endOneOff(record, 143, true)
  }

  private endOneOff(record: DynoRecord, status: number, stopped: boolean): void {
    const current = this.store.dynos.get(record.app_id, record.id)
    if (current && current.ended_at !== null) return
    const state = status === 0 || stopped ? 'down' : 'crashed'
    const ended = this.store.dynos.update(record.app_id, record.id, {state, exit_status: status, ended_at: toTimestamp(new Date(this.now()))})
    this.stopping.delete(record.id)
    const waiters = this.waiters.get(record.id) ?? []
    this.waiters.delete(record.id)
    for (const resolve of waiters) resolve(ended)
  }

  /** Ended one-offs' records go after the retention, as the local runtime's. */
  private sweep(): void {
    const cutoff = this.now() - ONE_OFF_RETENTION_MS
    for (const app of this.store.apps.list()) {
      for (const record of this.store.dynos.list(app.id)) {
        if (record.one_off && record.ended_at !== null && Date.parse(record.ended_at) < cutoff) this.store.dynos.delete(app.id, record.id)
      }
    }
  }
}
