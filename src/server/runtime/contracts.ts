// The bottom of the runtime. What the rest of the server codes against (`Runtime`, `OneOffSpec`,
// `RestartTarget`, the web directory the router reads), and the small interfaces through which a
// dyno slot and each policy beside the dyno manager see the rest: a dyno (`ManagedDyno`), a
// platform event, the clock, the store.
//
// Why a file of its own: the manager calls the slots and the policies, and these call back (a slot
// reports that its dyno is up or has exited; a policy stops a dyno or asks for a reconcile). If they
// imported each other, the runtime would be one import circle. So events flow up through the
// interfaces declared here, commands flow down, and this file imports nothing of the runtime but
// the `Backend` seam's types (backend.ts, itself a leaf).
import type {WebDyno, WebDynoDirectory as RouterDirectory} from '../router/directory.js'
import type {DynoRecord, ReleaseRecord} from '../store/index.js'
import type {BuildSession, BuildSpec, DynoHandle} from './backend.js'

export type {WebDyno}

export type RestartTarget = {kind: 'all'} | {kind: 'dyno'; dynoId: string} | {kind: 'type'; type: string}

export interface OneOffSpec {
  /** The command as given; a runtime substitutes a Procfile type's command for a bare first word. */
  command: string
  type: string
  size: string
  attach: boolean
  forceNoTty: boolean
  env: Record<string, string>
  timeToLive: number | null
  releaseId: string
}

export interface DynoStats {
  memory_bytes: number | null
  /** Restarts after crashes since the dyno's record was made (or last reset by a release/restart). */
  restart_count: number
}

export interface Runtime {
  /** The formation of the app changed (scale, size): converge its dynos. */
  formationChanged(appId: string): Promise<void>
  /** A new release is current: move the app's dynos onto it (and converge the formation). */
  releaseChanged(appId: string): Promise<void>
  restart(appId: string, target: RestartTarget): Promise<void>
  /** Stops a one-off for good; a formation dyno is only restarted (scale to 0 to keep it down). */
  stop(appId: string, target: Exclude<RestartTarget, {kind: 'all'}>): Promise<void>
  createOneOff(appId: string, spec: OneOffSpec): Promise<DynoRecord>
  /** The app is about to be deleted (records go with it): stop everything it runs. */
  appDestroyed(appId: string): Promise<void>
  /** The app's schedules were added or removed (tug's schedules extension). */
  schedulesChanged?(appId: string): Promise<void>
  /** SIGTERM to SIGKILL when the app has no setting of its own (GET /apps/{app}/runtime-settings). */
  readonly defaultStopGraceMs?: number
  /** Live figures the store does not keep (memory, restarts); extra fields of GET /dynos. */
  stats?(appId: string, dynoId: string): DynoStats
  /**
   * A build's buildpack steps, run where dynos run (builds/ spawns nothing itself); absent where
   * this runtime cannot build.
   */
  openBuild?(spec: BuildSpec): Promise<BuildSession>
  close(): Promise<void>
}

/** What the manager writes platform events and dyno output to (the log router's `write`, and `writeLines` for a batch). */
export interface LogInputSink {
  write(appId: string, input: {source: string; dyno: string; message: string}): void
  writeLines?(appId: string, input: {source: string; dyno: string; lines: readonly string[]}): void
}

export type BeforeStopHook = (appId: string, dynoName: string) => void | Promise<void>

/**
 * What the HTTP router codes against (router/directory.ts), plus the hook it registers to drain a
 * web dyno: called and awaited, at most BEFORE_STOP_TIMEOUT_MS, before the dyno gets SIGTERM;
 * returns an unregister function.
 */
export interface WebDynoDirectory extends RouterDirectory {
  onBeforeStop(hook: BeforeStopHook): () => void
}

/** A platform event in the app's log: `tug[web.1]: State changed from starting to up`. */
export type PlatformEvent = (appId: string, dyno: string, message: string) => void

// ---- one dyno, as the policies see it (dyno-slot.ts has the state table) ----------------------

export type Phase = 'idle' | 'starting' | 'up' | 'stopping' | 'backoff'
export type StopReason = 'scale' | 'restart' | 'release' | 'stop' | 'shutdown' | 'destroy' | 'memory' | 'ttl'
/** The timers a dyno owns; each is cleared when the dyno leaves the phase it was armed for. */
export type DynoTimer = 'boot' | 'ttl'

export interface ManagedDyno {
  readonly dynoId: string
  readonly appId: string
  readonly name: string
  readonly type: string
  readonly oneOff: boolean
  readonly phase: Phase
  readonly handle: DynoHandle | undefined
  /** A process runs or is being started. */
  readonly active: boolean
  /** The loopback address a web dyno was found listening on. */
  host: string | undefined
  memoryBytes: number | undefined
  /** Restarts after crashes (and R15) since the record was made or last reset. */
  restarts: number
  /** `starting` -> `up`; nothing when the dyno is no longer starting. */
  markUp(): void
  /** Stops the process (if any) and resolves once it has exited. */
  stop(reason: StopReason): Promise<void>
  /** The boot failed (R10): SIGKILL now, and the exit counts as a crash. */
  failBoot(handle: DynoHandle): void
  /** A one-shot timer owned by the dyno, cleared when its process stops or exits. */
  arm(timer: DynoTimer, ms: number, fire: () => void): void
  /** `idle` -> `backoff`: waits `ms`, then back to `idle` and `due()`. */
  backOff(ms: number, due: () => void): void
  /** `backoff` -> `idle` at once (a release, a restart); nothing in another phase. */
  cancelBackoff(): void
}

/** How a dyno's process ended, as reported up by its slot. */
export interface DynoOutcome {
  /** The shell's convention: 128 + the signal's number for a signal. 127 when it never started. */
  status: number
  /** Why it was stopped; undefined when it ended on its own. */
  reason: StopReason | undefined
  /** A formation dyno that ended on its own, failed to start or failed its boot. */
  crashed: boolean
}

/** What a slot reports up (the manager hands each event to the policies it concerns). */
export interface DynoEvents<D extends ManagedDyno = ManagedDyno> {
  /** About to spawn the release's process. */
  starting(dyno: D, release: ReleaseRecord): void
  /** Its process runs (and was not stopped meanwhile). */
  spawned(dyno: D, handle: DynoHandle, port: number): void
  up(dyno: D): void
  exited(dyno: D, outcome: DynoOutcome): void
}

/** The $PORT allocator, as a slot and the boot watch see it (ports.ts). */
export interface PortPool {
  readonly host: string
  allocate(): Promise<number>
  release(port: number): void
}
