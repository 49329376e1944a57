// The runtime seam. The formation and dyno endpoints call the runtime only through `Runtime`;
// nothing above it knows how a dyno runs (no pids, no child processes), so that a Kubernetes
// backend can sit behind it later.
//
// The real runtime is `DynoManager` (manager.ts) over a `Backend` (the local one runs child
// processes); `createLocalRuntime` is what `startServer` uses by default.
import type {Store} from '../store/index.js'
import type {LogInputSink} from './contracts.js'
import {openCgroups, type Cgroups} from './cgroups.js'
import {msFromEnv} from './env.js'
import {LocalBackend} from './local-backend.js'
import {DynoManager, type DynoManagerOptions} from './manager.js'
import type {Sandbox} from './sandbox.js'

export {DynoManager, type DynoManagerOptions} from './manager.js'
export type {BuildScript, BuildSession, BuildSpec, BuildStepExit, OutputStream} from './backend.js'
export type {
  BeforeStopHook,
  DynoStats,
  LogInputSink,
  OneOffSpec,
  RestartTarget,
  Runtime,
  WebDyno,
  WebDynoDirectory,
} from './contracts.js'

/**
 * The real runtime on the local machine: dynos are child processes of this control plane. `plane`
 * is the data directory's identity (plane-tag.ts): with it, every dyno is tagged, and a start
 * after a crash stops what the previous run left without a record.
 */
export function createLocalRuntime(
  store: Store,
  logs: LogInputSink,
  {plane, sandbox, ...options}: Partial<Omit<DynoManagerOptions, 'store' | 'logs' | 'backend'>> & {plane?: string; sandbox?: Sandbox} = {},
): DynoManager {
  const stopGraceMs = options.stopGraceMs ?? msFromEnv('TUG_STOP_GRACE_MS')
  const bootTimeoutMs = options.bootTimeoutMs ?? msFromEnv('TUG_BOOT_TIMEOUT_MS')
  const memoryIntervalMs = options.memoryIntervalMs ?? msFromEnv('TUG_MEMORY_INTERVAL_MS')
  const cgroups = plane === undefined ? undefined : dynoCgroups(plane)
  return new DynoManager({
    store,
    logs,
    backend: new LocalBackend({...(plane === undefined ? {} : {plane}), ...(sandbox === undefined ? {} : {sandbox}), ...(cgroups ? {cgroups} : {})}),
    ...options,
    ...(stopGraceMs === undefined ? {} : {stopGraceMs}),
    ...(bootTimeoutMs === undefined ? {} : {bootTimeoutMs}),
    ...(memoryIntervalMs === undefined ? {} : {memoryIntervalMs}),
    onError: options.onError ?? ((error) => process.emitWarning(`dyno manager: ${(error as Error).message}`)),
  })
}

/** This plane's dyno cgroups (cgroups.ts), or, said once at start, why dynos run without limits. */
function dynoCgroups(plane: string): Cgroups | undefined {
  const probe = openCgroups({plane})
  if (probe.ok) return probe.cgroups
  process.emitWarning(`dynos run without memory, CPU and process limits: ${probe.reason}; their memory is sampled from /proc`)
  return undefined
}
