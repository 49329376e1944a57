// One local dyno: its process group, its output read in lines and handed synchronously to the
// listeners, each pipe read's lines in one batch (the pipes are always drained, so a dyno never
// blocks on a full pipe whatever the log router does with the lines), its stop (SIGTERM to the
// group, SIGKILL after the grace) and exit.
import type {ChildProcess} from 'node:child_process'
import type {Readable} from 'node:stream'

import {LineSplitter} from '../../shared/line-splitter.js'
import type {BackendRecord, DynoDescription, DynoExit, DynoHandle, DynoIo, DynoSpec, OutputLinesListener, OutputListener, OutputStream, StopOptions} from './backend.js'
import type {DynoCgroup} from './cgroups.js'
import {LogTap} from './log-tap.js'
import {signalDyno, type GroupSnapshot, type GroupWatcher} from './process-groups.js'
import {groupAlive, readBootId, readProcStat, rssBytesOf} from './process-tree.js'

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

export interface HandleOptions {
  snapshot: GroupSnapshot
  maxLineLength: number
  maxPendingLines: number
  orphanGraceMs: number
  drainTimeoutMs: number
  procRoot: string
  watcher: GroupWatcher
  /** The leader is a sandbox's outer bwrap: see signalDyno. */
  sparesLeader?: boolean
  /** Awaited once the dyno's processes are gone, before `exited` settles (a sandbox's unmount). */
  cleanup?: () => Promise<void>
  /** The dyno's cgroup (cgroups.ts): its memory figure and the kernel's OOM kills come from there. */
  cgroup?: DynoCgroup
}

export class LocalDynoHandle implements DynoHandle {
  readonly id: string
  readonly exited: Promise<DynoExit>
  readonly startedAt = new Date()
  readonly pid: number
  private readonly record: LocalDynoRecord
  private readonly listeners = new Set<OutputLinesListener>()
  /** Lines read before the first listener came (at most maxPendingLines, the newest). */
  private pending: Array<[OutputStream, string]> | undefined = []
  private stopRequested = false
  private leaderExited = false
  private finished = false
  private killTimer: NodeJS.Timeout | undefined
  private killAt = Infinity
  private tap: LogTap<OutputStream> | undefined
  /** Set by pauseOutput: the pipes are not read, and the drain timeout waits (see finish). */
  private outputPaused = false
  private resumedAt = 0

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
    let removed = false
    const remove = this.onOutputLines((stream, messages) => {
      for (const line of linesOf(messages)) {
        // Removed while a batch is being handed out: not one line more.
        if (removed) return
        try {
          listener(stream, line)
        } catch {
          // As for a batch listener: a line that fails does not stop the next ones.
        }
      }
    })
    return () => {
      removed = true
      remove()
    }
  }

  onOutputLines(listener: OutputLinesListener): () => void {
    this.listeners.add(listener)
    const pending = this.pending
    this.pending = undefined
    if (pending !== undefined) for (const [stream, line] of pending) this.deliver(stream, [line])
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
    if (this.options.cgroup) return this.options.cgroup.memoryBytes()
    const members = this.options.snapshot.members(this.pid)
    if (members === undefined || members.length === 0) return undefined
    return rssBytesOf(members, this.options.procRoot)
  }

  memoryNow(): number | undefined {
    return this.finished ? undefined : this.options.cgroup?.memoryBytes()
  }

  oomKills(): number | undefined {
    return this.leaderExited ? undefined : this.options.cgroup?.oomKills()
  }

  /**
   * Stops reading the output pipes: the processes block once the pipes fill. For a reader that
   * must not lose a line and cannot keep up (`tug local`'s terminal); the control plane never
   * pauses, so its dynos never wait on their logs. While paused, the output is not cut off at the
   * drain timeout after the exit: it is read to its end once resumed.
   */
  pauseOutput(): void {
    if (this.outputPaused || this.io) return
    this.outputPaused = true
    this.child.stdout?.pause()
    this.child.stderr?.pause()
  }

  resumeOutput(): void {
    if (!this.outputPaused) return
    this.outputPaused = false
    this.resumedAt = Date.now()
    this.child.stdout?.resume()
    this.child.stderr?.resume()
  }

  describe(): DynoDescription {
    return {pid: this.pid, startedAt: this.startedAt, record: {...this.record}}
  }

  private deliver(stream: OutputStream, lines: readonly string[]): void {
    if (this.pending !== undefined) {
      for (const line of linesOf(lines)) this.pending.push([stream, line])
      if (this.pending.length > this.options.maxPendingLines) this.pending.splice(0, this.pending.length - this.options.maxPendingLines)
      return
    }
    for (const listener of this.listeners) {
      try {
        listener(stream, lines)
      } catch {
        // A failing listener must not stop the others or the reading of the pipe.
      }
    }
  }

  private readLines(stream: OutputStream, readable: Readable | null): Promise<void> {
    if (readable === null) return Promise.resolve()
    // An attached dyno's client reads the same bytes; its log copy must not hold the pipe back.
    const tap = this.io ? this.logTap() : undefined
    const splitter = tap ? undefined : LineSplitter.blocks((messages) => this.deliver(stream, messages), this.options.maxLineLength)
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
      (stream) => LineSplitter.batched((lines) => this.deliver(stream, lines), this.options.maxLineLength),
      (stream, line) => this.deliver(stream, [line]),
    )
    return this.tap
  }

  /** Signals the group now and schedules SIGKILL at the earliest deadline asked for so far. */
  private terminate(signal: NodeJS.Signals, graceMs: number): void {
    if (this.finished) return
    // The group may already be empty (the main process exited alone): then the id could in
    // principle belong to someone else, so signal only while members remain.
    if (this.hasMembers()) this.signal(signal)
    const killAt = Date.now() + graceMs
    if (killAt < this.killAt) {
      this.killAt = killAt
      clearTimeout(this.killTimer)
      this.killTimer = setTimeout(() => {
        if (!this.finished && this.hasMembers()) this.signal('SIGKILL')
      }, Math.max(0, graceMs))
    }
  }

  private signal(signal: NodeJS.Signals): void {
    signalDyno(this.pid, signal, this.options.sparesLeader === true, this.options.procRoot)
  }

  private hasMembers(): boolean {
    // While the leader has not been reaped, the group exists and its id is ours: no scan needed.
    return !this.leaderExited || groupAlive(this.pid, this.options.procRoot)
  }

  private async finish(exit: {code: number | null; signal: NodeJS.Signals | null}, drained: Promise<void>[]): Promise<DynoExit> {
    await this.options.watcher.untilGone(this.pid)
    this.finished = true
    clearTimeout(this.killTimer)
    // Everything that wrote to the pipes is gone, so they close at once, unless a process that
    // left the group still holds them: do not wait for that one.
    let drainTimer: NodeJS.Timeout | undefined
    const timedOut = new Promise<void>((resolve) => {
      // Paused output (pauseOutput), or output resumed less than the timeout ago, is still being read.
      const wait = (): void => {
        drainTimer = setTimeout(() => (this.outputPaused || Date.now() - this.resumedAt < this.options.drainTimeoutMs ? wait() : resolve()), this.options.drainTimeoutMs)
      }
      wait()
    })
    await Promise.race([Promise.all(drained), timedOut])
    clearTimeout(drainTimer)
    this.child.stdout?.destroy()
    this.child.stderr?.destroy()
    await this.options.cleanup?.().catch(() => {})
    // Read before the backend removes the cgroup: every process of it is gone, so the count is final.
    const outOfMemory = (this.options.cgroup?.oomKills() ?? 0) > 0
    return {code: exit.code, signal: exit.signal, ...(outOfMemory ? {outOfMemory} : {})}
  }
}

/** The lines of a batch whose elements may each hold several, joined by `\n` (see OutputLinesListener). */
function linesOf(messages: readonly string[]): readonly string[] {
  for (const message of messages) if (message.includes('\n')) return messages.flatMap((each) => each.split('\n'))
  return messages
}
