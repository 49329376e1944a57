// Dynos as local processes. Each dyno is `bash -c COMMAND` (`sh -c` without bash) in its own
// process group (spawned detached, so setsid makes it a session and group leader), and every
// signal goes to the whole group: children of children are stopped with their dyno.
//
// Beside it: local-dyno.ts (one dyno's handle: output, stop, exit), dyno-environment.ts (shell and
// environment), process-groups.ts (signals and shared /proc scans), process-tree.ts (/proc).
//
// Limits, by design: a process that calls setsid() itself leaves the group and is not stopped
// with its dyno (cgroups would be needed for that). Identity checks and group scans use /proc,
// so orphan recovery (adoptOrKill) only works on Linux.

import {spawn as nodeSpawn, type ChildProcess, type SpawnOptions} from 'node:child_process'
import {randomUUID} from 'node:crypto'

import {DEFAULT_DYNO_SIZE, dynoSizeSpec} from '../domain/catalog.js'
import {spawnAttached} from './attached.js'
import type {AdoptOutcome, Backend, BackendRecord, BuildSession, BuildSpec, DynoHandle, DynoSpec, StopOptions, UnrecordedDyno} from './backend.js'
import {openLocalBuild} from './build-step.js'
import {primeMigration} from './cgroup-prime.js'
import type {Cgroups, DynoCgroup} from './cgroups.js'
import {defaultBaseEnv, dynoEnvironment, findShell, withProfile} from './dyno-environment.js'
import {BackendError} from './errors.js'
import {isLocalDynoRecord, LocalDynoHandle, type HandleOptions} from './local-dyno.js'
import {GroupSnapshot, GroupWatcher, signalGroup} from './process-groups.js'
import {DEFAULT_PROC_ROOT, environHas, isDead, listProcessGroup, procAvailable, readBootId, readProcStat} from './process-tree.js'
import {DYNO_ID_ENV, findTagged, stopTagged} from './plane-tag.js'
import type {PreparedSandbox, Sandbox} from './sandbox.js'

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

export {DYNO_ID_ENV, PLANE_ENV} from './plane-tag.js'
export {BASE_ENV_NAMES, dynoEnvironment, findShell, withProfile} from './dyno-environment.js'
export {isLocalDynoRecord, type LocalDynoRecord} from './local-dyno.js'

export type SpawnFunction = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess

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
   * The identity of the control plane's data directory (plane-tag.ts): put in every dyno's
   * environment so that `stopUnrecorded` finds them after a crash. Without it, nothing is tagged.
   */
  plane?: string
  /** Every dyno gets a cgroup with its size's limits (cgroups.ts); without it, no limit is enforced. */
  cgroups?: Cgroups
  /** Every dyno runs inside this sandbox (sandbox.ts); without it, as the control plane's user in its code directory. */
  sandbox?: Sandbox
  /** Source the code's .profile.d/*.sh and .profile first, as a dyno does (default true; `tug local` runs commands as they are). */
  profile?: boolean
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
  private readonly cgroups: Cgroups | undefined
  private readonly sandbox: Sandbox | undefined
  private readonly profile: boolean
  /** A cgroup made ahead of a start (aboutToStart), with the dyno id it is named by. */
  private spare: {id: string; size: string; cgroup: DynoCgroup} | undefined

  constructor(options: LocalBackendOptions = {}) {
    this.spawn = options.spawn ?? nodeSpawn
    this.shell = options.shell ?? findShell()
    this.baseEnv = options.baseEnv ?? defaultBaseEnv()
    this.procRoot = options.procRoot ?? DEFAULT_PROC_ROOT
    this.plane = options.plane
    this.cgroups = options.cgroups
    this.sandbox = options.sandbox
    this.profile = options.profile ?? true
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

  /**
   * A one-off's request arrived: the next dyno's cgroup is made now (at the default size's limits),
   * and then the kernel's cgroup migration lock is taken (cgroup-prime.ts), so that the lock's wait
   * overlaps the record's writes and the spawn instead of delaying the dyno's first instruction.
   * In that order because the priming write holds the cgroup mutex through the wait: a mkdir made
   * after it would stall the event loop until the wait ends. A start of another size leaves the
   * spare cgroup to a later start (meanwhile it weighs as one more dyno of the plane).
   */
  aboutToStart(): void {
    if (!this.cgroups) return
    if (!this.spare) {
      const id = randomUUID()
      try {
        this.spare = {id, size: dynoSizeSpec(DEFAULT_DYNO_SIZE).size.name, cgroup: this.cgroups.create(id, dynoSizeSpec(DEFAULT_DYNO_SIZE).limits)}
      } catch {
        return
      }
    }
    void primeMigration(this.cgroups)
  }

  async start(spec: DynoSpec): Promise<LocalDynoHandle> {
    // The spare cgroup of aboutToStart, for a dyno of its size: its id is the dyno's.
    const spare = this.spare && dynoSizeSpec(spec.size ?? DEFAULT_DYNO_SIZE).size.name === this.spare.size ? this.spare : undefined
    if (spare) this.spare = undefined
    const id = spare?.id ?? randomUUID()
    const env = dynoEnvironment(spec, this.baseEnv, id, this.plane)
    const script = this.profile ? withProfile(spec.command) : spec.command
    let sandbox: PreparedSandbox | undefined
    if (this.sandbox) {
      try {
        sandbox = await this.sandbox.prepare({appId: spec.appId, dynoId: id, codeDir: spec.cwd, command: script, shell: this.shell, tty: spec.stdio?.tty === true})
      } catch (error) {
        // Not used: it stays the next start's.
        this.spare ??= spare
        throw new BackendError(`could not start ${spec.dynoName}: ${(error as Error).message}`, {cause: error})
      }
      // As on Heroku; the host's TMPDIR is not there.
      env.HOME = '/app'
      if (spec.env.TMPDIR === undefined) delete env.TMPDIR
    }
    // bwrap is what is spawned (the tags in env stay on it, for recovery), from the dyno's scratch directory.
    const command = sandbox ? {file: sandbox.file, args: sandbox.args, cwd: sandbox.dir, sparesLeader: true} : {file: this.shell, args: ['-c', script], cwd: spec.cwd}
    let cgroup: DynoCgroup | undefined
    try {
      cgroup = spare?.cgroup ?? this.createCgroup(id, spec)
    } catch (error) {
      await sandbox?.release()
      throw error
    }
    const launched = cgroup ? {...command, ...cgroup.wrap(command)} : command
    // An attached one-off (attached.ts) gives a ChildProcess or a pty dressed as one: the handle
    // uses only pid, stdout, stderr and the 'exit'/'error' events of it.
    const attached = spec.stdio ? spawnAttached(launched, spec, env) : undefined
    const child = attached ? (attached.child as ChildProcess) : this.spawn(launched.file, launched.args, {cwd: launched.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe']})
    if (child.pid === undefined) {
      const error = await new Promise<Error>((resolve) => child.once('error', resolve))
      child.stdout?.destroy()
      child.stderr?.destroy()
      await sandbox?.release()
      if (cgroup) await this.cgroups?.remove(cgroup).catch(() => {})
      throw new BackendError(`could not start ${spec.dynoName}: ${error.message}`, {cause: error})
    }
    let options = attached ? {...this.handleOptions, drainTimeoutMs: Math.max(this.handleOptions.drainTimeoutMs, ATTACHED_DRAIN_TIMEOUT_MS)} : this.handleOptions
    if (sandbox) options = {...options, sparesLeader: true, cleanup: sandbox.release}
    if (cgroup) options = {...options, cgroup}
    const handle = new LocalDynoHandle(child, spec, id, options, attached?.io)
    this.live.add(handle)
    void handle.exited.then(async () => {
      this.live.delete(handle)
      if (cgroup) await this.cgroups?.remove(cgroup).catch(() => {})
    })
    return handle
  }

  /** The dyno's cgroup with its size's limits, made before the spawn: its process starts inside (DynoCgroup.wrap). */
  private createCgroup(id: string, spec: DynoSpec): DynoCgroup | undefined {
    if (!this.cgroups) return undefined
    try {
      return this.cgroups.create(id, dynoSizeSpec(spec.size ?? DEFAULT_DYNO_SIZE).limits)
    } catch (error) {
      throw new BackendError(`could not start ${spec.dynoName}: cannot make its cgroup: ${(error as Error).message}`, {cause: error})
    }
  }

  /** A build's buildpack steps (build-step.ts), in the sandbox and a cgroup as the dynos are. */
  async openBuild(spec: BuildSpec): Promise<BuildSession> {
    return openLocalBuild(spec, {
      shell: this.shell,
      baseEnv: this.baseEnv,
      procRoot: this.procRoot,
      spawn: this.spawn,
      ...(this.plane === undefined ? {} : {plane: this.plane}),
      ...(this.cgroups ? {cgroups: this.cgroups} : {}),
      ...(this.sandbox ? {sandbox: this.sandbox.buildTools()} : {}),
    })
  }

  /** The dynos started by this backend that are not over yet. */
  running(): DynoHandle[] {
    return [...this.live]
  }

  /** Stops every dyno this backend started (a clean control-plane stop). */
  async stopAll(options: StopOptions): Promise<void> {
    const spare = this.spare
    this.spare = undefined
    if (spare) await this.cgroups?.remove(spare.cgroup).catch(() => {})
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
    const explained = new Set([...this.live].map((handle) => handle.id))
    try {
      if (this.plane === undefined) return []
      return await this.stopTagged(explained, options.graceMs)
    } finally {
      // Their processes are gone now: the overlays a dead control plane left go too.
      await this.sandbox?.cleanLeftovers(explained)
      await this.cgroups?.removeStale().catch(() => {})
    }
  }

  private async stopTagged(explained: Set<string>, graceMs: number | undefined): Promise<UnrecordedDyno[]> {
    if (this.plane === undefined) return []
    const found = findTagged(this.plane, explained, this.procRoot)
    if (found.length === 0) return []
    return stopTagged(found, {graceMs: graceMs ?? DEFAULT_ORPHAN_GRACE_MS, procRoot: this.procRoot})
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
