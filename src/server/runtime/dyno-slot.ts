// One dyno: its phase, the legal moves between phases, its process handle, $PORT, timers and exit.
// The manager makes one slot per dyno record and asks it to start and stop; the slot reports up
// (`DynoEvents`) when its process runs, is up and has exited, and the policies take it from there
// (boot watch, restart back-off, time to live, one-offs' end).
//
// The phases, and the record state (DESIGN.md: `starting` -> `up` -> `crashed` / `down`) each goes with:
//
//   phase      record state                          moves to
//   idle       down, crashed, or just made           starting (start), backoff (a crash to wait on)
//   starting   starting (spawning, or booting)       up (web: accepts on $PORT; others: spawned),
//                                                    stopping (stop), idle (exited or failed to spawn)
//   up         up                                    stopping (stop), idle (exited on its own)
//   stopping   starting if it comes back             idle (exited)
//              (restart, release, stop, R15), else unchanged until the exit
//   backoff    crashed, waiting on restart-policy    idle (the wait is over, or a release/restart cancels it)
//
// Any other move is a programming error and throws (`IllegalTransition`). The exit decides the record:
// a one-off ends (`down`/`crashed`, one-offs.ts); a formation dyno stopped for a restart shows
// `starting`, one stopped for good `down`; one that ended on its own, failed to start or failed its
// boot is `crashed`, and the restart policy puts it in `backoff`.
import {constants as osConstants} from 'node:os'

import type {DynoRecord, ReleaseRecord, Store} from '../store/index.js'
import type {AttachTicket} from './attached.js'
import type {Backend, DynoExit, DynoHandle} from './backend.js'
import type {DynoEvents, DynoTimer, LogInputSink, ManagedDyno, Phase, PlatformEvent, PortPool, StopReason} from './contracts.js'

export const TRANSITIONS: Readonly<Record<Phase, readonly Phase[]>> = Object.freeze({
  idle: ['starting', 'backoff'],
  starting: ['up', 'stopping', 'idle'],
  up: ['stopping', 'idle'],
  stopping: ['idle'],
  backoff: ['idle'],
})

/** A formation dyno stopped for these reasons comes straight back. */
export const RESTARTING: ReadonlySet<StopReason> = new Set(['restart', 'release', 'stop', 'memory'])

export class IllegalTransition extends Error {
  constructor(readonly dyno: string, readonly from: Phase, readonly to: Phase) {
    super(`dyno ${dyno}: no transition from ${from} to ${to}`)
    this.name = 'IllegalTransition'
  }
}

/** The shell's convention: 128 + the signal's number for a process ended by a signal. */
export function exitStatus(exit: DynoExit): number {
  if (exit.code !== null) return exit.code
  const number = exit.signal === null ? undefined : (osConstants.signals as Record<string, number>)[exit.signal]
  return number === undefined ? 1 : 128 + number
}

/** What a slot needs from the manager: the store, the backend, $PORTs, the log, and where to report. */
export interface SlotServices {
  store: Store
  backend: Backend
  ports: PortPool
  logs: LogInputSink
  event: PlatformEvent
  events: DynoEvents<DynoSlot>
  onError(error: unknown): void
  /** SIGTERM to SIGKILL for the app's dynos. */
  graceFor(appId: string): number
  isClosing(): boolean
  /** Awaited before a web formation dyno gets SIGTERM (the router drains it); undefined: nothing to wait for. */
  beforeStop(appId: string, dynoName: string): Promise<unknown> | undefined
  /** A start in flight, for close() to wait on. */
  track(start: Promise<void>): void
}

type StateExtra = Partial<Pick<DynoRecord, 'release_id' | 'command' | 'backend_record' | 'exit_status' | 'ended_at'>>

export class DynoSlot implements ManagedDyno {
  readonly dynoId: string
  readonly appId: string
  readonly name: string
  readonly type: string
  readonly oneOff: boolean
  handle: DynoHandle | undefined
  port: number | undefined
  host: string | undefined
  releaseId: string | undefined
  command: string | undefined
  memoryBytes: number | undefined
  restarts = 0
  /** An attached one-off's session. */
  attach: AttachTicket | undefined
  /** Resolved when the current process has exited. */
  exited: Promise<void> | undefined
  private current: Phase = 'idle'
  private stopReason: StopReason | undefined
  /** Stop asked while the process was still being spawned. */
  private pendingStop: StopReason | undefined
  /** A start failure or boot timeout: the exit is a crash whatever its status. */
  private failed = false
  private onExited: (() => void) | undefined
  private readonly timers = new Map<DynoTimer | 'restart', NodeJS.Timeout>()

  constructor(record: Pick<DynoRecord, 'id' | 'app_id' | 'name' | 'type' | 'one_off'>, private readonly services: SlotServices) {
    this.dynoId = record.id
    this.appId = record.app_id
    this.name = record.name
    this.type = record.type
    this.oneOff = record.one_off
  }

  get phase(): Phase {
    return this.current
  }

  get active(): boolean {
    return this.handle !== undefined || this.current === 'starting'
  }

  /** Moves to `next`, which the table must allow from the current phase. */
  to(next: Phase): void {
    if (!TRANSITIONS[this.current].includes(next)) throw new IllegalTransition(this.name, this.current, next)
    this.current = next
  }

  arm(timer: DynoTimer | 'restart', ms: number, fire: () => void): void {
    this.disarm(timer)
    const handle = setTimeout(() => {
      this.timers.delete(timer)
      fire()
    }, ms)
    handle.unref()
    this.timers.set(timer, handle)
  }

  disarm(timer: DynoTimer | 'restart'): void {
    clearTimeout(this.timers.get(timer))
    this.timers.delete(timer)
  }

  /** Every timer, as the slot is dropped. */
  disarmAll(): void {
    for (const timer of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
  }

  backOff(ms: number, due: () => void): void {
    this.to('backoff')
    this.arm('restart', ms, () => {
      this.to('idle')
      due()
    })
  }

  cancelBackoff(): void {
    if (this.current !== 'backoff') return
    this.disarm('restart')
    this.to('idle')
  }

  setState(state: DynoRecord['state'], extra: StateExtra = {}): void {
    const {store} = this.services
    try {
      const before = store.dynos.get(this.appId, this.dynoId)
      if (!before) return
      // Nothing would change (a one-off's record is written starting, with its release and command,
      // just before its start): no write, and no fsync on the way to its spawn.
      if (before.state === state && Object.entries(extra).every(([key, value]) => before[key as keyof StateExtra] === value)) return
      store.dynos.update(this.appId, this.dynoId, {state, ...extra})
      if (before.state !== state) this.services.event(this.appId, this.name, `State changed from ${before.state} to ${state}`)
    } catch (error) {
      // The app may have been deleted meanwhile: its records are gone, and that is fine.
      this.services.onError(error)
    }
  }

  start(release: ReleaseRecord, command: string, extraEnv: Record<string, string>): void {
    if (this.services.isClosing() || this.current !== 'idle') return
    this.to('starting')
    this.failed = false
    this.releaseId = release.id
    this.command = command
    this.services.events.starting(this, release)
    this.exited = new Promise<void>((resolve) => (this.onExited = resolve))
    this.setState('starting', {release_id: release.id, command, exit_status: null, ended_at: null})
    this.services.event(this.appId, this.name, `Starting process with command \`${command}\``)
    this.services.track(this.spawn(release, command, extraEnv).catch((error: unknown) => this.services.onError(error)))
  }

  private async spawn(release: ReleaseRecord, command: string, extraEnv: Record<string, string>): Promise<void> {
    const {store, ports} = this.services
    const app = store.apps.get(this.appId)
    const config = store.config.get(this.appId, release.config_id) ?? {}
    let port: number | undefined
    let handle: DynoHandle
    try {
      if (!app || !release.code_dir) throw new Error('the release has no code')
      port = await ports.allocate()
      handle = await this.services.backend.start({
        appId: this.appId,
        appName: app.name,
        dynoName: this.name,
        type: this.type,
        command,
        cwd: release.code_dir,
        env: {...config, ...extraEnv},
        port,
        releaseVersion: release.version,
        size: store.dynos.get(this.appId, this.dynoId)?.size,
        ...(this.attach ? {stdio: {tty: this.attach.tty}} : {}),
      })
    } catch (error) {
      this.attach?.fail()
      if (port !== undefined) ports.release(port)
      this.services.event(this.appId, this.name, `Error starting process: ${(error as Error).message}`)
      this.failed = true
      this.afterExit(127)
      return
    }
    this.handle = handle
    this.port = port
    this.setState('starting', {backend_record: JSON.stringify(handle.describe().record)})
    const {logs} = this.services
    if (handle.onOutputLines && logs.writeLines) handle.onOutputLines((_stream, lines) => logs.writeLines?.(this.appId, {source: 'app', dyno: this.name, lines}))
    else handle.onOutput((_stream, line) => logs.write(this.appId, {source: 'app', dyno: this.name, message: line}))
    this.attach?.bind(handle)
    void handle.exited.then((exit) => this.onExit(handle, exit))
    if (this.pendingStop !== undefined || this.services.isClosing()) {
      const reason = this.pendingStop ?? 'shutdown'
      this.pendingStop = undefined
      void this.stop(reason)
      return
    }
    this.services.events.spawned(this, handle, port)
  }

  markUp(): void {
    if (this.current !== 'starting') return
    this.to('up')
    this.services.events.up(this)
    this.setState('up')
  }

  failBoot(handle: DynoHandle): void {
    this.failed = true
    void handle.stop({signal: 'SIGKILL', graceMs: 0})
  }

  async stop(reason: StopReason): Promise<void> {
    if (this.current === 'starting' && !this.handle) {
      this.pendingStop ??= reason
      await this.exited
      return
    }
    const handle = this.handle
    if (!handle) return
    if (this.current === 'stopping') {
      await this.exited
      return
    }
    this.to('stopping')
    this.stopReason = reason
    const {event} = this.services
    if (!this.oneOff && RESTARTING.has(reason)) {
      // As on Heroku: a restarting dyno shows `starting` from the moment it is told to stop.
      event(this.appId, this.name, 'Restarting')
      this.setState('starting')
    }
    // Taken now: once this process has exited, a restart gives the slot a new `exited` at once.
    const exited = this.exited
    this.disarm('boot')
    this.disarm('ttl')
    const drained = this.type === 'web' && !this.oneOff ? this.services.beforeStop(this.appId, this.name) : undefined
    if (drained) await drained
    const grace = this.services.graceFor(this.appId)
    event(this.appId, this.name, 'Stopping all processes with SIGTERM')
    const overdue = setTimeout(() => {
      if (this.handle !== handle) return
      event(this.appId, this.name, `Error R12 (Exit timeout) -> At least one process failed to exit within ${Math.round(grace / 1000)} seconds of SIGTERM`)
      event(this.appId, this.name, 'Stopping remaining processes with SIGKILL')
    }, grace)
    overdue.unref()
    try {
      await handle.stop({signal: 'SIGTERM', graceMs: grace})
    } finally {
      clearTimeout(overdue)
    }
    await exited
  }

  private onExit(handle: DynoHandle, exit: DynoExit): void {
    if (this.handle !== handle) return
    this.handle = undefined
    if (this.port !== undefined) this.services.ports.release(this.port)
    this.port = undefined
    this.host = undefined
    this.memoryBytes = undefined
    this.disarm('boot')
    this.disarm('ttl')
    const status = exitStatus(exit)
    // The kernel's kill at the cgroup's hard limit (MEMORY_KILL_FACTOR x the quota), as Heroku logs
    // it; a dyno stopped on purpose (the memory watch's R15 included) has said why already.
    if (exit.outOfMemory && this.stopReason === undefined) this.services.event(this.appId, this.name, 'Error R15 (Memory quota vastly exceeded)')
    this.services.event(this.appId, this.name, `Process exited with status ${status}`)
    this.afterExit(status)
  }

  private afterExit(status: number): void {
    const reason = this.stopReason
    this.stopReason = undefined
    this.pendingStop = undefined
    this.to('idle')
    const done = this.onExited
    this.onExited = undefined
    const crashed = !this.oneOff && (reason === undefined || this.failed)
    try {
      if (!this.oneOff && !crashed && reason !== undefined) {
        this.setState(RESTARTING.has(reason) ? 'starting' : 'down', {backend_record: null})
        if (reason === 'memory') this.restarts++
      } else if (crashed) {
        this.setState('crashed', {backend_record: null})
      }
      this.services.events.exited(this, {status, reason, crashed})
    } finally {
      done?.()
    }
  }
}
