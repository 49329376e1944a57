// What a control plane that did not stop cleanly left running, found without its records: the
// local backend's side of recovery (policies/recovery.ts hands it the records first).
//
// The store records a dyno's process only once it exists, so a kill -9 between a spawn and that
// write left processes nothing names (issue 12: 8 to 22 strays after `ps:scale web=80`). Every
// dyno process therefore carries two variables from its first instruction on: TUG_PLANE, the
// identity of the control plane's data directory, and TUG_DYNO_ID, the id of the dyno run. On
// start, before it runs anything, the control plane finds every live process whose environment
// names its data directory and that no running dyno of its own explains, and stops it. A process
// of another data directory, an untagged one, or a pid reused since it was seen (the start time
// is checked before every signal) is never touched.
//
// Limit: /proc shows the environment as exec gave it. A dyno process could hide from this only by
// re-executing itself with another environment (or leaving the process table, e.g. another pid
// namespace); children inherit the variables otherwise, even after setsid().

import {randomUUID} from 'node:crypto'
import {readFileSync, realpathSync, renameSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import type {UnrecordedDyno} from './backend.js'
import {DEFAULT_PROC_ROOT, isSameProcess, liveProcesses, readEnviron} from './process-tree.js'

/** The data directory's identity, in every dyno's environment. */
export const PLANE_ENV = 'TUG_PLANE'
/** Names the dyno run a process belongs to (the local backend's handle id). */
export const DYNO_ID_ENV = 'TUG_DYNO_ID'
/** In the data directory: the identity, made once. */
export const PLANE_ID_FILE = 'plane-id'

const PLANE_ID = /^[0-9a-f-]{36}$/

/**
 * The identity of the control plane whose data lives in `dataDir`: read, or made on first use.
 * The file names the directory it was made for: a copy elsewhere (a restored backup running
 * beside the original) gets an identity of its own, so neither ever stops the other's dynos.
 */
export function ensurePlaneId(dataDir: string): string {
  const file = join(dataDir, PLANE_ID_FILE)
  const home = realpathSync(dataDir)
  try {
    const [existing, madeFor] = readFileSync(file, 'utf8').split('\n')
    if (existing !== undefined && PLANE_ID.test(existing) && madeFor === home) return existing
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const id = randomUUID()
  // Written whole or not at all: a crash here must not leave an empty identity behind.
  const temp = `${file}.${process.pid}.tmp`
  writeFileSync(temp, `${id}\n${home}\n`, {mode: 0o600})
  renameSync(temp, file)
  return id
}

export interface TaggedProcess {
  pid: number
  pgrp: number
  startTime: number
  dynoId: string
  /** $DYNO: `web.3`. */
  dynoName: string
}

/** Live processes whose environment names `plane`, except those of the dyno runs in `explained`. */
export function findTagged(plane: string, explained: ReadonlySet<string> = new Set(), procRoot: string = DEFAULT_PROC_ROOT): TaggedProcess[] {
  const found: TaggedProcess[] = []
  for (const stat of liveProcesses(procRoot) ?? []) {
    if (stat.pid === process.pid) continue
    const env = readEnviron(stat.pid, procRoot)
    if (env?.get(PLANE_ENV) !== plane) continue
    const dynoId = env.get(DYNO_ID_ENV) ?? ''
    if (explained.has(dynoId)) continue
    found.push({pid: stat.pid, pgrp: stat.pgrp, startTime: stat.startTime, dynoId, dynoName: env.get('DYNO') ?? '?'})
  }
  return found
}

export interface StopTaggedOptions {
  /** SIGTERM first; after this long, SIGKILL to what is left. */
  graceMs: number
  /** After the SIGKILL, how long to wait at most (a process stuck in the kernel may outlive it). */
  killWaitMs?: number
  pollIntervalMs?: number
  procRoot?: string
}

/**
 * SIGTERM to each process (to its whole group when it leads one: a tagged leader proves the group
 * is a dyno's), SIGKILL after the grace to what is left, and resolves once all are gone. Each
 * signal first checks that the pid still has the start time it was found with.
 */
export async function stopTagged(processes: readonly TaggedProcess[], options: StopTaggedOptions): Promise<UnrecordedDyno[]> {
  const procRoot = options.procRoot ?? DEFAULT_PROC_ROOT
  const same = (p: TaggedProcess): boolean => isSameProcess(p.pid, p.startTime, procRoot) === true
  const signal = (p: TaggedProcess, name: NodeJS.Signals): void => {
    if (!same(p)) return
    try {
      process.kill(p.pgrp === p.pid ? -p.pid : p.pid, name)
    } catch {
      // Gone meanwhile.
    }
  }
  // A pid that is no longer the process it was found as is dropped here, before any signal.
  const stopping = processes.filter(same)
  for (const p of stopping) signal(p, 'SIGTERM')
  const interval = options.pollIntervalMs ?? 50
  const killAt = Date.now() + options.graceMs
  const giveUpAt = killAt + (options.killWaitMs ?? 5000)
  let killed = false
  for (;;) {
    const left = stopping.filter(same)
    if (left.length === 0 || Date.now() >= giveUpAt) break
    if (!killed && Date.now() >= killAt) {
      killed = true
      for (const p of left) signal(p, 'SIGKILL')
    }
    await new Promise((resolve) => setTimeout(resolve, interval))
  }
  // By run, not by name: web.2 of two apps are two dynos.
  const byRun = new Map<string, UnrecordedDyno>()
  for (const p of stopping) {
    const dyno = byRun.get(p.dynoId)
    if (dyno) dyno.processes++
    else byRun.set(p.dynoId, {dynoName: p.dynoName, processes: 1})
  }
  return [...byRun.values()]
}
