// Signals to a dyno's process group, and the shared scans that tell when groups are gone and what
// their members are: one /proc scan per tick serves every watched group, so stopping (or sampling
// the memory of) fifty dynos does not mean fifty scans.
import {DEFAULT_PROC_ROOT, groupExists, listProcessGroup, liveProcessGroups, processGroupMembers} from './process-tree.js'

/** Sends `signal` to process group `pgid`; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal)
    return true
  } catch {
    return false
  }
}

/** Signals whose default action ends a process (the ones a stop or a client's Ctrl-C sends). */
const ENDING: ReadonlySet<NodeJS.Signals> = new Set(['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGABRT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM'])

/**
 * A dyno's signal. With `sparesLeader`, the group's leader is a sandbox's outer bwrap
 * (sandbox.ts): it does not pass signals on and would die of a SIGTERM or SIGINT at once, ending
 * the dyno early, so every signal but SIGKILL goes to the other members of the group only.
 *
 * Its one child is the namespace's init (the inner bwrap), which the kernel shields from any
 * signal it has no handler for. So while no process below that init exists, the app has not run
 * yet (the sandbox is still being made) and no signal would reach it: a signal that ends a
 * process becomes SIGKILL to the group, there being nothing to stop gracefully (without that, the
 * dyno ran until the end of its grace), and any other is dropped.
 */
export function signalDyno(pgid: number, signal: NodeJS.Signals, sparesLeader: boolean, procRoot: string = DEFAULT_PROC_ROOT): void {
  if (!sparesLeader || signal === 'SIGKILL') {
    signalGroup(pgid, signal)
    return
  }
  const others = (listProcessGroup(pgid, procRoot) ?? []).filter((member) => member.pid !== pgid)
  if (!others.some((member) => member.ppid !== pgid)) {
    if (ENDING.has(signal)) signalGroup(pgid, 'SIGKILL')
    return
  }
  for (const member of others) {
    try {
      process.kill(member.pid, signal)
    } catch {
      // gone meanwhile
    }
  }
}

/**
 * How long after a wait starts its first checks come, then every `intervalMs`. A dyno's last
 * processes (a sandbox's inner bwrap, a shell's children) end a moment after its leader, so the
 * first check usually still sees them: waiting a whole interval after it would add that interval
 * to every exit report (`tug run` waits for it), where a few /proc scans (under a millisecond
 * each) in the first 35 ms cost little.
 */
const FIRST_CHECKS_MS: readonly number[] = [0, 1, 1, 1, 2, 2, 4, 8, 16]

interface GroupWaiter {
  resolvers: Array<() => void>
  /** Checks made since the wait started: the index into FIRST_CHECKS_MS. */
  checks: number
}

/** Watches process groups until they have no live member. */
export class GroupWatcher {
  private readonly waiters = new Map<number, GroupWaiter>()
  private timer: NodeJS.Timeout | undefined
  private dueAt = Infinity

  constructor(
    private readonly procRoot: string,
    private readonly intervalMs: number,
  ) {}

  untilGone(pgid: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter = this.waiters.get(pgid)
      // A new wait on a watched group (a stop after the exit) is checked as soon as a first one.
      if (waiter) {
        waiter.resolvers.push(resolve)
        waiter.checks = 0
      } else this.waiters.set(pgid, {resolvers: [resolve], checks: 0})
      this.schedule()
    })
  }

  /** The next check, at the soonest any waiter wants one (an earlier one replaces a later timer). */
  private schedule(): void {
    if (this.waiters.size === 0) return
    let delay = this.intervalMs
    for (const waiter of this.waiters.values()) delay = Math.min(delay, FIRST_CHECKS_MS[waiter.checks] ?? this.intervalMs)
    const dueAt = Date.now() + delay
    if (this.timer !== undefined) {
      if (dueAt >= this.dueAt) return
      clearTimeout(this.timer)
    }
    this.dueAt = dueAt
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.dueAt = Infinity
      this.check()
      this.schedule()
    }, delay)
  }

  private check(): void {
    let live: Set<number> | undefined | null = null // null: not scanned yet this tick
    for (const [pgid, waiter] of this.waiters) {
      waiter.checks++
      // kill(-pgid, 0) failing means no member at all, not even a zombie: no scan needed.
      let gone = !groupExists(pgid)
      if (!gone) {
        if (live === null) live = liveProcessGroups(this.procRoot)
        // Without /proc, zombies keep the group "alive" until they are reaped.
        gone = live !== undefined && !live.has(pgid)
      }
      if (gone) {
        this.waiters.delete(pgid)
        for (const resolve of waiter.resolvers) resolve()
      }
    }
  }
}

/** One /proc scan shared by every memory sample taken within `maxAgeMs` of it. */
export class GroupSnapshot {
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
