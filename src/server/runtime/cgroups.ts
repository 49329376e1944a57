// Limits the kernel enforces, per dyno size (issue 14): every dyno run gets a cgroup of its own,
// made with its size's limits (domain/catalog.ts `DynoLimits`) before its process is placed in it
// (its children inherit it). The memory hard limit is MEMORY_KILL_FACTOR x the size's quota: above
// the quota the memory watch only logs R14 from the cgroup's own figure; at the hard limit the
// kernel's OOM killer ends the dyno, and its exit is logged as R15 (the kill shows in the cgroup's
// oom_kill counter).
//
// Where they sit:
// - cgroups v1 (memory, cpu and pids controllers, each mounted under the root): under the control
//   plane's own cgroup of each controller (from /proc/self/cgroup), `<own>/tug/<plane>/<dyno run>`.
//   v1 lets a cgroup hold processes and children at once, so the dynos stay inside whatever bounds
//   the control plane itself (a systemd unit, a container).
// - cgroups v2 (the root has cgroup.controllers): `<root>/tug/<plane>/<dyno run>`, with memory.max,
//   cpu.weight and pids.max. Under the root, because v2 forbids controllers below a cgroup that
//   holds processes (the control plane's own), and the root is exempt.
//
// `<plane>` is the data directory's identity (plane-tag.ts): a control plane removes only its own
// leftovers, after a crash, and never another's. A cgroup is removed once its dyno has exited
// (rmdir fails while a task remains, so it is retried, and what still runs in it, a process that
// left the dyno's process group, is killed: it belongs to a dyno that is over).
//
// Without a cgroup filesystem, or without the right to write it (not root), `openCgroups` says why
// and the local backend falls back to sampling /proc, with no limit enforced.
import {existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'

import type {DynoLimits} from '../domain/catalog.js'

export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup'
/** The directory, under each controller's (or v2's) root, that holds every tug control plane's cgroups. */
export const CGROUP_PARENT = 'tug'
const V1_CONTROLLERS = ['memory', 'cpu', 'pids'] as const
/** cgroups v1's default and largest cpu.shares. */
const DEFAULT_CPU_SHARES = 1024
const MAX_CPU_SHARES = 262_144
const V2_CONTROLLERS = ['memory', 'cpu', 'pids'] as const
/** How long `remove` keeps trying while the kernel still counts a task in the cgroup. */
export const REMOVE_TIMEOUT_MS = 5000
const REMOVE_RETRY_MS = 20

export type CgroupVersion = 1 | 2

export interface CgroupsOptions {
  /** The data directory's identity (plane-tag.ts). */
  plane: string
  /** Where the cgroup filesystems are mounted; default /sys/fs/cgroup. */
  root?: string
  /** The text of /proc/self/cgroup (the control plane's own cgroups); default: read it. */
  selfCgroup?: string
  /** Removes one cgroup directory; default rmdirSync (a test's plain directory needs more). */
  removeDir?: (dir: string) => void
  /** Signals a process left in a cgroup being removed; default process.kill. */
  kill?: (pid: number) => void
}

export type CgroupsProbe = {ok: true; cgroups: Cgroups} | {ok: false; reason: string}

/** Which cgroup filesystem is mounted at `root`, if any. */
export function detectVersion(root: string = DEFAULT_CGROUP_ROOT): CgroupVersion | undefined {
  if (existsSync(join(root, 'cgroup.controllers'))) return 2
  if (V1_CONTROLLERS.every((controller) => existsSync(join(root, controller, 'cgroup.procs')))) return 1
  return undefined
}

/** The control plane's own cgroup path per v1 controller (`4:memory:/a/b` gives memory -> /a/b). */
export function ownCgroups(text: string): Map<string, string> {
  const own = new Map<string, string>()
  for (const line of text.split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(\/.*)$/.exec(line.trim()) ?? []
    if (controllers === undefined || path === undefined) continue
    for (const controller of controllers.split(',')) if (controller !== '') own.set(controller, path)
  }
  return own
}

/**
 * The cgroups of this plane's dynos, or why there are none. Makes the plane's directories (the
 * proof that they can be written); `removeStale` takes them away again when no dyno runs.
 */
export function openCgroups(options: CgroupsOptions): CgroupsProbe {
  const root = options.root ?? DEFAULT_CGROUP_ROOT
  const version = detectVersion(root)
  if (version === undefined) return {ok: false, reason: `no cgroup filesystem at ${root}`}
  let planeDirs: string[]
  if (version === 1) {
    let selfText = options.selfCgroup
    try {
      selfText ??= readFileSync('/proc/self/cgroup', 'utf8')
    } catch {
      selfText = ''
    }
    const own = ownCgroups(selfText)
    planeDirs = V1_CONTROLLERS.map((controller) => join(root, controller, own.get(controller) ?? '/', CGROUP_PARENT, options.plane))
  } else {
    const available = readFileSync(join(root, 'cgroup.controllers'), 'utf8').split(/\s+/)
    if (!available.includes('memory')) return {ok: false, reason: `the memory controller is not enabled at ${root}`}
    planeDirs = [join(root, CGROUP_PARENT, options.plane)]
  }
  const cgroups = new Cgroups(version, root, planeDirs, options)
  try {
    cgroups.ensurePlane()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? ' (run the control plane as root to enforce limits)' : ''
    return {ok: false, reason: `cannot create ${planeDirs[0]}: ${code ?? (error as Error).message}${why}`}
  }
  return {ok: true, cgroups}
}

export class Cgroups {
  private readonly live = new Set<string>()
  /** The cpu.shares of each live dyno, which the plane's own weight adds up (weigh). */
  private readonly shares = new Map<string, number>()
  private readonly removeDir: (dir: string) => void
  private readonly kill: (pid: number) => void

  constructor(
    readonly version: CgroupVersion,
    private readonly root: string,
    /** v1: one per controller (memory first); v2: one. */
    readonly planeDirs: readonly string[],
    options: Pick<CgroupsOptions, 'removeDir' | 'kill'> = {},
  ) {
    this.removeDir = options.removeDir ?? rmdirSync
    this.kill = options.kill ?? ((pid) => process.kill(pid, 'SIGKILL'))
  }

  /** Makes the plane's directories if they are not there (after the last dyno took them away). */
  ensurePlane(): void {
    for (const dir of this.planeDirs) {
      if (existsSync(dir)) continue
      mkdirSync(dir, {recursive: true})
      if (this.version === 2) this.enableControllers(dir)
    }
  }

  /** A cgroup for one dyno run, named by its id, with the limits written in. Throws when it cannot. */
  create(id: string, limits: DynoLimits): DynoCgroup {
    this.ensurePlane()
    const dirs = this.planeDirs.map((planeDir) => join(planeDir, id))
    this.live.add(id)
    const cgroup = new DynoCgroup(this.version, dirs)
    try {
      for (const dir of dirs) mkdirSync(dir)
      const enabled = this.version === 2 ? this.enabledBelow(this.planeDirs[0] ?? '') : V1_CONTROLLERS
      for (const [file, value] of limitFiles(this.version, limits)) {
        const controller = file.split('.')[0] ?? ''
        if (!(enabled as readonly string[]).includes(controller)) continue
        const dir = this.version === 1 ? dirs[V1_CONTROLLERS.indexOf(controller as (typeof V1_CONTROLLERS)[number])] : dirs[0]
        // memory.swap.max exists only with swap accounting.
        if (dir === undefined || (file === 'memory.swap.max' && !existsSync(join(dir, file)))) continue
        writeFileSync(join(dir, file), value)
      }
    } catch (error) {
      void this.remove(cgroup)
      throw error
    }
    this.shares.set(id, limits.cpuShares)
    this.weigh()
    return cgroup
  }

  /**
   * The kernel weighs a cgroup once against each process beside it, the control plane's among
   * them: a plane of 50 dynos at its default weight would get no more CPU than the control plane
   * alone (50 booting dynos took half as long again to be up). So the plane, and the directory of
   * every plane above it, weigh what their dynos add up to: the sizes' shares divide the dynos'
   * time among them, not the machine between them and the control plane. Best effort.
   */
  private weigh(): void {
    const plane = this.planeDirs[this.version === 1 ? V1_CONTROLLERS.indexOf('cpu') : 0]
    if (plane === undefined) return
    let sum = 0
    for (const value of this.shares.values()) sum += value
    try {
      this.writeShares(plane, sum)
      const parent = dirname(plane)
      let planes = 0
      for (const entry of readdirSync(parent, {withFileTypes: true})) if (entry.isDirectory()) planes += this.readShares(join(parent, entry.name))
      this.writeShares(parent, planes)
    } catch {
      // the plane went with its last dyno, or the cpu controller is not there (v2 without it)
    }
  }

  private writeShares(dir: string, shares: number): void {
    const atLeast = Math.max(shares, DEFAULT_CPU_SHARES)
    if (this.version === 1) writeFileSync(join(dir, 'cpu.shares'), String(Math.min(atLeast, MAX_CPU_SHARES)))
    else writeFileSync(join(dir, 'cpu.weight'), String(cpuWeight(atLeast)))
  }

  private readShares(dir: string): number {
    try {
      const value = Number(readFileSync(join(dir, this.version === 1 ? 'cpu.shares' : 'cpu.weight'), 'utf8'))
      if (!Number.isFinite(value)) return 0
      return this.version === 1 ? value : Math.round((value * DEFAULT_CPU_SHARES) / 100)
    } catch {
      return 0
    }
  }

  /**
   * Removes a dyno's cgroup once its processes are gone: retried while the kernel still counts a
   * task, whatever is left in it is killed, and the plane's directories go with the last dyno.
   */
  async remove(cgroup: DynoCgroup, timeoutMs: number = REMOVE_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs
    let pending = [...cgroup.dirs]
    for (;;) {
      pending = pending.filter((dir) => !this.tryRemove(dir))
      if (pending.length === 0 || Date.now() >= deadline) break
      for (const pid of cgroup.pids()) this.tryKill(pid)
      await new Promise((resolve) => setTimeout(resolve, REMOVE_RETRY_MS))
    }
    this.live.delete(cgroup.id)
    if (this.shares.delete(cgroup.id) && this.live.size > 0) this.weigh()
    if (pending.length > 0) throw new Error(`could not remove the cgroup ${pending[0]}: a task is still in it`)
    if (this.live.size === 0) this.removePlane()
  }

  /**
   * After a crash: removes every dyno cgroup of this plane that no running dyno owns (their
   * processes were stopped by then; anything still in one is killed). Returns how many went.
   */
  async removeStale(): Promise<number> {
    const stale = new Set<string>()
    for (const planeDir of this.planeDirs) {
      let entries: string[] = []
      try {
        entries = readdirSync(planeDir, {withFileTypes: true}).filter((e) => e.isDirectory()).map((e) => e.name)
      } catch {
        // not made yet
      }
      for (const name of entries) if (!this.live.has(name)) stale.add(name)
    }
    for (const id of stale) {
      this.live.add(id)
      await this.remove(new DynoCgroup(this.version, this.planeDirs.map((planeDir) => join(planeDir, id)))).catch(() => {})
    }
    if (this.live.size === 0) this.removePlane()
    return stale.size
  }

  private removePlane(): void {
    for (const dir of this.planeDirs) this.tryRemove(dir)
  }

  /** True when the directory is gone. */
  private tryRemove(dir: string): boolean {
    try {
      this.removeDir(dir)
      return true
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT'
    }
  }

  private tryKill(pid: number): void {
    try {
      this.kill(pid)
    } catch {
      // already gone
    }
  }

  /** v2: the controllers a cgroup's children have (its cgroup.subtree_control; `+` as written by enableControllers). */
  private enabledBelow(dir: string): string[] {
    try {
      return readFileSync(join(dir, 'cgroup.subtree_control'), 'utf8').split(/\s+/).map((c) => c.replace(/^\+/, ''))
    } catch {
      return []
    }
  }

  /** v2: a cgroup's children get the controllers only if every ancestor up from the root passes them on. */
  private enableControllers(dir: string): void {
    const wanted = readFileSync(join(this.root, 'cgroup.controllers'), 'utf8').split(/\s+/).filter((c) => (V2_CONTROLLERS as readonly string[]).includes(c))
    const chain: string[] = []
    for (let at = dir; at.length >= this.root.length; at = join(at, '..')) {
      chain.unshift(at)
      if (at === this.root) break
    }
    for (const at of chain) {
      const file = join(at, 'cgroup.subtree_control')
      const enabled = this.enabledBelow(at)
      const missing = wanted.filter((c) => !enabled.includes(c))
      if (missing.length > 0) writeFileSync(file, missing.map((c) => `+${c}`).join(' '))
    }
  }
}

/** The files a dyno's limits go to, and what is written in each. */
export function limitFiles(version: CgroupVersion, limits: DynoLimits): Array<[string, string]> {
  if (version === 1) {
    return [
      ['memory.limit_in_bytes', String(limits.memoryMaxBytes)],
      ['cpu.shares', String(limits.cpuShares)],
      ['pids.max', String(limits.pidsMax)],
    ]
  }
  return [
    ['memory.max', String(limits.memoryMaxBytes)],
    // Swap would let a dyno go past its limit without the kernel's kill: none, as Heroku's R15.
    ['memory.swap.max', '0'],
    ['cpu.weight', String(cpuWeight(limits.cpuShares))],
    ['pids.max', String(limits.pidsMax)],
  ]
}

/** v1's cpu.shares (default 1024) as v2's cpu.weight (default 100, 1 to 10000). */
export function cpuWeight(shares: number): number {
  return Math.min(10_000, Math.max(1, Math.round((shares * 100) / 1024)))
}

/** `$1` files to write the shell's pid to, then the command to exec. */
const ENTER_SCRIPT = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 126; shift; n=$((n - 1)); done; exec "$@"'

/** One dyno run's cgroup: where its processes go, and what the kernel says of them. */
export class DynoCgroup {
  readonly id: string

  /** The memory cgroup's directory (the v2 one), for the limits and figures. */
  readonly memoryDir: string

  constructor(
    readonly version: CgroupVersion,
    /** v1: memory, cpu, pids; v2: one. */
    readonly dirs: readonly string[],
  ) {
    this.memoryDir = dirs[0] ?? ''
    this.id = basename(this.memoryDir)
  }

  /** Moves a process (and the children it makes from now on) into the cgroup. */
  place(pid: number): void {
    for (const dir of this.dirs) writeFileSync(join(dir, 'cgroup.procs'), String(pid))
  }

  /**
   * `file args...` started inside the cgroup: a shell writes its own pid into the cgroup, then
   * execs the command (same pid, so the process group, the record and the tags stay as they were).
   * A write after the spawn would come too late: bwrap forks its namespace's first process at once,
   * and a fork made before the write stays outside. A failed write ends it with status 126.
   */
  wrap(command: {file: string; args: readonly string[]}, shell = '/bin/sh'): {file: string; args: string[]} {
    const files = this.dirs.map((dir) => join(dir, 'cgroup.procs'))
    return {file: shell, args: ['-c', ENTER_SCRIPT, 'tug-cgroup', String(files.length), ...files, command.file, ...command.args]}
  }

  /**
   * The memory the kernel charges the dyno, counted as Heroku counts a dyno's memory: resident
   * (anonymous, mapped files, swap), not the page cache the kernel reclaims before any kill.
   * Undefined when the cgroup cannot be read (it is being removed).
   */
  memoryBytes(): number | undefined {
    const stat = readStat(join(this.memoryDir, 'memory.stat'))
    if (stat === undefined) return undefined
    if (this.version === 1) return (stat.get('total_rss') ?? 0) + (stat.get('total_mapped_file') ?? 0) + (stat.get('total_swap') ?? 0)
    return (stat.get('anon') ?? 0) + (stat.get('file_mapped') ?? 0) + (stat.get('swap') ?? 0)
  }

  /** How many processes the kernel killed in it for memory (its OOM killer), 0 when unknown. */
  oomKills(): number {
    const file = this.version === 1 ? 'memory.oom_control' : 'memory.events'
    return readStat(join(this.memoryDir, file))?.get('oom_kill') ?? 0
  }

  /** The processes in it now. */
  pids(): number[] {
    const found = new Set<number>()
    for (const dir of this.dirs) {
      try {
        for (const line of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) {
          const pid = Number(line)
          if (Number.isInteger(pid) && pid > 0) found.add(pid)
        }
      } catch {
        // gone
      }
    }
    return [...found]
  }
}

/** `key value` lines (memory.stat, memory.oom_control, memory.events); undefined when unreadable. */
function readStat(file: string): Map<string, number> | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  const values = new Map<string, number>()
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/)
    if (key && value !== undefined && /^\d+$/.test(value)) values.set(key, Number(value))
  }
  return values
}
