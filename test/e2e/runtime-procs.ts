// Looks at the process table directly (/proc), not through the API: which dyno processes of a
// control plane are really running. A dyno process carries TUG_DYNO_ID and DYNO in its
// environment and runs in a release directory under the control plane's data directory.
import {readFileSync, readlinkSync} from 'node:fs'

import {listPids, procEnviron, procStat} from '../helpers/proc.js'

export interface DynoProcess {
  pid: number
  pgid: number
  dyno: string
  dynoId: string
  env: Map<string, string>
}

function readEnv(pid: number): Map<string, string> | undefined {
  const entries = procEnviron(pid)
  if (entries === undefined) return undefined
  const env = new Map<string, string>()
  for (const entry of entries) {
    const eq = entry.indexOf('=')
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1))
  }
  return env
}

/**
 * A sandboxed dyno's release code (the overlay's lower layer under its /app), when `pid` runs in a
 * sandbox's scratch directory `cwd` (runtime/sandbox.ts): read from the process's own mount table,
 * since the overlay is mounted in the dyno's mount namespace, not the host's.
 */
function sandboxCode(pid: number, cwd: string): string | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/mounts`, 'utf8')
  } catch {
    return undefined
  }
  for (const line of text.split('\n')) {
    const [, point, type, options] = line.split(' ')
    const lower = /(?:^|,)lowerdir=([^,]+)/.exec(options ?? '')?.[1]
    if (type === 'overlay' && point === `${cwd}/app` && lower) return lower
  }
  return undefined
}

/**
 * Live dyno processes (every member of every dyno's group) whose cwd is under `dir` (the data
 * directory, or an app's release directories). A sandboxed dyno's processes run in /app of their
 * own mount namespace: its bwrap, the group's leader, is found by its scratch directory, under the
 * data directory, whose overlay has its code under `dir`.
 */
export function dynoProcesses(dir: string): DynoProcess[] {
  const found: DynoProcess[] = []
  for (const pid of listPids()) {
    let cwd: string
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`)
    } catch {
      continue
    }
    if (!cwd.startsWith(dir) && !(cwd.includes('/sandboxes/') && (sandboxCode(pid, cwd)?.startsWith(dir) ?? false))) continue
    const info = procStat(pid)
    const env = readEnv(pid)
    const dynoId = env?.get('TUG_DYNO_ID')
    if (!info || info.state === 'Z' || !env || dynoId === undefined) continue
    found.push({pid, pgid: info.pgid, dyno: env.get('DYNO') ?? '', dynoId, env})
  }
  return found
}

/** SIGKILL to each process group (one already gone is skipped). */
export function killGroups(groups: Iterable<number>): void {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL')
    } catch {
      // gone already
    }
  }
}

/** The last resort of an after hook: whatever a failed test left running is killed. */
export function killDynoProcesses(dataDir: string): number {
  const groups = new Set(dynoProcesses(dataDir).map((p) => p.pgid))
  killGroups(groups)
  return groups.size
}

/** The main process of each dyno (the group leader, `bash -c` or what it exec'd), by dyno name. */
export function dynoLeaders(dataDir: string): Map<string, DynoProcess[]> {
  const byName = new Map<string, DynoProcess[]>()
  for (const p of dynoProcesses(dataDir)) {
    if (p.pid !== p.pgid) continue
    const list = byName.get(p.dyno) ?? []
    list.push(p)
    byName.set(p.dyno, list)
  }
  return byName
}

export function isAlive(pid: number): boolean {
  const info = procStat(pid)
  return info !== undefined && info.state !== 'Z'
}
