// The dyno manager: the real `Runtime`. It converges the dynos the store records against the
// formation and the current release, by asking one slot per dyno (dyno-slot.ts, which has the
// state table) to start and stop. The policies (policies/) take the slots' events: boot watch
// (R10), restart back-off, time to live, memory (R14/R15), rolling restarts, the release phase,
// recovery after a crash. One-offs start in one-offs.ts.
//
// `reconcile(appId)` is synchronous and level-triggered: it compares the desired dynos
// (`<type>.1..quantity` for each formation entry whose type the current release has) with the
// records and the slots, and starts or stops slots. A slot is in one phase at a time, so
// overlapping reconciles never start a dyno twice; every exit reconciles again, and so does a timer
// every few seconds, so nothing depends on one event being seen. The API is answered at once: the
// records (state `starting`) are written before reconcile returns, the processes follow.
//
// Restart (ps:restart) and stop (ps:stop) of a formation dyno both restart it at once with a fresh
// crash history; stop of a one-off ends it for good. Every dyno gets its own $PORT.
import {Scheduler} from '../scheduler/scheduler.js'
import type {DynoRecord, ReleaseRecord, ScheduleRecord, Store} from '../store/index.js'
import {oneOffEnded} from '../store/index.js'
import type {AttachBroker} from './attached.js'
import type {Backend, BuildSession, BuildSpec} from './backend.js'
import type {BeforeStopHook, DynoStats, LogInputSink, OneOffSpec, RestartTarget, Runtime, WebDynoDirectory} from './contracts.js'
import type {DynoSlot} from './dyno-slot.js'
import {ONE_OFF_RETENTION_MS, OneOffs} from './one-offs.js'
import {DEFAULT_BOOT_TIMEOUT_MS} from './policies/boot-watch.js'
import {createPolicies, type Policies} from './policies/index.js'
import {DEFAULT_MEMORY_INTERVAL_MS} from './policies/memory-watch.js'
import {PortAllocator, isAccepting as defaultIsAccepting} from './ports.js'
import {SlotTable} from './slot-table.js'
import {WebDirectory} from './web-directory.js'

export const DEFAULT_RECONCILE_INTERVAL_MS = 5000
export const DEFAULT_STOP_GRACE_MS = 30_000

export interface DynoManagerOptions {
  store: Store
  logs: LogInputSink
  backend: Backend
  ports?: PortAllocator
  now?: () => number
  reconcileIntervalMs?: number
  bootTimeoutMs?: number
  /** Default SIGTERM-to-SIGKILL grace; an app's runtime setting overrides it. */
  stopGraceMs?: number
  memoryIntervalMs?: number
  oneOffRetentionMs?: number
  isAccepting?: (port: number, host: string) => Promise<boolean>
  /** Hands out attach URLs for `attach: true` one-offs (issue 6); without it they run detached. */
  attach?: AttachBroker
  /** Errors nobody waits for (a failed store write in a timer), and processes found unrecorded after a crash. Default: ignored. */
  onError?: (error: unknown) => void
}

export class DynoManager implements Runtime {
  readonly ready: Promise<void>
  readonly scheduler: Scheduler
  /** The Runtime's view of the default stop grace, for the API. */
  readonly defaultStopGraceMs: number
  private readonly store: Store
  private readonly backend: Backend
  private readonly onError: (error: unknown) => void
  private readonly slots: SlotTable
  private readonly timers: NodeJS.Timeout[] = []
  private readonly logs: LogInputSink
  private readonly web: WebDirectory
  private readonly oneOffs: OneOffs
  private readonly policies: Policies<DynoSlot>
  /** Apps being deleted: converged to nothing. */
  private readonly destroying = new Set<string>()
  private closing = false
  private closed: Promise<void> | undefined

  constructor(options: DynoManagerOptions) {
    const {store, backend, logs} = options
    this.store = store
    this.backend = backend
    this.logs = logs
    const ports = options.ports ?? new PortAllocator()
    const now = options.now ?? Date.now
    const stopGraceMs = (this.defaultStopGraceMs = options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS)
    const onError = (this.onError = options.onError ?? (() => {}))
    const event = this.event.bind(this)
    const isClosing = (): boolean => this.closing
    const graceFor = (appId: string): number => {
      try {
        return store.runtimeSettings.get(appId).stop_grace_ms ?? stopGraceMs
      } catch {
        return stopGraceMs
      }
    }
    const dynos = (): Iterable<DynoSlot> => this.slots.all()
    this.web = new WebDirectory({appIdByName: (name) => store.apps.idByName(name), dynos, loopback: ports.host, onError})
    this.policies = createPolicies<DynoSlot>({
      store, backend, now, isClosing, event, onError, graceFor, stopGraceMs, dynos, loopback: ports.host,
      bootTimeoutMs: options.bootTimeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS,
      isAccepting: options.isAccepting ?? ((port, host) => defaultIsAccepting(port, host, 500)),
      owns: (dyno) => this.slots.owns(dyno),
      reconcile: (appId) => this.guarded(() => this.reconcile(appId)),
      createOneOff: (appId, spec) => this.createOneOff(appId, spec),
      waitForOneOff: (appId, dynoId) => this.waitForOneOff(appId, dynoId),
      finishOneOff: (slot, status, reason) => this.oneOffs.finish(slot, status, reason),
      releaseChanged: (appId) => this.releaseChanged(appId),
    })
    this.oneOffs = new OneOffs({
      store, now, event, attach: options.attach,
      retentionMs: options.oneOffRetentionMs ?? ONE_OFF_RETENTION_MS,
      slotFor: (record) => this.slots.for(record),
      slot: (dynoId) => this.slots.get(dynoId),
      forget: (slot) => this.slots.drop(slot),
    })
    const {events} = this.policies
    this.slots = new SlotTable({store, backend, ports, logs, event, events, onError, graceFor, isClosing, beforeStop: (appId, name) => this.web.beforeStop(appId, name)})
    this.scheduler = new Scheduler(store, this, now)
    this.ready = this.policies.recover().then(() => {
      if (this.closing) return
      this.reconcileAll()
      this.scheduler.start()
      this.every(options.reconcileIntervalMs ?? DEFAULT_RECONCILE_INTERVAL_MS, () => {
        this.oneOffs.sweep()
        this.reconcileAll()
      })
      this.every(options.memoryIntervalMs ?? DEFAULT_MEMORY_INTERVAL_MS, () => void this.sampleMemory())
    })
  }

  private every(ms: number, task: () => void): void {
    const timer = setInterval(() => this.guarded(task), ms)
    timer.unref()
    this.timers.push(timer)
  }

  /** Runs a task nobody waits for: its error goes to onError. */
  private guarded(task: () => void): void {
    try {
      task()
    } catch (error) {
      this.onError(error)
    }
  }

  // ---- the Runtime seam ------------------------------------------------------------------

  async formationChanged(appId: string): Promise<void> {
    await this.ready
    this.reconcile(appId)
  }

  async releaseChanged(appId: string): Promise<void> {
    await this.ready
    this.policies.releasePhase.queue(appId)
    // New code or config deserves a fresh start: forget crashes, no back-off wait.
    for (const slot of this.slots.ofApp(appId)) {
      if (slot.oneOff) continue
      this.policies.restarts.forget(slot)
      slot.restarts = 0
    }
    this.reconcile(appId)
  }

  async restart(appId: string, target: RestartTarget): Promise<void> {
    await this.ready
    const web: DynoSlot[] = []
    for (const record of this.targets(appId, target)) {
      if (record.one_off) {
        // Restarting everything ends the one-offs (as on Heroku); a one-off cannot be run twice.
        if (target.kind !== 'type') void this.slots.for(record).stop('stop')
        continue
      }
      const slot = this.slots.for(record)
      this.policies.restarts.forget(slot)
      if (!slot.active) continue
      if (slot.type === 'web' && target.kind !== 'dyno') web.push(slot)
      else void slot.stop('restart')
    }
    this.policies.rolling.restart(appId, web)
    this.reconcile(appId)
  }

  async stop(appId: string, target: Exclude<RestartTarget, {kind: 'all'}>): Promise<void> {
    await this.ready
    for (const record of this.targets(appId, target)) {
      const slot = this.slots.for(record)
      // Stopping a formation dyno restarts it; scale to 0 to keep it down (platform-api 2.3).
      if (!record.one_off) this.policies.restarts.forget(slot)
      if (slot.active) void slot.stop('stop')
    }
    this.reconcile(appId)
  }

  async createOneOff(appId: string, spec: OneOffSpec): Promise<DynoRecord> {
    // Before the record's writes: what the backend starts now overlaps them (tug run's start-up).
    this.backend.aboutToStart?.()
    await this.ready
    return this.oneOffs.create(appId, spec)
  }

  async appDestroyed(appId: string): Promise<void> {
    await this.ready
    // Until the route has deleted it, the app still exists: nothing may start it again meanwhile.
    this.destroying.add(appId)
    const forget = setTimeout(() => this.destroying.delete(appId), 60_000)
    forget.unref()
    await Promise.all(this.slots.ofApp(appId).map((slot) => slot.stop('destroy')))
    for (const slot of this.slots.ofApp(appId)) this.slots.drop(slot)
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true
      this.scheduler.close()
      for (const timer of this.timers) clearInterval(timer)
      await this.ready.catch(() => {})
      for (const slot of this.slots.all()) slot.cancelBackoff()
      await this.slots.started()
      await Promise.all([...this.slots.all()].map((slot) => slot.stop('shutdown')))
    })()
    return this.closed
  }

  // ---- for the router, the scheduler, the release phase and the API ---------------------------

  /** The adapter the HTTP router codes against. */
  webDirectory(): WebDynoDirectory {
    return this.web
  }

  /** Registers a hook run before a web dyno is stopped (the router drains it); returns an unregister function. */
  onBeforeStop(hook: BeforeStopHook): () => void {
    return this.web.onBeforeStop(hook)
  }

  /** A build's buildpack steps, through the backend that runs the dynos (its sandbox, its limits). */
  async openBuild(spec: BuildSpec): Promise<BuildSession> {
    if (!this.backend.openBuild) throw new Error(`the ${this.backend.name} backend cannot run builds`)
    return this.backend.openBuild(spec)
  }

  /** Live figures of a dyno that the store does not keep. */
  stats(_appId: string, dynoId: string): DynoStats {
    const slot = this.slots.get(dynoId)
    const handle = slot?.handle
    return {memory_bytes: handle ? (handle.memoryNow?.() ?? slot?.memoryBytes ?? null) : null, restart_count: slot?.restarts ?? 0}
  }

  /** Whether a one-off is still starting or running. */
  isRunning(dynoId: string): boolean {
    return this.oneOffs.isRunning(dynoId)
  }

  /** Resolves with the one-off's final record once it has ended. */
  waitForOneOff(appId: string, dynoId: string): Promise<DynoRecord | undefined> {
    return this.oneOffs.waitFor(appId, dynoId)
  }

  async schedulesChanged(appId: string): Promise<void> {
    await this.ready
    if (!this.closing) this.scheduler.changed(appId)
  }

  /** A scheduled run: a one-off `scheduler.N` on the current release. */
  async runScheduled(appId: string, schedule: ScheduleRecord): Promise<string> {
    await this.ready
    return this.oneOffs.scheduled(appId, schedule).id
  }

  /** One round of R14/R15 (a timer runs it every few seconds). */
  sampleMemory(): Promise<void> {
    return this.policies.memory.sample()
  }

  /** For the scheduler and the release phase: a platform event in the app's log. */
  event(appId: string, dyno: string, message: string): void {
    this.logs.write(appId, {source: 'tug', dyno, message})
  }

  // ---- convergence ----------------------------------------------------------------------------

  reconcileAll(): void {
    if (this.closing) return
    const appIds = new Set(this.store.apps.list().map((a) => a.id))
    for (const slot of this.slots.all()) appIds.add(slot.appId)
    for (const appId of appIds) this.guarded(() => this.reconcile(appId))
  }

  reconcile(appId: string): void {
    if (this.closing) return
    const app = this.destroying.has(appId) ? undefined : this.store.apps.get(appId)
    if (!app) {
      for (const slot of this.slots.ofApp(appId)) {
        if (slot.active) void slot.stop('destroy')
        else this.slots.drop(slot)
      }
      return
    }
    const release = app.current_release_id ? this.store.releases.get(appId, app.current_release_id) : undefined
    const desired = this.desired(appId, release)
    for (const record of this.store.dynos.list(appId)) {
      if (record.one_off) continue
      const want = desired.get(record.name)
      const slot = this.slots.for(record)
      if (!want || !release) {
        if (slot.active) void slot.stop('scale')
        else if (slot.phase === 'idle' || slot.phase === 'backoff') {
          this.slots.drop(slot)
          this.store.dynos.delete(appId, record.id)
        }
        continue
      }
      desired.delete(record.name)
      if (record.size !== want.size) this.store.dynos.update(appId, record.id, {size: want.size})
      if (slot.active) {
        const stale = slot.releaseId !== release.id || slot.command !== want.command
        if (stale && slot.phase !== 'stopping') void slot.stop('release')
      } else if (slot.phase === 'idle') {
        slot.start(release, want.command, {})
      }
    }
    if (!release) return
    for (const [name, want] of desired) {
      // A name held by a one-off (made before this type existed) waits until that one-off is gone.
      if (this.store.dynos.findByName(appId, name)) continue
      const record = this.store.dynos.insert(appId, {
        name,
        type: want.type,
        one_off: false,
        command: want.command,
        size: want.size,
        state: 'starting',
        release_id: release.id,
      })
      this.slots.for(record).start(release, want.command, {})
    }
  }

  private desired(appId: string, release: ReleaseRecord | undefined): Map<string, {type: string; command: string; size: string}> {
    const desired = new Map<string, {type: string; command: string; size: string}>()
    // A release without code has nothing to run, whatever its process types say.
    if (!release?.code_dir || !release.process_types) return desired
    const commands = new Map(release.process_types.map((p) => [p.name, p.command]))
    for (const entry of this.store.formation.list(appId)) {
      const command = commands.get(entry.type)
      // The release phase runs as a one-off before a release becomes current, never as a formation.
      if (command === undefined || entry.type === 'release') continue
      for (let n = 1; n <= entry.quantity; n++) desired.set(`${entry.type}.${n}`, {type: entry.type, command, size: entry.size})
    }
    return desired
  }

  private targets(appId: string, target: RestartTarget): DynoRecord[] {
    // An ended one-off is no target: a slot made for it would stay, and keep its record from the sweep.
    const dynos = this.store.dynos.list(appId).filter((d) => !oneOffEnded(d))
    if (target.kind === 'all') return dynos
    if (target.kind === 'type') return dynos.filter((d) => d.type === target.type)
    return dynos.filter((d) => d.id === target.dynoId)
  }
}
