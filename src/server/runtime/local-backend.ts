// Dynos as local processes. Each dyno is `bash -c COMMAND` (`sh -c` without bash) in its own
// process group (spawned detached, so setsid makes it a session and group leader), and every
// signal goes to the whole group: children of children are stopped with their dyno.
//
// Output is read line by line and handed synchronously to the listeners: the pipes are always
// drained, so a dyno never blocks on a full pipe whatever the log router does with the lines.
//
// Limits, by design: a process that calls setsid() itself leaves the group and is not stopped
// with its dyno (cgroups would be needed for that). Identity checks and group scans use /proc,
// so orphan recovery (adoptOrKill) only works on Linux.

import {spawn as nodeSpawn, type ChildProcess, type SpawnOptions} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {accessSync, constants as fsConstants} from 'node:fs'
import {delimiter, join} from 'node:path'
import type {Readable} from 'node:stream'
import {StringDecoder} from 'node:string_decoder'

import {RuntimeError} from '../../lib/errors.js'
import type {
  AdoptOutcome,
  Backend,
  BackendRecord,
  DynoDescription,
  DynoExit,
  DynoHandle,
  DynoIo,
  DynoSpec,
  OutputListener,
  OutputStream,
  StopOptions,
  UnrecordedDyno,
} from './backend.js'
import {
  DEFAULT_PROC_ROOT,
  environHas,
  processGroupMembers,
  processRssBytes,
  isDead,
  listProcessGroup,
  liveProcessGroups,
  procAvailable,
  readBootId,
  readProcStat,
} from './process-tree.js'
import {spawnAttached} from './attached.js'
import {DYNO_ID_ENV, findTagged, PLANE_ENV, stopTagged} from './recovery.js'
import {LogTap} from './log-tap.js'

/**
 * A line longer than this many characters is cut into pieces here, a bound on the memory one
 * unfinished line may hold. Shorter long lines go to the log router whole, which cuts them into
 * pieces of at most 10,000 bytes marked `[continued] ` (as Heroku's router cuts at 10 KB).
 */
export const DEFAULT_MAX_LINE_LENGTH = 64 * 1024
/** Lines kept for a handle that has no output listener yet. */
export const DEFAULT_MAX_PENDING_LINES = 1000
/** When a dyno's main process exits by itself, what it left running gets this long after SIGTERM. */
export const DEFAULT_ORPHAN_GRACE_MS = 2000
export const DEFAULT_POLL_INTERVAL_MS = 50
/** After the group is gone, how long to wait for the pipes to close (a setsid escapee may hold them). */
export const DEFAULT_DRAIN_TIMEOUT_MS = 1000
/** An attached dyno's output waits for its (maybe slow) client: the attach session resumes it when the client goes. */
export const ATTACHED_DRAIN_TIMEOUT_MS = 10 * 60 * 1000
/** Taken from the control plane's environment so commands find their tools; config vars override them. */
export const BASE_ENV_NAMES = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER', 'LOGNAME'] as const

export {DYNO_ID_ENV, PLANE_ENV} from './recovery.js'

export type SpawnFunction = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess

/**
 * Splits a byte stream into lines: UTF-8 decoded across chunk boundaries (invalid bytes become
 * U+FFFD), `\n` or `\r\n` ends a line, a line longer than `maxLength` is emitted in pieces rather
 * than buffered without bound, and `end()` emits a last line that had no newline.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8')
  private partial = ''

  constructor(
    private readonly emit: (line: string) => void,
    private readonly maxLength: number = DEFAULT_MAX_LINE_LENGTH,
  ) {
    if (!(maxLength >= 2)) throw new RangeError('maxLength must be at least 2')
  }

  push(chunk: Buffer): void {
    this.take(this.decoder.write(chunk))
  }

  end(): void {
    this.take(this.decoder.end())
    if (this.partial !== '') {
      const line = this.partial
      this.partial = ''
      this.emit(line)
    }
  }

  private take(text: string): void {
    if (text === '') return
    let buffer = this.partial + text
    let start = 0
    for (;;) {
      const newline = buffer.indexOf('\n', start)
      if (newline < 0) break
      let line = buffer.slice(start, newline)
      if (line.endsWith('\r')) line = line.slice(0, -1)
      this.emitBounded(line)
      start = newline + 1
    }
    buffer = buffer.slice(start)
    while (buffer.length > this.maxLength) {
      const cut = this.cutAt(buffer)
      this.emit(buffer.slice(0, cut))
      buffer = buffer.slice(cut)
    }
    this.partial = buffer
  }

  private emitBounded(line: string): void {
    while (line.length > this.maxLength) {
      const cut = this.cutAt(line)
      this.emit(line.slice(0, cut))
      line = line.slice(cut)
    }
    this.emit(line)
  }

  /** Never between the two halves of a surrogate pair. */
  private cutAt(text: string): number {
    const code = text.charCodeAt(this.maxLength - 1)
    return code >= 0xd800 && code <= 0xdbff ? this.maxLength - 1 : this.maxLength
  }
}

/** bash if there is one on PATH (or in /bin, /usr/bin), else sh. */
export function findShell(pathEnv: string | undefined = process.env.PATH, extraDirs: readonly string[] = ['/bin', '/usr/bin']): string {
  const dirs = [...(pathEnv ?? '').split(delimiter).filter(Boolean), ...extraDirs]
  for (const dir of dirs) {
    const candidate = join(dir, 'bash')
    try {
      accessSync(candidate, fsConstants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return '/bin/sh'
}

/**
 * The environment a dyno sees: base variables, then config vars, then what the platform sets.
 * With `plane` (the data directory's identity), the tags that find the dyno after a crash.
 */
export function dynoEnvironment(spec: DynoSpec, baseEnv: Record<string, string>, dynoId: string, plane?: string): Record<string, string> {
  const env: Record<string, string> = {...baseEnv, ...spec.env, DYNO: spec.dynoName, PS: spec.dynoName, [DYNO_ID_ENV]: dynoId}
  // Set after the config vars, so that an app cannot claim another control plane's tag.
  if (plane !== undefined) env[PLANE_ENV] = plane
  else delete env[PLANE_ENV]
  if (spec.port !== undefined) env.PORT = String(spec.port)
  return env
}

function defaultBaseEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const name of BASE_ENV_NAMES) {
    const value = process.env[name]
    if (value !== undefined) env[name] = value
  }
  return env
}

/** The record the store keeps for a local dyno; `pid` and `startTime` (ticks since boot) name it exactly. */
export interface LocalDynoRecord extends BackendRecord {
  backend: 'local'
  pid: number
  pgid: number
  /** Field 22 of /proc/<pid>/stat at start; absent without /proc. */
  startTime?: number
  bootId?: string
  appId: string
  dynoName: string
}

export function isLocalDynoRecord(record: BackendRecord): record is LocalDynoRecord {
  const candidate = record as Partial<LocalDynoRecord>
  return (
    candidate.backend === 'local' &&
    typeof candidate.id === 'string' &&
    Number.isInteger(candidate.pid) &&
    (candidate.pid ?? 0) > 1 &&
    Number.isInteger(candidate.pgid) &&
    (candidate.pgid ?? 0) > 1
  )
}

/** Sends `signal` to process group `pgid`; false when the group no longer exists. */
function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal)
    return true
  } catch {
    return false
  }
}

/**
 * Watches process groups until they have no live member. One /proc scan per tick serves every
 * watched group, so stopping fifty dynos does not mean fifty scans.
 */
class GroupWatcher {
  private readonly waiters = new Map<number, Array<() => void>>()
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly procRoot: string,
    private readonly intervalMs: number,
  ) {}

  untilGone(pgid: number): Promise<void> {
    return new Promise((resolve) => {
      const list = this.waiters.get(pgid) ?? []
      list.push(resolve)
      this.waiters.set(pgid, list)
      this.schedule(0)
    })
  }

  private schedule(delay: number): void {
    if (this.timer !== undefined || this.waiters.size === 0) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.check()
      this.schedule(this.intervalMs)
    }, delay)
  }

  private check(): void {
    let live: Set<number> | undefined | null = null // null: not scanned yet this tick
    for (const [pgid, resolvers] of this.waiters) {
      // kill(-pgid, 0) failing means no member at all, not even a zombie: no scan needed.
      let gone = !signalGroupExists(pgid)
      if (!gone) {
        if (live === null) live = liveProcessGroups(this.procRoot)
        // Without /proc, zombies keep the group "alive" until they are reaped.
        gone = live !== undefined && !live.has(pgid)
      }
      if (gone) {
        this.waiters.delete(pgid)
        for (const resolve of resolvers) resolve()
      }
    }
  }
}

function signalGroupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** One /proc scan shared by every memory sample taken within `maxAgeMs` of it. */
class GroupSnapshot {
  private takenAt = -Infinity
  private groups: Map<number, number[]> | undefined

  constructor(
    private readonly procRoot: string,
    private readonly maxAgeMs = 1000,
  ) {}

  members(pgid: number): number[] | undefined {
    const now = Date.now()
    if (now - this.takenAt > this.maxAgeMs) {
      this.groups = processGroupMembers(this.procRoot)
      this.takenAt = now
    }
    return this.groups?.get(pgid)
  }
}

interface HandleOptions {
  snapshot: GroupSnapshot
  maxLineLength: number
  maxPendingLines: number
  orphanGraceMs: number
  drainTimeoutMs: number
  procRoot: string
  watcher: GroupWatcher
}

class LocalDynoHandle implements DynoHandle {
  readonly id: string
  readonly exited: Promise<DynoExit>
  readonly startedAt = new Date()
  readonly pid: number
  private readonly record: LocalDynoRecord
  private readonly listeners = new Set<OutputListener>()
  private pending: Array<[OutputStream, string]> | undefined = []
  private stopRequested = false
  private leaderExited = false
  private finished = false
  private killTimer: NodeJS.Timeout | undefined
  private killAt = Infinity
  private tap: LogTap<OutputStream> | undefined

  constructor(
    private readonly child: ChildProcess,
    spec: DynoSpec,
    id: string,
    private readonly options: HandleOptions,
    readonly io?: DynoIo,
  ) {
    this.id = id
    // The caller only builds a handle for a child that has a pid.
    this.pid = child.pid as number
    const startTime = readProcStat(this.pid, options.procRoot)?.startTime
    const bootId = readBootId(options.procRoot)
    this.record = {
      backend: 'local',
      id,
      startedAt: this.startedAt.toISOString(),
      pid: this.pid,
      pgid: this.pid,
      ...(startTime === undefined ? {} : {startTime}),
      ...(bootId === undefined ? {} : {bootId}),
      appId: spec.appId,
      dynoName: spec.dynoName,
    }
    const drained = [this.readLines('stdout', child.stdout), this.readLines('stderr', child.stderr)]
    // Errors after a successful spawn (a failed kill) must not crash the control plane.
    child.on('error', () => {})
    this.exited = new Promise<DynoExit>((resolve) => {
      child.once('exit', (code, signal) => {
        this.leaderExited = true
        // Anything the main process left behind is part of a dyno that is over.
        if (!this.stopRequested) this.terminate('SIGTERM', this.options.orphanGraceMs)
        void this.finish({code, signal}, drained).then(resolve)
      })
    })
  }

  onOutput(listener: OutputListener): () => void {
    this.listeners.add(listener)
    const pending = this.pending
    this.pending = undefined
    if (pending !== undefined) for (const [stream, line] of pending) this.deliver(stream, line)
    return () => {
      this.listeners.delete(listener)
    }
  }

  async stop(options: StopOptions): Promise<void> {
    if (!this.finished) {
      this.stopRequested = true
      this.terminate(options.signal ?? 'SIGTERM', options.graceMs)
    }
    await this.exited
  }

  async memoryBytes(): Promise<number | undefined> {
    if (this.finished) return undefined
    const members = this.options.snapshot.members(this.pid)
    if (members === undefined || members.length === 0) return undefined
    let total = 0
    for (const pid of members) total += processRssBytes(pid, this.options.procRoot) ?? 0
    return total
  }

  describe(): DynoDescription {
    return {pid: this.pid, startedAt: this.startedAt, record: {...this.record}}
  }

  private deliver(stream: OutputStream, line: string): void {
    if (this.pending !== undefined) {
      this.pending.push([stream, line])
      if (this.pending.length > this.options.maxPendingLines) this.pending.shift()
      return
    }
    for (const listener of this.listeners) {
      try {
        listener(stream, line)
      } catch {
        // A failing listener must not stop the others or the reading of the pipe.
      }
    }
  }

  private readLines(stream: OutputStream, readable: Readable | null): Promise<void> {
    if (readable === null) return Promise.resolve()
    // An attached dyno's client reads the same bytes; its log copy must not hold the pipe back.
    const tap = this.io ? this.logTap() : undefined
    const splitter = tap ? undefined : new LineSplitter((line) => this.deliver(stream, line), this.options.maxLineLength)
    return new Promise((resolve) => {
      readable.on('data', (chunk: Buffer) => (tap ? tap.push(stream, chunk) : splitter?.push(chunk)))
      readable.once('error', () => {})
      readable.once('close', () => {
        if (tap) return void tap.end(stream).then(() => resolve())
        splitter?.end()
        resolve()
      })
    })
  }

  /** The attached dyno's one log tap, shared by stdout and stderr so that their order is kept. */
  private logTap(): LogTap<OutputStream> {
    this.tap ??= new LogTap<OutputStream>(
      (stream) => new LineSplitter((line) => this.deliver(stream, line), this.options.maxLineLength),
      (stream, line) => this.deliver(stream, line),
    )
    return this.tap
  }

  /** Signals the group now and schedules SIGKILL at the earliest deadline asked for so far. */
  private terminate(signal: NodeJS.Signals, graceMs: number): void {
    if (this.finished) return
    // The group may already be empty (the main process exited alone): then the id could in
    // principle belong to someone else, so signal only while members remain.
    if (this.hasMembers()) signalGroup(this.pid, signal)
    const killAt = Date.now() + graceMs
    if (killAt < this.killAt) {
      this.killAt = killAt
      clearTimeout(this.killTimer)
      this.killTimer = setTimeout(() => {
        if (!this.finished && this.hasMembers()) signalGroup(this.pid, 'SIGKILL')
      }, Math.max(0, graceMs))
    }
  }

  private hasMembers(): boolean {
    // While the leader has not been reaped, the group exists and its id is ours: no scan needed.
    if (!this.leaderExited) return true
    const members = listProcessGroup(this.pid, this.options.procRoot)
    return members === undefined ? signalGroupExists(this.pid) : members.length > 0
  }

  private async finish(exit: {code: number | null; signal: NodeJS.Signals | null}, drained: Promise<void>[]): Promise<DynoExit> {
    await this.options.watcher.untilGone(this.pid)
    this.finished = true
    clearTimeout(this.killTimer)
    // Everything that wrote to the pipes is gone, so they close at once, unless a process that
    // left the group still holds them: do not wait for that one.
    let drainTimer: NodeJS.Timeout | undefined
    const timedOut = new Promise<void>((resolve) => {
      drainTimer = setTimeout(resolve, this.options.drainTimeoutMs)
    })
    await Promise.race([Promise.all(drained), timedOut])
    clearTimeout(drainTimer)
    this.child.stdout?.destroy()
    this.child.stderr?.destroy()
    return {code: exit.code, signal: exit.signal}
  }
}

export interface LocalBackendOptions {
  spawn?: SpawnFunction
  /** Default: findShell(). */
  shell?: string
  /** Variables every dyno gets before its config vars; default: BASE_ENV_NAMES from process.env. */
  baseEnv?: Record<string, string>
  maxLineLength?: number
  maxPendingLines?: number
  orphanGraceMs?: number
  pollIntervalMs?: number
  drainTimeoutMs?: number
  /** For tests of the /proc readers; default /proc. */
  procRoot?: string
  /**
   * The identity of the control plane's data directory (recovery.ts): put in every dyno's
   * environment so that `stopUnrecorded` finds them after a crash. Without it, nothing is tagged.
   */
  plane?: string
}

export class LocalBackend implements Backend {
  readonly name = 'local'
  readonly shell: string
  private readonly spawn: SpawnFunction
  private readonly baseEnv: Record<string, string>
  private readonly handleOptions: HandleOptions
  private readonly procRoot: string
  private readonly watcher: GroupWatcher
  private readonly live = new Set<LocalDynoHandle>()
  private readonly plane: string | undefined

  constructor(options: LocalBackendOptions = {}) {
    this.spawn = options.spawn ?? nodeSpawn
    this.shell = options.shell ?? findShell()
    this.baseEnv = options.baseEnv ?? defaultBaseEnv()
    this.procRoot = options.procRoot ?? DEFAULT_PROC_ROOT
    this.plane = options.plane
    this.watcher = new GroupWatcher(this.procRoot, options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS)
    this.handleOptions = {
      maxLineLength: options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH,
      maxPendingLines: options.maxPendingLines ?? DEFAULT_MAX_PENDING_LINES,
      orphanGraceMs: options.orphanGraceMs ?? DEFAULT_ORPHAN_GRACE_MS,
      drainTimeoutMs: options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS,
      procRoot: this.procRoot,
      watcher: this.watcher,
      snapshot: new GroupSnapshot(this.procRoot),
    }
  }

  async start(spec: DynoSpec): Promise<DynoHandle> {
    const id = randomUUID()
    const env = dynoEnvironment(spec, this.baseEnv, id, this.plane)
    // An attached one-off (attached.ts) gives a ChildProcess or a pty dressed as one: the handle
    // uses only pid, stdout, stderr and the 'exit'/'error' events of it.
    const attached = spec.stdio ? spawnAttached(this.shell, spec, env) : undefined
    const child = attached ? (attached.child as ChildProcess) : this.spawn(this.shell, ['-c', spec.command], {cwd: spec.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe']})
    if (child.pid === undefined) {
      const error = await new Promise<Error>((resolve) => child.once('error', resolve))
      child.stdout?.destroy()
      child.stderr?.destroy()
      throw new RuntimeError(`could not start ${spec.dynoName}: ${error.message}`, {cause: error})
    }
    const options = attached ? {...this.handleOptions, drainTimeoutMs: Math.max(this.handleOptions.drainTimeoutMs, ATTACHED_DRAIN_TIMEOUT_MS)} : this.handleOptions
    const handle = new LocalDynoHandle(child, spec, id, options, attached?.io)
    this.live.add(handle)
    void handle.exited.then(() => this.live.delete(handle))
    return handle
  }

  /** The dynos started by this backend that are not over yet. */
  running(): DynoHandle[] {
    return [...this.live]
  }

  /** Stops every dyno this backend started (a clean control-plane stop). */
  async stopAll(options: StopOptions): Promise<void> {
    await Promise.all([...this.live].map((handle) => handle.stop(options)))
  }

  /**
   * A local dyno cannot be taken over: its output pipes died with the control plane that read
   * them, and its exit status goes to a parent that is gone. So a verified orphan group is
   * stopped (SIGTERM, SIGKILL after the grace) and the reconciler starts a fresh dyno. Nothing
   * is signalled unless it is provably the recorded dyno: the same pid with the same start time
   * (and boot), or, when that leader is gone, group members carrying the dyno's id in their
   * environment.
   */
  async adoptOrKill(record: BackendRecord, options: {graceMs?: number} = {}): Promise<AdoptOutcome> {
    if (!isLocalDynoRecord(record)) return {outcome: 'gone', detail: 'not a local dyno record; left alone'}
    if (!procAvailable(this.procRoot)) return {outcome: 'gone', detail: 'no /proc to verify the process; left alone'}
    const bootId = readBootId(this.procRoot)
    if (record.bootId !== undefined && bootId !== undefined && record.bootId !== bootId) {
      return {outcome: 'gone', detail: 'recorded before a reboot'}
    }
    const leader = readProcStat(record.pid, this.procRoot)
    if (leader !== undefined && !isDead(leader)) {
      if (record.startTime === undefined || leader.startTime !== record.startTime) {
        return {outcome: 'gone', detail: `pid ${record.pid} now belongs to another process; left alone`}
      }
    } else {
      const members = listProcessGroup(record.pgid, this.procRoot) ?? []
      const ours = members.filter((member) => environHas(member.pid, `${DYNO_ID_ENV}=${record.id}`, this.procRoot))
      if (ours.length === 0) {
        return {outcome: 'gone', detail: members.length === 0 ? 'no process left' : `group ${record.pgid} belongs to other processes; left alone`}
      }
    }
    const count = listProcessGroup(record.pgid, this.procRoot)?.length ?? 0
    await this.killGroup(record.pgid, options.graceMs ?? DEFAULT_ORPHAN_GRACE_MS)
    return {outcome: 'killed', detail: `stopped ${count} orphaned process${count === 1 ? '' : 'es'} of ${record.dynoName}`}
  }

  /**
   * Stops every process tagged with this control plane's identity that none of its own running
   * dynos explains: what a previous run started but had not recorded when it died. Without a
   * plane identity or /proc, finds nothing.
   */
  async stopUnrecorded(options: {graceMs?: number} = {}): Promise<UnrecordedDyno[]> {
    if (this.plane === undefined) return []
    const explained = new Set([...this.live].map((handle) => handle.id))
    const found = findTagged(this.plane, explained, this.procRoot)
    if (found.length === 0) return []
    return stopTagged(found, {graceMs: options.graceMs ?? DEFAULT_ORPHAN_GRACE_MS, procRoot: this.procRoot})
  }

  private async killGroup(pgid: number, graceMs: number): Promise<void> {
    signalGroup(pgid, 'SIGTERM')
    const gone = this.watcher.untilGone(pgid)
    let timer: NodeJS.Timeout | undefined
    const graceOver = new Promise<'grace'>((resolve) => {
      timer = setTimeout(() => resolve('grace'), graceMs)
    })
    const first = await Promise.race([gone.then(() => 'gone' as const), graceOver])
    clearTimeout(timer)
    if (first === 'grace') {
      if ((listProcessGroup(pgid, this.procRoot)?.length ?? 0) > 0) signalGroup(pgid, 'SIGKILL')
      await gone
    }
  }
}
