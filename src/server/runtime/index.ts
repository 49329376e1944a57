// The runtime seam. The formation and dyno endpoints call the runtime only through `Runtime`;
// nothing above it knows how a dyno runs (no pids, no child processes), so that a Kubernetes
// backend can sit behind it later.
//
// The real runtime is `DynoManager` (manager.ts) over a `Backend` (the local one runs child
// processes); `createLocalRuntime` is what `startServer` uses by default.
import type {DynoRecord, Store} from '../store/index.js'
import {LocalBackend} from './local-backend.js'
import {DynoManager, type DynoManagerOptions, type DynoStats, type LogInputSink} from './manager.js'

export {
  DynoManager,
  type BeforeStopHook,
  type DynoManagerOptions,
  type DynoStats,
  type LogInputSink,
  type WebDyno,
  type WebDynoDirectory,
} from './manager.js'

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
  close(): Promise<void>
}

/**
 * The real runtime on the local machine: dynos are child processes of this control plane. `plane`
 * is the data directory's identity (recovery.ts): with it, every dyno is tagged, and a start
 * after a crash stops what the previous run left without a record.
 */
export function createLocalRuntime(
  store: Store,
  logs: LogInputSink,
  {plane, ...options}: Partial<Omit<DynoManagerOptions, 'store' | 'logs' | 'backend'>> & {plane?: string} = {},
): DynoManager {
  const fromEnv = (name: string): number | undefined => {
    const value = Number(process.env[name])
    return Number.isFinite(value) && value >= 0 && process.env[name] !== '' ? value : undefined
  }
  const stopGraceMs = options.stopGraceMs ?? fromEnv('TUG_STOP_GRACE_MS')
  const bootTimeoutMs = options.bootTimeoutMs ?? fromEnv('TUG_BOOT_TIMEOUT_MS')
  return new DynoManager({
    store,
    logs,
    backend: new LocalBackend(plane === undefined ? {} : {plane}),
    ...options,
    ...(stopGraceMs === undefined ? {} : {stopGraceMs}),
    ...(bootTimeoutMs === undefined ? {} : {bootTimeoutMs}),
    onError: options.onError ?? ((error) => process.emitWarning(`dyno manager: ${(error as Error).message}`)),
  })
}
