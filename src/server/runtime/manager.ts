// The dyno manager: the real `Runtime`. It converges the dynos the store records against the
// formation and the current release, runs them through a `Backend`, restarts crashes with the
// back-off of restart-policy.ts, runs one-off, release-phase and scheduled dynos, samples memory,
// and recovers after a control plane that did not stop cleanly.
//
// How it converges: `reconcile(appId)` is synchronous and level-triggered. It compares the desired
// dynos (`<type>.1..quantity` for each formation entry whose type the current release has) with
// the records and the in-memory slots (one per dyno record), and starts or stops slots. Starting
// and stopping are asynchronous; each slot is in one phase at a time (idle, starting, up,
// stopping), so overlapping reconciles never start a dyno twice, and every exit calls reconcile
// again. A timer reconciles every app every few seconds as well, so nothing depends on a single
// event being seen. The API is answered at once: the records (state `starting`) are written
// before reconcile returns, the processes follow.
//
// Choices worth knowing:
// - Every dyno gets its own $PORT (web or not, as on Heroku), from one allocator: never shared.
// - A one-off that ended leaves the app's dynos at once, as on Heroku: the API no longer lists it
//   (its `Process exited with status N` line stays in the log). Its record (state `down` for exit
//   0 or a stop, `crashed` otherwise, with exit_status and ended_at) stays ONE_OFF_RETENTION_MS
//   (10 minutes), then goes, so that `run.N` numbers, and the log lines under them, are not
//   reused within that time. The same holds for one-offs a crash of the control plane ended.
// - Restart (ps:restart) and stop (ps:stop) of a formation dyno both restart it at once with a
//   fresh crash history; stop of a one-off ends it for good.
// - After a control-plane crash, every recorded backend record is handed to `adoptOrKill` and the
//   dyno is started afresh: a local process cannot be adopted (its pipes are gone).
import {constants as osConstants} from 'node:os'

import {DEFAULT_DYNO_SIZE, dynoSizeSpec} from '../domain/catalog.js'
import type {WebDyno, WebDynoDirectory as RouterDirectory} from '../router/directory.js'
import {activateRelease, RELEASE_PHASE_TYPE} from '../domain/releases.js'
import {Scheduler, SCHEDULER_TYPE} from '../scheduler/scheduler.js'
import type {DynoRecord, ReleaseRecord, ScheduleRecord, Store} from '../store/index.js'
import {oneOffEnded, toTimestamp} from '../store/index.js'
import {ROLLING_RESTART_DEFAULT} from '../store/runtime-settings.js'
import type {Backend, BackendRecord, DynoExit, DynoHandle, UnrecordedDyno} from './backend.js'
import {PortAllocator, isAccepting as defaultIsAccepting} from './ports.js'
import {NO_CRASHES, recordCrash, recordUp, resetForRelease, restartDelay, type CrashHistory} from './restart-policy.js'
import type {OneOffSpec, RestartTarget, Runtime} from './index.js'
import type {AttachBroker, AttachTicket} from './attached.js'

export const DEFAULT_RECONCILE_INTERVAL_MS = 5000
export const DEFAULT_BOOT_TIMEOUT_MS = 60_000
export const DEFAULT_STOP_GRACE_MS = 30_000
export const ONE_OFF_RETENTION_MS = 10 * 60 * 1000
export const DEFAULT_MEMORY_INTERVAL_MS = 5000
/** Above quota x this, the dyno is restarted (R15); above quota it is only logged (R14). */
export const MEMORY_KILL_FACTOR = 2
/** A drain hook (the HTTP router's) may delay a web dyno's stop at most this long. */
export const BEFORE_STOP_TIMEOUT_MS = 10_000
const BOOT_POLL_MS = 200

/** What the manager writes platform events and dyno output to (the log router's `write`). */
export interface LogInputSink {
  write(appId: string, input: {source: string; dyno: string; message: string}): void
}

export type BeforeStopHook = (appId: string, dynoName: string) => void | Promise<void>

export type {WebDyno}

/**
 * What the HTTP router codes against (router/directory.ts), plus the hook it registers to drain a
 * web dyno: called and awaited, at most BEFORE_STOP_TIMEOUT_MS, before the dyno gets SIGTERM;
 * returns an unregister function.
 */
export interface WebDynoDirectory extends RouterDirectory {
  onBeforeStop(hook: BeforeStopHook): () => void
}

export interface DynoStats {
  memory_bytes: number | null
  /** Restarts after crashes since the dyno's record was made (or last reset by a release/restart). */
  restart_count: number
}

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

type Phase = 'idle' | 'starting' | 'up' | 'stopping'
type StopReason = 'scale' | 'restart' | 'release' | 'stop' | 'shutdown' | 'destroy' | 'memory' | 'ttl'
/** A formation dyno stopped for these reasons comes straight back. */
const RESTARTING: ReadonlySet<StopReason> = new Set(['restart', 'release', 'stop', 'memory'])

interface Slot {
  dynoId: string
  appId: string
  name: string
  type: string
  oneOff: boolean
  phase: Phase
  handle?: DynoHandle
  port?: number
  /** The loopback address a web dyno was found listening on. */
  host?: string
  releaseId?: string
  command?: string
  stopReason?: StopReason
  /** Stop asked while the process was still being spawned. */
  pendingStop?: StopReason
  /** A start failure or boot timeout: the exit is a crash whatever its status. */
  failed?: boolean
  history: CrashHistory
  restartTimer?: NodeJS.Timeout
  bootTimer?: NodeJS.Timeout
  ttlTimer?: NodeJS.Timeout
  restarts: number
  /** An attached one-off's session. */
  attach?: AttachTicket
  memoryBytes?: number
  /** Resolved when the current process has exited. */
  exited?: Promise<void>
  onExited?: () => void
}

interface Desired {
  type: string
  command: string
  size: string
}

/** The shell's convention: 128 + the signal's number for a process ended by a signal. */
export function exitStatus(exit: DynoExit): number {
  if (exit.code !== null) return exit.code
  const number = exit.signal === null ? undefined : (osConstants.signals as Record<string, number>)[exit.signal]
  return number === undefined ? 1 : 128 + number
}

/** `worker 42` -> `node worker.js 42` when `worker` is a process type; otherwise as given. */
export function substituteProcessType(command: string, types: ReadonlyArray<{name: string; command: string}>): string {
  const match = /^\s*(\S+)(.*)$/s.exec(command)
  if (!match) return command
  const type = types.find((t) => t.name === match[1])
  return type ? `${type.command}${match[2] ?? ''}` : command
}

/** The lowest N >= 1 such that `<prefix>.N` is not taken. */
export function lowestFreeName(prefix: string, taken: Iterable<string>): string {
  const used = new Set(taken)
  for (let n = 1; ; n++) if (!used.has(`${prefix}.${n}`)) return `${prefix}.${n}`
}

export class DynoManager implements Runtime {
  readonly ready: Promise<void>
  readonly scheduler: Scheduler
  private readonly store: Store
  private readonly logs: LogInputSink
  private readonly backend: Backend
  private readonly ports: PortAllocator
  private readonly now: () => number
  private readonly bootTimeoutMs: number
  private readonly stopGraceMs: number
  /** The Runtime's view of stopGraceMs, for the API. */
  get defaultStopGraceMs(): number {
    return this.stopGraceMs
  }
  private readonly oneOffRetentionMs: number
  private readonly isAccepting: (port: number, host: string) => Promise<boolean>
  private readonly onError: (error: unknown) => void
  private readonly attach: AttachBroker | undefined
  private readonly slots = new Map<string, Slot>()
  private readonly starts = new Set<Promise<void>>()
  private readonly beforeStop = new Set<BeforeStopHook>()
  private readonly timers: NodeJS.Timeout[] = []
  private readonly oneOffWaiters = new Map<string, Array<(record: DynoRecord | undefined) => void>>()
  /** Rolling restarts in progress: the latest sequence number per app. */
  private readonly rolling = new Map<string, number>()
  /** Per app, release phases run one after the other. */
  private readonly phaseChains = new Map<string, Promise<void>>()
  private readonly phasesQueued = new Set<string>()
  /** Apps being deleted: converged to nothing. */
  private readonly destroying = new Set<string>()
  private closing = false
  private closed: Promise<void> | undefined
  private sampling = false

  constructor(options: DynoManagerOptions) {
    this.store = options.store
    this.logs = options.logs
    this.backend = options.backend
    this.ports = options.ports ?? new PortAllocator()
    this.now = options.now ?? Date.now
    this.bootTimeoutMs = options.bootTimeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS
    this.stopGraceMs = options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS
    this.oneOffRetentionMs = options.oneOffRetentionMs ?? ONE_OFF_RETENTION_MS
    this.isAccepting = options.isAccepting ?? ((port, host) => defaultIsAccepting(port, host, 500))
    this.onError = options.onError ?? (() => {})
    this.attach = options.attach
    this.scheduler = new Scheduler(this.store, this, this.now)
    this.ready = this.recover().then(() => {
      if (this.closing) return
      this.reconcileAll()
      this.scheduler.start()
      const every = (ms: number, task: () => void): void => {
        const timer = setInterval(() => {
          try {
            task()
          } catch (error) {
            this.onError(error)
          }
        }, ms)
        timer.unref()
        this.timers.push(timer)
      }
      every(options.reconcileIntervalMs ?? DEFAULT_RECONCILE_INTERVAL_MS, () => {
        this.sweepOneOffs()
        this.reconcileAll()
      })
      every(options.memoryIntervalMs ?? DEFAULT_MEMORY_INTERVAL_MS, () => void this.sampleMemory())
    })
  }

  // ---- the Runtime seam ------------------------------------------------------------------

  async formationChanged(appId: string): Promise<void> {
    await this.ready
    this.reconcile(appId)
  }

  async releaseChanged(appId: string): Promise<void> {
    await this.ready
    this.queueReleasePhases(appId)
    // New code or config deserves a fresh start: forget crashes, no back-off wait.
    for (const slot of this.appSlots(appId)) {
      if (slot.oneOff) continue
      slot.history = NO_CRASHES
      slot.restarts = 0
      this.clearRestartTimer(slot)
    }
    this.reconcile(appId)
  }

  async restart(appId: string, target: RestartTarget): Promise<void> {
    await this.ready
    const web: Slot[] = []
    for (const record of this.targets(appId, target)) {
      if (record.one_off) {
        // Restarting everything ends the one-offs (as on Heroku); a one-off cannot be run twice.
        if (target.kind !== 'type') void this.stopSlot(this.slotFor(record), 'stop')
        continue
      }
      const slot = this.slotFor(record)
      slot.history = NO_CRASHES
      this.clearRestartTimer(slot)
      if (!(slot.handle || slot.phase === 'starting')) continue
      if (slot.type === 'web' && target.kind !== 'dyno') web.push(slot)
      else void this.stopSlot(slot, 'restart')
    }
    // Issue 7: with two or more web dynos, one at a time, so that some dyno always serves.
    if (web.length >= 2 && this.rollingRestart(appId)) void this.restartOneByOne(appId, web)
    else for (const slot of web) void this.stopSlot(slot, 'restart')
    this.reconcile(appId)
  }

  /** The app's runtime setting (not a config var: changing it makes no release), on by default. */
  private rollingRestart(appId: string): boolean {
    return this.store.runtimeSettings.get(appId).rolling_restart ?? ROLLING_RESTART_DEFAULT
  }

  /**
   * Restarts the slots in name order, each once the previous one is up again (or crashed, or out
   * of its boot time). A later restart of the same app takes over from a sequence in progress.
   */
  private async restartOneByOne(appId: string, slots: Slot[]): Promise<void> {
    const sequence = (this.rolling.get(appId) ?? 0) + 1
    this.rolling.set(appId, sequence)
    const current = (): boolean => !this.closing && this.rolling.get(appId) === sequence
    slots.sort((a, b) => a.name.localeCompare(b.name, 'en', {numeric: true}))
    try {
      for (const slot of slots) {
        if (!current() || this.slots.get(slot.dynoId) !== slot || !(slot.handle || slot.phase === 'starting')) continue
        await this.stopSlot(slot, 'restart')
        // Stopped, it starts again through the reconcile that follows its exit.
        const deadline = Date.now() + this.bootTimeoutMs + 5000
        while (current() && this.slots.get(slot.dynoId) === slot && slot.phase !== 'up' && slot.restartTimer === undefined && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, BOOT_POLL_MS))
        }
      }
    } catch (error) {
      this.onError(error)
    } finally {
      if (this.rolling.get(appId) === sequence) this.rolling.delete(appId)
    }
  }

  async stop(appId: string, target: Exclude<RestartTarget, {kind: 'all'}>): Promise<void> {
    await this.ready
    for (const record of this.targets(appId, target)) {
      const slot = this.slotFor(record)
      if (!record.one_off) {
        // Stopping a formation dyno restarts it; scale to 0 to keep it down (platform-api 2.3).
        slot.history = NO_CRASHES
        this.clearRestartTimer(slot)
        if (slot.handle || slot.phase === 'starting') void this.stopSlot(slot, 'stop')
      } else if (slot.handle || slot.phase === 'starting') {
        void this.stopSlot(slot, 'stop')
      }
    }
    this.reconcile(appId)
  }

  async createOneOff(appId: string, spec: OneOffSpec): Promise<DynoRecord> {
    await this.ready
    const release = this.store.releases.get(appId, spec.releaseId)
    const types = release?.process_types ?? []
    const ticket = spec.attach ? this.attach?.open({appId, command: spec.command, tty: !spec.forceNoTty}) : undefined
    const command = substituteProcessType(ticket?.command ?? spec.command, types)
    const record = this.store.transaction(() => {
      // A one-off of a formation type (`--type web`) is named run.N: `web.N` belongs to the formation.
      // The release phase's type is never a formation entry, so its runs keep their own `release.N`.
      const formationTypes = new Set([...types.map((t) => t.name), ...this.store.formation.list(appId).map((f) => f.type)])
      formationTypes.delete(RELEASE_PHASE_TYPE)
      const prefix = formationTypes.has(spec.type) ? 'run' : spec.type
      const name = lowestFreeName(prefix, this.store.dynos.list(appId).map((d) => d.name))
      return this.store.dynos.insert(appId, {
        name,
        type: spec.type,
        one_off: true,
        command,
        size: spec.size,
        state: 'starting',
        release_id: spec.releaseId,
        attach: spec.attach,
        attach_url: ticket?.attachUrl ?? null,
        force_no_tty: spec.forceNoTty,
        env: spec.env,
        time_to_live: spec.timeToLive,
      })
    })
    const slot = this.slotFor(record)
    ticket?.assign(record.id, record.name)
    slot.attach = ticket
    if (!release?.code_dir) {
      this.event(appId, record.name, 'Cannot start: the release has no code (deploy the app first)')
      ticket?.fail()
      this.finishOneOff(slot, 1)
    } else {
      this.startSlot(slot, release, command, spec.env)
    }
    return this.store.dynos.get(appId, record.id) ?? record
  }

  async appDestroyed(appId: string): Promise<void> {
    await this.ready
    // Until the route has deleted it, the app still exists: nothing may start it again meanwhile.
    this.destroying.add(appId)
    const forget = setTimeout(() => this.destroying.delete(appId), 60_000)
    forget.unref()
    await Promise.all(this.appSlots(appId).map((slot) => this.stopSlot(slot, 'destroy')))
    for (const slot of this.appSlots(appId)) this.dropSlot(slot)
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true
      this.scheduler.close()
      for (const timer of this.timers) clearInterval(timer)
      await this.ready.catch(() => {})
      for (const slot of this.slots.values()) this.clearRestartTimer(slot)
      await Promise.all([...this.starts])
      await Promise.all([...this.slots.values()].map((slot) => this.stopSlot(slot, 'shutdown')))
    })()
    return this.closed
  }

  // ---- for the router, the scheduler and the API --------------------------------------------

  /** Registers a hook run before a web dyno is stopped (the router drains it); returns an unregister function. */
  onBeforeStop(hook: BeforeStopHook): () => void {
    this.beforeStop.add(hook)
    return () => {
      this.beforeStop.delete(hook)
    }
  }

  webTargets(appName: string): WebDyno[] {
    const appId = this.store.apps.idByName(appName)
    if (appId === undefined) return []
    const result: WebDyno[] = []
    for (const slot of this.slots.values()) {
      if (slot.appId !== appId || slot.oneOff || slot.type !== 'web' || slot.port === undefined || !slot.handle) continue
      result.push({name: slot.name, host: slot.host ?? this.ports.host, port: slot.port, state: slot.phase})
    }
    // web.2 before web.10; the router asks on every request, so no locale collation here.
    return result.sort((a, b) => dynoIndex(a.name) - dynoIndex(b.name))
  }

  /** The adapter the HTTP router codes against. */
  webDirectory(): WebDynoDirectory {
    return {list: (appName) => this.webTargets(appName), onBeforeStop: (hook) => this.onBeforeStop(hook)}
  }

  /** Live figures of a dyno that the store does not keep. */
  stats(_appId: string, dynoId: string): DynoStats {
    const slot = this.slots.get(dynoId)
    return {memory_bytes: slot?.handle ? (slot.memoryBytes ?? null) : null, restart_count: slot?.restarts ?? 0}
  }

  /** Whether a one-off is still starting or running. */
  isRunning(dynoId: string): boolean {
    const slot = this.slots.get(dynoId)
    return slot !== undefined && (slot.handle !== undefined || slot.phase === 'starting')
  }

  /** Resolves with the one-off's final record once it has ended. */
  waitForOneOff(appId: string, dynoId: string): Promise<DynoRecord | undefined> {
    if (!this.isRunning(dynoId)) return Promise.resolve(this.store.dynos.get(appId, dynoId))
    return new Promise((resolve) => {
      const list = this.oneOffWaiters.get(dynoId) ?? []
      list.push(resolve)
      this.oneOffWaiters.set(dynoId, list)
    })
  }

  async schedulesChanged(appId: string): Promise<void> {
    await this.ready
    if (!this.closing) this.scheduler.changed(appId)
  }

  /** A scheduled run: a one-off `scheduler.N` on the current release. */
  async runScheduled(appId: string, schedule: ScheduleRecord): Promise<string> {
    const app = this.store.apps.get(appId)
    if (!app?.current_release_id) throw new Error('the app has no release yet')
    const record = await this.createOneOff(appId, {
      command: schedule.command,
      type: SCHEDULER_TYPE,
      size: schedule.size,
      attach: false,
      forceNoTty: true,
      env: {},
      timeToLive: null,
      releaseId: app.current_release_id,
    })
    return record.id
  }

  /** For the scheduler and the release phase: a platform event in the app's log. */
  event(appId: string, dyno: string, message: string): void {
    this.logs.write(appId, {source: 'tug', dyno, message})
  }

  get isClosing(): boolean {
    return this.closing
  }

  // ---- convergence ----------------------------------------------------------------------------

  reconcileAll(): void {
    if (this.closing) return
    const appIds = new Set(this.store.apps.list().map((a) => a.id))
    for (const slot of this.slots.values()) appIds.add(slot.appId)
    for (const appId of appIds) {
      try {
        this.reconcile(appId)
      } catch (error) {
        this.onError(error)
      }
    }
  }

  reconcile(appId: string): void {
    if (this.closing) return
    const app = this.destroying.has(appId) ? undefined : this.store.apps.get(appId)
    if (!app) {
      for (const slot of this.appSlots(appId)) {
        if (slot.handle || slot.phase === 'starting') void this.stopSlot(slot, 'destroy')
        else this.dropSlot(slot)
      }
      return
    }
    const release = app.current_release_id ? this.store.releases.get(appId, app.current_release_id) : undefined
    const desired = this.desired(appId, release)
    for (const record of this.store.dynos.list(appId)) {
      if (record.one_off) continue
      const want = desired.get(record.name)
      const slot = this.slotFor(record)
      if (!want || !release) {
        if (slot.handle || slot.phase === 'starting') void this.stopSlot(slot, 'scale')
        else if (slot.phase === 'idle') {
          this.dropSlot(slot)
          this.store.dynos.delete(appId, record.id)
        }
        continue
      }
      desired.delete(record.name)
      if (record.size !== want.size) this.store.dynos.update(appId, record.id, {size: want.size})
      if (slot.handle || slot.phase === 'starting') {
        const stale = slot.releaseId !== release.id || slot.command !== want.command
        if (stale && slot.phase !== 'stopping') void this.stopSlot(slot, 'release')
      } else if (slot.phase === 'idle' && slot.restartTimer === undefined) {
        this.startSlot(slot, release, want.command, {})
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
      this.startSlot(this.slotFor(record), release, want.command, {})
    }
  }

  private desired(appId: string, release: ReleaseRecord | undefined): Map<string, Desired> {
    const desired = new Map<string, Desired>()
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

  // ---- one slot's life --------------------------------------------------------------------------

  private slotFor(record: DynoRecord): Slot {
    let slot = this.slots.get(record.id)
    if (!slot) {
      slot = {
        dynoId: record.id,
        appId: record.app_id,
        name: record.name,
        type: record.type,
        oneOff: record.one_off,
        phase: 'idle',
        history: NO_CRASHES,
        restarts: 0,
      }
      this.slots.set(record.id, slot)
    }
    return slot
  }

  private appSlots(appId: string): Slot[] {
    return [...this.slots.values()].filter((s) => s.appId === appId)
  }

  private dropSlot(slot: Slot): void {
    this.clearRestartTimer(slot)
    clearTimeout(slot.bootTimer)
    clearTimeout(slot.ttlTimer)
    this.slots.delete(slot.dynoId)
  }

  private clearRestartTimer(slot: Slot): void {
    if (slot.restartTimer !== undefined) clearTimeout(slot.restartTimer)
    slot.restartTimer = undefined
  }

  private setState(slot: Slot, state: DynoRecord['state'], extra: Partial<Pick<DynoRecord, 'release_id' | 'command' | 'backend_record' | 'exit_status' | 'ended_at'>> = {}): void {
    try {
      const before = this.store.dynos.get(slot.appId, slot.dynoId)
      if (!before) return
      this.store.dynos.update(slot.appId, slot.dynoId, {state, ...extra})
      if (before.state !== state) this.event(slot.appId, slot.name, `State changed from ${before.state} to ${state}`)
    } catch (error) {
      // The app may have been deleted meanwhile: its records are gone, and that is fine.
      this.onError(error)
    }
  }

  private graceFor(appId: string): number {
    try {
      return this.store.runtimeSettings.get(appId).stop_grace_ms ?? this.stopGraceMs
    } catch {
      return this.stopGraceMs
    }
  }

  private startSlot(slot: Slot, release: ReleaseRecord, command: string, extraEnv: Record<string, string>): void {
    if (this.closing || slot.phase !== 'idle') return
    slot.phase = 'starting'
    slot.failed = false
    slot.releaseId = release.id
    slot.command = command
    if (!slot.oneOff && slot.history.releaseVersion !== release.version) {
      slot.history = resetForRelease(release.version)
    }
    let resolveExited: () => void = () => {}
    slot.exited = new Promise<void>((resolve) => (resolveExited = resolve))
    slot.onExited = resolveExited
    this.setState(slot, 'starting', {release_id: release.id, command, exit_status: null, ended_at: null})
    this.event(slot.appId, slot.name, `Starting process with command \`${command}\``)
    const started = this.spawn(slot, release, command, extraEnv).catch((error: unknown) => this.onError(error))
    this.starts.add(started)
    void started.finally(() => this.starts.delete(started))
  }

  private async spawn(slot: Slot, release: ReleaseRecord, command: string, extraEnv: Record<string, string>): Promise<void> {
    const app = this.store.apps.get(slot.appId)
    const config = this.store.config.get(slot.appId, release.config_id) ?? {}
    let port: number | undefined
    let handle: DynoHandle
    try {
      if (!app || !release.code_dir) throw new Error('the release has no code')
      port = await this.ports.allocate()
      handle = await this.backend.start({
        appId: slot.appId,
        appName: app.name,
        dynoName: slot.name,
        type: slot.type,
        command,
        cwd: release.code_dir,
        env: {...config, ...extraEnv},
        port,
        releaseVersion: release.version,
        ...(slot.attach ? {stdio: {tty: slot.attach.tty}} : {}),
      })
    } catch (error) {
      slot.attach?.fail()
      if (port !== undefined) this.ports.release(port)
      this.event(slot.appId, slot.name, `Error starting process: ${(error as Error).message}`)
      slot.failed = true
      this.exitedWithoutProcess(slot, 127)
      return
    }
    slot.handle = handle
    slot.port = port
    this.setState(slot, 'starting', {backend_record: JSON.stringify(handle.describe().record)})
    handle.onOutput((_stream, line) => this.logs.write(slot.appId, {source: 'app', dyno: slot.name, message: line}))
    slot.attach?.bind(handle)
    void handle.exited.then((exit) => this.onExit(slot, handle, exit))
    if (slot.pendingStop !== undefined || this.closing) {
      const reason = slot.pendingStop ?? 'shutdown'
      slot.pendingStop = undefined
      slot.phase = 'up'
      void this.stopSlot(slot, reason)
      return
    }
    if (slot.oneOff && slot.type !== 'release') {
      const record = this.store.dynos.get(slot.appId, slot.dynoId)
      const ttl = record?.time_to_live
      if (ttl) {
        slot.ttlTimer = setTimeout(() => {
          this.event(slot.appId, slot.name, `Stopping process: its time to live of ${ttl} seconds is over`)
          void this.stopSlot(slot, 'ttl')
        }, ttl * 1000)
        slot.ttlTimer.unref()
      }
    }
    if (slot.type === 'web' && !slot.oneOff) this.watchBoot(slot, handle, port)
    else this.markUp(slot)
  }

  private markUp(slot: Slot): void {
    if (slot.phase !== 'starting') return
    slot.phase = 'up'
    slot.history = recordUp(slot.history, this.now())
    this.setState(slot, 'up')
  }

  private watchBoot(slot: Slot, handle: DynoHandle, port: number): void {
    const deadline = this.now() + this.bootTimeoutMs
    const poll = async (): Promise<void> => {
      if (slot.handle !== handle || slot.phase !== 'starting') return
      // An app that listens on `localhost` may get only ::1 (Node resolves localhost to it first on
      // some systems): either loopback counts, and the router is told which one.
      for (const host of [this.ports.host, '::1']) {
        if (!(await this.isAccepting(port, host))) continue
        if (slot.handle === handle) {
          slot.host = host
          this.markUp(slot)
        }
        return
      }
      if (slot.handle !== handle || slot.phase !== 'starting') return
      if (this.now() >= deadline) {
        const seconds = Math.round(this.bootTimeoutMs / 1000)
        this.event(slot.appId, slot.name, `Error R10 (Boot timeout) -> Web process failed to bind to $PORT within ${seconds} seconds of launch`)
        this.event(slot.appId, slot.name, 'Stopping process with SIGKILL')
        slot.failed = true
        void handle.stop({signal: 'SIGKILL', graceMs: 0})
        return
      }
      slot.bootTimer = setTimeout(() => void poll(), BOOT_POLL_MS)
    }
    void poll()
  }

  /** Stops the slot's process (if any) and resolves once it has exited. */
  private async stopSlot(slot: Slot, reason: StopReason): Promise<void> {
    if (slot.phase === 'starting' && !slot.handle) {
      slot.pendingStop ??= reason
      await slot.exited
      return
    }
    const handle = slot.handle
    if (!handle) return
    if (slot.phase === 'stopping') {
      await slot.exited
      return
    }
    slot.phase = 'stopping'
    slot.stopReason = reason
    if (!slot.oneOff && RESTARTING.has(reason)) {
      // As on Heroku: a restarting dyno shows `starting` from the moment it is told to stop.
      this.event(slot.appId, slot.name, 'Restarting')
      this.setState(slot, 'starting')
    }
    // Taken now: once this process has exited, a restart gives the slot a new `exited` at once.
    const exited = slot.exited
    clearTimeout(slot.bootTimer)
    clearTimeout(slot.ttlTimer)
    if (slot.type === 'web' && !slot.oneOff && this.beforeStop.size > 0) {
      await Promise.all(
        [...this.beforeStop].map((hook) => {
          let timer: NodeJS.Timeout | undefined
          const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, BEFORE_STOP_TIMEOUT_MS)))
          return Promise.race([Promise.resolve().then(() => hook(slot.appId, slot.name)), timeout])
            .catch((error: unknown) => this.onError(error))
            .finally(() => clearTimeout(timer))
        }),
      )
    }
    const grace = this.graceFor(slot.appId)
    this.event(slot.appId, slot.name, 'Stopping all processes with SIGTERM')
    const overdue = setTimeout(() => {
      if (slot.handle !== handle) return
      this.event(slot.appId, slot.name, `Error R12 (Exit timeout) -> At least one process failed to exit within ${Math.round(grace / 1000)} seconds of SIGTERM`)
      this.event(slot.appId, slot.name, 'Stopping remaining processes with SIGKILL')
    }, grace)
    overdue.unref()
    try {
      await handle.stop({signal: 'SIGTERM', graceMs: grace})
    } finally {
      clearTimeout(overdue)
    }
    await exited
  }

  private onExit(slot: Slot, handle: DynoHandle, exit: DynoExit): void {
    if (slot.handle !== handle) return
    slot.handle = undefined
    if (slot.port !== undefined) this.ports.release(slot.port)
    slot.port = undefined
    slot.host = undefined
    slot.memoryBytes = undefined
    clearTimeout(slot.bootTimer)
    clearTimeout(slot.ttlTimer)
    const status = exitStatus(exit)
    this.event(slot.appId, slot.name, `Process exited with status ${status}`)
    this.afterExit(slot, status)
  }

  private exitedWithoutProcess(slot: Slot, status: number): void {
    this.afterExit(slot, status)
  }

  private afterExit(slot: Slot, status: number): void {
    const reason = slot.stopReason
    slot.stopReason = undefined
    slot.pendingStop = undefined
    slot.phase = 'idle'
    const done = slot.onExited
    slot.onExited = undefined
    try {
      if (slot.oneOff) {
        this.finishOneOff(slot, status, reason)
      } else if (reason !== undefined && !slot.failed) {
        this.setState(slot, RESTARTING.has(reason) ? 'starting' : 'down', {backend_record: null})
        if (reason === 'memory') slot.restarts++
      } else {
        slot.history = recordCrash(slot.history, this.now())
        this.setState(slot, 'crashed', {backend_record: null})
        if (!this.closing) {
          const delay = restartDelay(slot.history, this.now())
          slot.restartTimer = setTimeout(() => {
            slot.restartTimer = undefined
            slot.restarts++
            try {
              this.reconcile(slot.appId)
            } catch (error) {
              this.onError(error)
            }
          }, delay)
          slot.restartTimer.unref()
        }
      }
    } finally {
      done?.()
    }
    if (!slot.oneOff && !this.closing) {
      try {
        this.reconcile(slot.appId)
      } catch (error) {
        this.onError(error)
      }
    }
  }

  private finishOneOff(slot: Slot, status: number, reason?: StopReason): void {
    const state = status === 0 || reason !== undefined ? 'down' : 'crashed'
    this.setState(slot, state, {backend_record: null, exit_status: status, ended_at: toTimestamp(new Date(this.now()))})
    slot.phase = 'idle'
    const record = this.store.dynos.get(slot.appId, slot.dynoId)
    this.slots.delete(slot.dynoId)
    const waiters = this.oneOffWaiters.get(slot.dynoId) ?? []
    this.oneOffWaiters.delete(slot.dynoId)
    for (const resolve of waiters) resolve(record)
  }

  private sweepOneOffs(): void {
    const cutoff = this.now() - this.oneOffRetentionMs
    for (const app of this.store.apps.list()) {
      for (const record of this.store.dynos.list(app.id)) {
        if (!record.one_off || record.ended_at === null || this.slots.has(record.id)) continue
        if (Date.parse(record.ended_at) < cutoff) this.store.dynos.delete(app.id, record.id)
      }
    }
  }

  private targets(appId: string, target: RestartTarget): DynoRecord[] {
    // An ended one-off is no target: a slot made for it would stay, and keep its record from the sweep.
    const dynos = this.store.dynos.list(appId).filter((d) => !oneOffEnded(d))
    if (target.kind === 'all') return dynos
    if (target.kind === 'type') return dynos.filter((d) => d.type === target.type)
    return dynos.filter((d) => d.id === target.dynoId)
  }

  // ---- the release phase -------------------------------------------------------------------

  /** Pending releases (made by createRelease when the code has a `release` type) get their phase run. */
  private queueReleasePhases(appId: string): void {
    for (const release of this.store.releases.list(appId)) {
      if (release.status !== 'pending' || this.phasesQueued.has(release.id)) continue
      this.phasesQueued.add(release.id)
      const previous = this.phaseChains.get(appId) ?? Promise.resolve()
      const next = previous
        .then(() => this.runReleasePhase(appId, release))
        .catch((error: unknown) => this.onError(error))
        .finally(() => this.phasesQueued.delete(release.id))
      this.phaseChains.set(appId, next)
    }
  }

  private async runReleasePhase(appId: string, release: ReleaseRecord): Promise<void> {
    if (this.closing) return
    const command = release.process_types?.find((p) => p.name === RELEASE_PHASE_TYPE)?.command
    let status = 0
    let dynoName = RELEASE_PHASE_TYPE
    if (command !== undefined) {
      const record = await this.createOneOff(appId, {
        command,
        type: RELEASE_PHASE_TYPE,
        size: DEFAULT_DYNO_SIZE,
        attach: false,
        forceNoTty: true,
        env: {},
        timeToLive: null,
        releaseId: release.id,
      })
      dynoName = record.name
      const final = await this.waitForOneOff(appId, record.id)
      // Stopped with the control plane: the release stays pending, and the next start fails it.
      if (this.closing) return
      status = final?.exit_status ?? 1
    }
    const app = this.store.apps.get(appId)
    if (!app) return
    const current = app.current_release_id ? this.store.releases.get(appId, app.current_release_id) : undefined
    if (status !== 0) {
      this.store.releases.setStatus(appId, release.id, 'failed')
      const kept = current ? `v${current.version} stays current` : 'no release is current'
      this.event(appId, dynoName, `Release v${release.version} failed: the release command exited with status ${status}; ${kept}`)
      return
    }
    if (current && current.version > release.version) {
      // A newer release became current meanwhile (a rollback): this one is done but not current.
      this.store.releases.setStatus(appId, release.id, 'succeeded')
      this.event(appId, dynoName, `Release v${release.version} succeeded, but v${current.version} became current meanwhile and stays current`)
      return
    }
    activateRelease(this.store, appId, release.id)
    this.event(appId, dynoName, `Release v${release.version} succeeded and is now current`)
    await this.releaseChanged(appId)
  }

  // ---- memory -------------------------------------------------------------------------------

  async sampleMemory(): Promise<void> {
    if (this.sampling || this.closing) return
    this.sampling = true
    try {
      for (const slot of [...this.slots.values()]) {
        const handle = slot.handle
        if (!handle || slot.phase !== 'up') continue
        const bytes = await handle.memoryBytes()
        if (slot.handle !== handle || bytes === undefined) continue
        slot.memoryBytes = bytes
        const record = this.store.dynos.get(slot.appId, slot.dynoId)
        if (!record) continue
        const quota = dynoSizeSpec(record.size).size.memory * 1024 ** 3
        if (bytes <= quota) continue
        const mb = Math.round(bytes / 1024 ** 2)
        const percent = Math.round((bytes / quota) * 100)
        this.event(slot.appId, slot.name, `Process running mem=${mb}M(${percent}.0%)`)
        if (bytes > quota * MEMORY_KILL_FACTOR) {
          this.event(slot.appId, slot.name, 'Error R15 (Memory quota vastly exceeded)')
          if (slot.oneOff) void this.stopSlot(slot, 'stop')
          else void this.stopSlot(slot, 'memory')
        } else {
          this.event(slot.appId, slot.name, 'Error R14 (Memory quota exceeded)')
        }
      }
    } catch (error) {
      this.onError(error)
    } finally {
      this.sampling = false
    }
  }

  // ---- control-plane restarts -------------------------------------------------------------------

  /**
   * What a previous control plane left: every dyno with a backend record was running when it
   * stopped without cleaning up. Each is handed to the backend (which stops it, or adopts it: an
   * adopted dyno is stopped too, and the reconciler starts a fresh one it fully manages).
   */
  private async recover(): Promise<void> {
    const records = this.store.dynos.listWithBackendRecords()
    await Promise.all(
      records.map(async (record) => {
        let detail: string
        try {
          const parsed = JSON.parse(record.backend_record as string) as BackendRecord
          const outcome = await this.backend.adoptOrKill(parsed, {graceMs: this.graceFor(record.app_id)})
          if (outcome.outcome === 'adopted') {
            await outcome.handle.stop({signal: 'SIGTERM', graceMs: this.graceFor(record.app_id)})
            detail = 'stopped the process left running by the previous control plane'
          } else detail = outcome.detail
        } catch (error) {
          detail = `could not check the recorded process: ${(error as Error).message}`
        }
        this.event(record.app_id, record.name, `Control plane restarted: ${detail}`)
        if (record.one_off) {
          this.store.dynos.update(record.app_id, record.id, {
            state: 'crashed',
            backend_record: null,
            ended_at: toTimestamp(new Date(this.now())),
          })
        } else {
          this.store.dynos.update(record.app_id, record.id, {state: 'down', backend_record: null})
        }
      }),
    )
    await this.stopUnrecorded()
    // A release phase cut short by the stop: its release never became current.
    for (const app of this.store.apps.list()) {
      for (const release of this.store.releases.list(app.id)) {
        if (release.status !== 'pending') continue
        this.store.releases.setStatus(app.id, release.id, 'failed')
        this.event(app.id, RELEASE_PHASE_TYPE, `Release v${release.version} failed: the control plane stopped during its release phase`)
      }
    }
    // One-offs that never got a process (the control plane stopped in between) are over too.
    for (const app of this.store.apps.list()) {
      for (const record of this.store.dynos.list(app.id)) {
        if (record.one_off && record.ended_at === null && record.backend_record === null) {
          this.store.dynos.update(app.id, record.id, {state: 'crashed', ended_at: toTimestamp(new Date(this.now()))})
        }
      }
    }
  }

  /**
   * Processes the previous control plane started but died before recording (a kill -9 between a
   * spawn and the store write): no record names them, so no app log can; the control plane's own
   * error channel says what was stopped.
   */
  private async stopUnrecorded(): Promise<void> {
    if (!this.backend.stopUnrecorded) return
    try {
      const found = await this.backend.stopUnrecorded({graceMs: this.stopGraceMs})
      if (found.length > 0) {
        this.onError(new Error(`control plane restarted: stopped the unrecorded processes a previous run left running: ${describeUnrecorded(found)}`))
      }
    } catch (error) {
      this.onError(error)
    }
  }
}

/** `web.2, web.7 (2 processes)`: what stopUnrecorded found, for one line. */
function describeUnrecorded(found: readonly UnrecordedDyno[]): string {
  return found.map((d) => (d.processes === 1 ? d.dynoName : `${d.dynoName} (${d.processes} processes)`)).join(', ')
}

/** The number after the type: 10 for `web.10`. */
function dynoIndex(name: string): number {
  return Number(name.slice(name.lastIndexOf('.') + 1)) || 0
}
