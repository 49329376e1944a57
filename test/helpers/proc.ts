// The process table as Linux shows it in /proc, for the e2e tests that look at what really runs
// (not at what the API says). A process can go between the listing and the reading, so each
// reader gives undefined for a process gone (or not ours to read) instead of throwing.
import {readdirSync, readFileSync} from 'node:fs'

export interface ProcStat {
  /** R, S, D, T, Z (a zombie: exited, not reaped yet)… */
  state: string
  ppid: number
  pgid: number
}

/** The pids of the processes running now. */
export function listPids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
}

/** State, parent and process group of `pid`, from /proc/<pid>/stat. */
export function procStat(pid: number): ProcStat | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so read after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return {state: fields[0] ?? '', ppid: Number(fields[1]), pgid: Number(fields[2])}
}

/** The environment of `pid` as its `KEY=value` entries. */
export function procEnviron(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
  } catch {
    return undefined
  }
}

/** The pids whose environment holds exactly `entry` (`KEY=value`): the processes carrying a tag. */
export function pidsWithEnv(entry: string): number[] {
  return listPids().filter((pid) => procEnviron(pid)?.includes(entry) ?? false)
}
