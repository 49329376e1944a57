// Every policy, wired to the slots' events in one place, so that a new backend gets all of them:
// the manager hands in what they need (`PolicyHost`) and gets back the events its slots report to
// and the policies it drives itself (restarts, release phases, memory rounds, recovery).
import {dynoSizeSpec} from '../../domain/catalog.js'
import type {DynoRecord, Store} from '../../store/index.js'
import type {Backend} from '../backend.js'
import type {DynoEvents, ManagedDyno, OneOffSpec, PlatformEvent, StopReason} from '../contracts.js'
import {BootWatch} from './boot-watch.js'
import {MemoryWatch} from './memory-watch.js'
import {recover} from './recovery.js'
import {ReleasePhase} from './release-phase.js'
import {RestartBackoff} from './restart-policy.js'
import {RollingRestart} from './rolling-restart.js'
import {TimeToLive} from './time-to-live.js'

export interface PolicyHost<D extends ManagedDyno> {
  store: Store
  backend: Backend
  now(): number
  isClosing(): boolean
  event: PlatformEvent
  onError(error: unknown): void
  graceFor(appId: string): number
  stopGraceMs: number
  bootTimeoutMs: number
  /** The loopback address dynos listen on. */
  loopback: string
  isAccepting(port: number, host: string): Promise<boolean>
  /** Every dyno the manager runs. */
  dynos(): Iterable<ManagedDyno>
  /** Whether the manager still runs this very dyno (not dropped, not replaced). */
  owns(dyno: ManagedDyno): boolean
  reconcile(appId: string): void
  createOneOff(appId: string, spec: OneOffSpec): Promise<DynoRecord>
  waitForOneOff(appId: string, dynoId: string): Promise<DynoRecord | undefined>
  /** A one-off's process is over: its record ends (one-offs.ts). */
  finishOneOff(dyno: D, status: number, reason: StopReason | undefined): void
  releaseChanged(appId: string): Promise<void>
}

export interface Policies<D extends ManagedDyno> {
  events: DynoEvents<D>
  restarts: RestartBackoff
  rolling: RollingRestart
  memory: MemoryWatch
  releasePhase: ReleasePhase
  /** Run once, before anything starts. */
  recover(): Promise<void>
}

export function createPolicies<D extends ManagedDyno>(host: PolicyHost<D>): Policies<D> {
  const {store, now, isClosing, event, onError} = host
  const restarts = new RestartBackoff({now, isClosing, reconcile: host.reconcile})
  const bootWatch = new BootWatch({bootTimeoutMs: host.bootTimeoutMs, now, loopback: host.loopback, isAccepting: host.isAccepting, event})
  const timeToLive = new TimeToLive({timeToLive: (appId, dynoId) => store.dynos.get(appId, dynoId)?.time_to_live, event})
  const events: DynoEvents<D> = {
    starting: (dyno, release) => restarts.starting(dyno, release.version),
    spawned: (dyno, handle, port) => {
      timeToLive.spawned(dyno)
      if (dyno.type === 'web' && !dyno.oneOff) bootWatch.watch(dyno, handle, port)
      else dyno.markUp()
    },
    up: (dyno) => restarts.up(dyno),
    exited: (dyno, {status, reason, crashed}) => {
      if (dyno.oneOff) return host.finishOneOff(dyno, status, reason)
      if (crashed) restarts.crashed(dyno)
      if (!isClosing()) host.reconcile(dyno.appId)
    },
  }
  const memory = new MemoryWatch({
    dynos: host.dynos,
    quotaBytes: (appId, dynoId) => {
      const record = store.dynos.get(appId, dynoId)
      return record ? dynoSizeSpec(record.size).size.memory * 1024 ** 3 : undefined
    },
    isClosing,
    event,
    onError,
  })
  return {
    events,
    restarts,
    rolling: new RollingRestart({store, bootTimeoutMs: host.bootTimeoutMs, isClosing, owns: host.owns, onError}),
    memory,
    releasePhase: new ReleasePhase({
      store,
      isClosing,
      createOneOff: host.createOneOff,
      waitForOneOff: host.waitForOneOff,
      releaseChanged: host.releaseChanged,
      event,
      onError,
    }),
    recover: () => recover({store, backend: host.backend, now, graceFor: host.graceFor, stopGraceMs: host.stopGraceMs, event, onError}),
  }
}
