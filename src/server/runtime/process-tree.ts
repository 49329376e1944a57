// What the local backend knows about processes beyond its own child: start times (so that a
// recorded pid is never mistaken for a later process that reused it), the members of a process
// group (a dyno is one group, children of children included) and their memory.
//
// Linux only: everything here reads /proc. On other platforms (no /proc) the readers return
// undefined, and callers fall back to what `process.kill(pid, 0)` can tell them.

import {readdirSync, readFileSync} from 'node:fs'

export const DEFAULT_PROC_ROOT = '/proc'

export interface ProcStat {
  pid: number
  /** The comm field (executable name, at most 15 characters). */
  comm: string
  /** R, S, D, Z (zombie), T, X (dead), ... */
  state: string
  ppid: number
  pgrp: number
  session: number
  /** Field 22: when the process started, in clock ticks since boot. With the pid, it names one process. */
  startTime: number
  /** Field 24: resident set size in pages. */
  rssPages: number
}

/** True where /proc can be read (Linux). */
export function procAvailable(procRoot: string = DEFAULT_PROC_ROOT): boolean {
  try {
    readFileSync(`${procRoot}/self/stat`, 'utf8')
    return true
  } catch {
    return false
  }
}

/**
 * Parses the text of /proc/<pid>/stat. The comm field is in parentheses and may itself contain
 * spaces and parentheses, so the fields are counted from the LAST `)`.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(')
  const close = text.lastIndexOf(')')
  if (open < 0 || close < open) return undefined
  const pid = Number(text.slice(0, open).trim())
  const rest = text.slice(close + 1).trim().split(/\s+/)
  // rest[0] is field 3 (state), so field N is rest[N - 3].
  const field = (n: number): number => Number(rest[n - 3])
  const state = rest[0]
  if (!Number.isInteger(pid) || state === undefined || rest.length < 22) return undefined
  const stat: ProcStat = {
    pid,
    comm: text.slice(open + 1, close),
    state,
    ppid: field(4),
    pgrp: field(5),
    session: field(6),
    startTime: field(22),
    rssPages: field(24),
  }
  return Number.isFinite(stat.startTime) && Number.isFinite(stat.pgrp) ? stat : undefined
}

export function readProcStat(pid: number, procRoot: string = DEFAULT_PROC_ROOT): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`${procRoot}/${pid}/stat`, 'utf8'))
  } catch {
    return undefined
  }
}

/** Field 22 of /proc/<pid>/stat, or undefined when the process does not exist (or no /proc). */
export function processStartTime(pid: number, procRoot: string = DEFAULT_PROC_ROOT): number | undefined {
  return readProcStat(pid, procRoot)?.startTime
}

/** A zombie has exited and only waits to be reaped: it runs nothing and holds no memory or port. */
export function isDead(stat: ProcStat): boolean {
  return stat.state === 'Z' || stat.state === 'X' || stat.state === 'x'
}

/**
 * Whether `pid` is still the process that had `startTime`. False when it is gone, a zombie, or a
 * different process that got the same pid. Undefined without /proc.
 */
export function isSameProcess(pid: number, startTime: number, procRoot: string = DEFAULT_PROC_ROOT): boolean | undefined {
  if (!procAvailable(procRoot)) return undefined
  const stat = readProcStat(pid, procRoot)
  return stat !== undefined && !isDead(stat) && stat.startTime === startTime
}

/** The boot id, so that a (pid, start time) pair recorded before a reboot is never matched after it. */
export function readBootId(procRoot: string = DEFAULT_PROC_ROOT): string | undefined {
  try {
    return readFileSync(`${procRoot}/sys/kernel/random/boot_id`, 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}

/**
 * The live (non-zombie) members of process group `pgid`, found by scanning /proc/<pid>/stat.
 * Undefined without /proc. A process that calls setsid() leaves the group and is not found here.
 */
export function listProcessGroup(pgid: number, procRoot: string = DEFAULT_PROC_ROOT): ProcStat[] | undefined {
  return liveProcesses(procRoot)?.filter((stat) => stat.pgrp === pgid)
}

/**
 * Every live (non-zombie) process, from one scan of /proc: the one scanner the other readers
 * here filter. Undefined without /proc.
 */
export function liveProcesses(procRoot: string = DEFAULT_PROC_ROOT): ProcStat[] | undefined {
  let entries: string[]
  try {
    entries = readdirSync(procRoot)
  } catch {
    return undefined
  }
  const live: ProcStat[] = []
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    // A process may exit between readdir and read: readProcStat then answers undefined.
    const stat = readProcStat(Number(entry), procRoot)
    if (stat !== undefined && !isDead(stat)) live.push(stat)
  }
  return live
}

/** VmRSS of one process in bytes (0 for a process without memory, undefined when unreadable). */
export function processRssBytes(pid: number, procRoot: string = DEFAULT_PROC_ROOT): number | undefined {
  let status: string
  try {
    status = readFileSync(`${procRoot}/${pid}/status`, 'utf8')
  } catch {
    return undefined
  }
  // VmRSS is in kB (really KiB); kernel threads and zombies have no VmRSS line.
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
  return match?.[1] === undefined ? 0 : Number(match[1]) * 1024
}

/**
 * The resident memory of a whole process group in bytes: the sum of its members' VmRSS (shared
 * pages are counted once per process, as `ps` would). Undefined without /proc or when the group
 * has no live member.
 */
export function groupRssBytes(pgid: number, procRoot: string = DEFAULT_PROC_ROOT): number | undefined {
  const members = listProcessGroup(pgid, procRoot)
  if (members === undefined || members.length === 0) return undefined
  return rssBytesOf(members.map((member) => member.pid), procRoot)
}

/** The summed VmRSS of these processes in bytes (one that is gone counts 0). */
export function rssBytesOf(pids: readonly number[], procRoot: string = DEFAULT_PROC_ROOT): number {
  let total = 0
  for (const pid of pids) total += processRssBytes(pid, procRoot) ?? 0
  return total
}

/**
 * Whether process group `pgid` still has a live member. Uses /proc where it exists (zombies do not
 * count); elsewhere asks the kernel with signal 0 (zombies then count as alive).
 */
export function groupAlive(pgid: number, procRoot: string = DEFAULT_PROC_ROOT): boolean {
  const members = listProcessGroup(pgid, procRoot)
  return members === undefined ? groupExists(pgid) : members.length > 0
}

/** Whether the kernel still has process group `pgid`, zombies included (signal 0, no /proc needed). */
export function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but is not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * The process groups that have at least one live (non-zombie) member, from one scan of /proc.
 * Undefined without /proc. Cheaper than listProcessGroup once per group when many are watched.
 */
export function liveProcessGroups(procRoot: string = DEFAULT_PROC_ROOT): Set<number> | undefined {
  const live = liveProcesses(procRoot)
  return live && new Set(live.map((stat) => stat.pgrp))
}

/**
 * The environment `pid` was started with (as exec gave it; later changes inside the process do
 * not show). Undefined when unreadable: gone, or not ours to read.
 */
export function readEnviron(pid: number, procRoot: string = DEFAULT_PROC_ROOT): Map<string, string> | undefined {
  let text: string
  try {
    text = readFileSync(`${procRoot}/${pid}/environ`, 'latin1')
  } catch {
    return undefined
  }
  const env = new Map<string, string>()
  for (const entry of text.split('\0')) {
    const eq = entry.indexOf('=')
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1))
  }
  return env
}

/** Whether `pid`'s environment holds exactly `NAME=value` (readable only for our own processes). */
export function environHas(pid: number, entry: string, procRoot: string = DEFAULT_PROC_ROOT): boolean {
  const eq = entry.indexOf('=')
  return eq > 0 && readEnviron(pid, procRoot)?.get(entry.slice(0, eq)) === entry.slice(eq + 1)
}

/**
 * Every live process group and its members' pids, from one scan of /proc: sampling the memory of
 * fifty dynos then costs one scan, not fifty. Undefined without /proc.
 */
export function processGroupMembers(procRoot: string = DEFAULT_PROC_ROOT): Map<number, number[]> | undefined {
  const live = liveProcesses(procRoot)
  if (live === undefined) return undefined
  const groups = new Map<number, number[]>()
  for (const stat of live) {
    const members = groups.get(stat.pgrp)
    if (members) members.push(stat.pid)
    else groups.set(stat.pgrp, [stat.pid])
  }
  return groups
}
