// The control plane's file descriptors and how its listeners share them. The router, the API and
// the rendezvous listener live in one process under one RLIMIT_NOFILE: with no cap, ~20,000 idle
// connections to the public router port took every descriptor and the API could accept nothing
// (issue 14). So the soft limit is raised to the hard one at start, and each listener gets a cap
// that leaves descriptors for the others; the router's is what remains.
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'

export interface FileLimit {
  soft: number
  hard: number
  /** The soft limit before this process raised it. */
  raisedFrom?: number
  /** Why it could not be raised (prlimit missing or refused), said once at start. */
  note?: string
}

/** RLIMIT_NOFILE of a process, from /proc/<pid>/limits; undefined where there is no /proc. */
export function readFileLimit(pid: number | 'self' = 'self'): {soft: number; hard: number} | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/limits`, 'utf8')
  } catch {
    return undefined
  }
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text)
  if (!match) return undefined
  const value = (s: string): number => (s === 'unlimited' ? Number.POSITIVE_INFINITY : Number.parseInt(s, 10))
  return {soft: value(match[1] as string), hard: value(match[2] as string)}
}

/**
 * Raises this process's soft descriptor limit to its hard one. Node has no setrlimit, so this
 * runs util-linux's `prlimit --pid <own pid>`; best effort: a missing or failing prlimit leaves
 * the limit as it is and says why in `note`. (Node itself raises the soft limit at start on most
 * builds, so usually there is nothing to do.) `pid` and `run` are for tests.
 */
export function raiseFileLimit(options: {pid?: number; run?: (file: string, args: string[]) => void} = {}): FileLimit {
  const pid = options.pid ?? process.pid
  const run = options.run ?? runQuietly
  const read = (): {soft: number; hard: number} | undefined => readFileLimit(options.pid ?? 'self')
  const before = read()
  if (!before) return {soft: FALLBACK_LIMIT, hard: FALLBACK_LIMIT, note: `no /proc/self/limits: assuming ${FALLBACK_LIMIT} descriptors`}
  if (before.soft >= before.hard) return before
  // A hard limit of "unlimited" is capped by the kernel's nr_open.
  const target = Number.isFinite(before.hard) ? before.hard : nrOpen()
  try {
    run('prlimit', ['--pid', String(pid), `--nofile=${target}:${Number.isFinite(before.hard) ? target : 'unlimited'}`])
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'prlimit is not installed (util-linux)' : `prlimit failed: ${(error as Error).message.split('\n')[0] ?? ''}`
    return {...before, note: `${why}; raise it with \`ulimit -n ${target}\` before starting`}
  }
  const after = read() ?? before
  return after.soft > before.soft ? {...after, raisedFrom: before.soft} : {...after, note: `prlimit left the soft limit at ${after.soft}`}
}

function runQuietly(file: string, args: string[]): void {
  execFileSync(file, args, {stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000})
}

function nrOpen(): number {
  try {
    return Number.parseInt(readFileSync('/proc/sys/fs/nr_open', 'utf8'), 10) || 1_048_576
  } catch {
    return 1_048_576
  }
}

const FALLBACK_LIMIT = 1024

/** The connection caps of the three listeners, from the descriptor limit. */
export interface ConnectionCaps {
  api: number
  router: number
  /** Connections one client address may hold on the router. */
  routerPerAddress: number
  rendezvous: number
  /** Descriptors kept for what is not a listener's connection: dynos' pipes, the router's connections to dynos, SQLite, logs, drains. */
  reserve: number
}

export const MAX_API_CONNECTIONS = 1000
export const MAX_ROUTER_CONNECTIONS = 10_000
export const MAX_RENDEZVOUS_CONNECTIONS = 256
export const ROUTER_CONNECTIONS_PER_ADDRESS = 256
/** Dynos (3-4 pipes each, and the router's keep-alive pool to each web dyno), SQLite, log files, drains. */
export const MAX_RESERVE = 2304

/**
 * The API gets 1,000 connections, the rendezvous listener 256, the reserve 2,304 (each at most an
 * eighth, a sixteenth and a quarter of the limit, for small limits). The router gets half of what
 * is left, since a request in flight holds two descriptors (the client's and the dyno's), at most
 * 10,000. With 20,000 descriptors: API 1,000, rendezvous 256, reserve 2,304, router 8,220; so a
 * full router, every connection of it in flight, still leaves the API its own.
 */
export function connectionCaps(limit: number): ConnectionCaps {
  const fds = Number.isFinite(limit) ? Math.max(64, Math.floor(limit)) : nrOpen()
  const api = Math.min(MAX_API_CONNECTIONS, Math.floor(fds / 8))
  const rendezvous = Math.min(MAX_RENDEZVOUS_CONNECTIONS, Math.floor(fds / 16))
  const reserve = Math.min(MAX_RESERVE, Math.floor(fds / 4))
  const router = Math.max(1, Math.min(MAX_ROUTER_CONNECTIONS, Math.floor((fds - api - rendezvous - reserve) / 2)))
  return {api, router, routerPerAddress: Math.min(ROUTER_CONNECTIONS_PER_ADDRESS, router), rendezvous, reserve}
}

/** The line `tug server` prints at start. */
export function describeFileLimit(limit: FileLimit, caps: ConnectionCaps): string {
  const raised = limit.raisedFrom === undefined ? '' : ` (raised from ${limit.raisedFrom})`
  const note = limit.note === undefined ? '' : ` (${limit.note})`
  return `${limit.soft}${raised}${note}; connections: API ${caps.api}, router ${caps.router} (${caps.routerPerAddress} per address), rendezvous ${caps.rendezvous}`
}

/** Time an API client has to send a request's headers (node looks every 30 s, so 10-40 s in effect). */
export const API_HEADERS_TIMEOUT_MS = 10_000
