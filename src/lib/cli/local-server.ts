// The embedded local control plane: where the CLI points when no remote is configured.
//
// `ensureLocalServer($TUG_HOME)` finds the `tug server` that runs on that directory, or starts one
// in the background and waits until it answers. The server writes `<home>/server.json` (pid, url,
// started_at) atomically once it listens, and removes it on a clean exit. Starting is serialised
// by `<home>/server.lock` (created with O_EXCL), so two CLIs started at the same moment end up on
// the same server: the loser of the lock waits for the winner's server instead of starting its own.
// The API's port is kept in `<home>/api-port` and tried first on the next start, so that URLs
// printed earlier (and git remotes) stay valid across restarts while that port is free.
import {closeSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync} from 'node:fs'
import {createServer} from 'node:net'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {describeNetworkError} from '../api/request.js'
import {API_ACCEPT} from '../../shared/api-types.js'
import {RuntimeError, UsageError} from '../errors.js'
import {childProcess} from '../child-process.js'
import {tugHome} from './paths.js'

export interface LocalTarget {
  url: string
  token: string
}

/** What `tug server` writes to `<home>/server.json` once it listens. */
export interface ServerInfo {
  pid: number
  url: string
  started_at: string
  /** Whether the apps' processes run in the sandbox; absent from servers older than issue 14. */
  sandbox?: boolean
  /** Why not, and what to do about it, when it could not be used. */
  sandbox_note?: string
}

export interface EnsureOptions {
  env?: NodeJS.ProcessEnv
  /** How long to wait for a server to come up (ours or another CLI's). */
  deadlineMs?: number
  /** The command that runs `tug server`; the default is this package's own binary. */
  command?: {file: string; args: string[]}
  fetch?: typeof fetch
  /** A lock older than this whose holder we cannot see is taken to be stale. */
  staleLockMs?: number
  /** Where the one line `Starting the local tug control plane in DIR... done` goes while it starts. */
  progress?: {write(text: string): unknown}
}

export const SERVER_INFO_FILE = 'server.json'
export const LOCK_FILE = 'server.lock'
export const LOG_FILE = 'server.log'
export const ADMIN_TOKEN_FILE = 'admin-token'
export const PORT_FILE = 'api-port'

const POLL_MS = 50

export function serverInfoPath(home: string): string {
  return join(home, SERVER_INFO_FILE)
}

export function readServerInfo(home: string): ServerInfo | undefined {
  let text: string
  try {
    text = readFileSync(serverInfoPath(home), 'utf8')
  } catch {
    return undefined
  }
  try {
    const value = JSON.parse(text) as Partial<ServerInfo>
    if (typeof value.pid === 'number' && typeof value.url === 'string' && typeof value.started_at === 'string') {
      return {
        pid: value.pid,
        url: value.url,
        started_at: value.started_at,
        ...(typeof value.sandbox === 'boolean' ? {sandbox: value.sandbox} : {}),
        ...(typeof value.sandbox_note === 'string' ? {sandbox_note: value.sandbox_note} : {}),
      }
    }
  } catch {
    // A torn or hand-edited file counts as no server; the writer uses rename, so this is rare.
  }
  return undefined
}

/** Written by `tug server` after it listens: temp file + rename, so readers never see half. */
export function writeServerInfo(home: string, info: ServerInfo): void {
  mkdirSync(home, {recursive: true, mode: 0o700})
  const temp = join(home, `.${SERVER_INFO_FILE}.${process.pid}.tmp`)
  const fd = openSync(temp, 'w', 0o600)
  try {
    writeSync(fd, JSON.stringify(info, null, 2) + '\n')
  } finally {
    closeSync(fd)
  }
  renameSync(temp, serverInfoPath(home))
}

/** Removes server.json only if it still names `pid` (a newer server may have replaced it). */
export function removeServerInfo(home: string, pid: number): void {
  if (readServerInfo(home)?.pid === pid) rmSync(serverInfoPath(home), {force: true})
}

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to someone else, which still means alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function readAdminToken(home: string): string | undefined {
  try {
    const token = readFileSync(join(home, ADMIN_TOKEN_FILE), 'utf8').trim()
    return token === '' ? undefined : token
  } catch {
    return undefined
  }
}

/** True when the server at `url` answers an authenticated request with this token. */
export async function probeServer(url: string, token: string, fetchImpl: typeof fetch = fetch): Promise<boolean> {
  return (await probeStatus(url, token, fetchImpl)) === 'ok'
}

/** 'unauthorized': something answers there but refuses the token; 'down': nothing usable answers. */
export async function probeStatus(url: string, token: string, fetchImpl: typeof fetch = fetch): Promise<'ok' | 'unauthorized' | 'down'> {
  return (await probeAccount(url, token, fetchImpl)).status
}

export interface Probe {
  status: 'ok' | 'unauthorized' | 'down'
  /** The account the token belongs to, when it answered. */
  email?: string
  /** Why it is down: an HTTP status or the connection error's code. */
  reason?: string
}

/** `GET /account` with the token, once and briefly (no retries): whether a control plane answers, and as whom. */
export async function probeAccount(url: string, token: string | undefined, fetchImpl: typeof fetch = fetch): Promise<Probe> {
  try {
    const response = await fetchImpl(new URL('/account', url), {
      headers: {Accept: API_ACCEPT, ...(token === undefined ? {} : {Authorization: `Bearer ${token}`})},
      signal: AbortSignal.timeout(2000),
    })
    const text = await response.text()
    if (response.status === 401) return {status: 'unauthorized'}
    if (response.status !== 200) return {status: 'down', reason: `HTTP ${response.status}`}
    let email: string | undefined
    try {
      const body = JSON.parse(text) as {email?: unknown}
      if (typeof body.email === 'string') email = body.email
    } catch {
      // An answer that is not JSON still came from something listening there.
    }
    return {status: 'ok', ...(email === undefined ? {} : {email})}
  } catch (error) {
    return {status: 'down', reason: (error as Error).name === 'TimeoutError' ? 'no answer within 2 s' : describeNetworkError(error)}
  }
}

/** The running server on `home`, if server.json names a live process that answers. */
export async function findRunningServer(home: string, fetchImpl: typeof fetch = fetch): Promise<(LocalTarget & {info: ServerInfo}) | undefined> {
  const info = readServerInfo(home)
  if (!info || !isAlive(info.pid)) return undefined
  const token = readAdminToken(home)
  if (token === undefined) return undefined
  if (!(await probeServer(info.url, token, fetchImpl))) return undefined
  return {url: info.url, token, info}
}

/** The last `count` lines of a file, for error messages ('' when it cannot be read). */
export function tailOfFile(file: string, count = 10): string {
  try {
    const lines = readFileSync(file, 'utf8').split('\n')
    if (lines.at(-1) === '') lines.pop()
    return lines.slice(-count).join('\n')
  } catch {
    return ''
  }
}

function defaultCommand(home: string): {file: string; args: string[]} {
  const here = fileURLToPath(import.meta.url)
  const root = fileURLToPath(new URL('../../../', import.meta.url))
  // --fallback-ports: a second $TUG_HOME's control plane must not point its apps at the first one's router.
  // The API's --port is appended by the caller (the port of the last start, or 0).
  // --sandbox-if-available: the embedded one runs apps in the sandbox when bubblewrap works here, and says why not otherwise.
  const serverArgs = ['server', '--data-dir', home, '--fallback-ports', '--sandbox-if-available']
  // Running from the TypeScript sources (tests, bin/dev.js): start the server the same way.
  if (here.endsWith('.ts')) {
    return {file: process.execPath, args: ['--import', 'tsx', '--no-warnings', join(root, 'bin', 'dev.js'), ...serverArgs]}
  }
  return {file: process.execPath, args: [join(root, 'bin', 'run.js'), ...serverArgs]}
}

interface LockContent {
  pid: number
  created_at: number
}

function readLock(file: string): LockContent | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockContent>
    if (typeof value.pid === 'number' && typeof value.created_at === 'number') return {pid: value.pid, created_at: value.created_at}
  } catch {
    // Empty (its writer is between open and write) or gone: the caller decides by age.
  }
  return undefined
}

function tryLock(file: string): boolean {
  let fd: number
  try {
    fd = openSync(file, 'wx', 0o600)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
  try {
    writeSync(fd, JSON.stringify({pid: process.pid, created_at: Date.now()} satisfies LockContent))
  } finally {
    closeSync(fd)
  }
  return true
}

/**
 * Removes the lock if its holder is gone (or it is older than `staleMs`). The lock is first renamed
 * to a name of our own, so that of two CLIs breaking the same stale lock only one succeeds; if what
 * we moved is not the lock we judged stale (someone re-took it meanwhile), it is put back.
 */
function breakStaleLock(file: string, staleMs: number): void {
  const content = readLock(file)
  let age: number
  try {
    age = Date.now() - statSync(file).mtimeMs
  } catch {
    return
  }
  const stale = content ? !isAlive(content.pid) || age > staleMs : age > 2000
  if (!stale) return
  const aside = `${file}.${process.pid}.stale`
  try {
    renameSync(file, aside)
  } catch {
    return
  }
  const moved = readLock(aside)
  if (content && moved && (moved.pid !== content.pid || moved.created_at !== content.created_at)) {
    try {
      // link() fails if a lock exists again, which is fine: then that one wins.
      linkSync(aside, file)
    } catch {
      // someone holds a newer lock: keep theirs
    }
  }
  rmSync(aside, {force: true})
}

function releaseLock(file: string): void {
  if (readLock(file)?.pid === process.pid) rmSync(file, {force: true})
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** The API port of the last start on `home`, if one was recorded. */
export function readLastPort(home: string): number | undefined {
  try {
    const port = Number(readFileSync(join(home, PORT_FILE), 'utf8').trim())
    return Number.isInteger(port) && port > 0 && port < 65_536 ? port : undefined
  } catch {
    return undefined
  }
}

function writeLastPort(home: string, url: string): void {
  const port = Number(new URL(url).port)
  if (!Number.isInteger(port) || port <= 0) return
  const temp = join(home, `.${PORT_FILE}.${process.pid}.tmp`)
  try {
    const fd = openSync(temp, 'w', 0o600)
    try {
      writeSync(fd, `${port}\n`)
    } finally {
      closeSync(fd)
    }
    renameSync(temp, join(home, PORT_FILE))
  } catch {
    // Only a convenience: the next start takes any free port instead.
    rmSync(temp, {force: true})
  }
}

/** Whether nothing listens on 127.0.0.1:port now (the embedded server's address). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen({port, host: '127.0.0.1', exclusive: true}, () => probe.close(() => resolve(true)))
  })
}

/** `~/…` for a directory under the home directory, as a person would type it. */
function shortPath(dir: string, env: NodeJS.ProcessEnv): string {
  const home = env.HOME
  return home && home !== '/' && (dir === home || dir.startsWith(`${home}/`)) ? `~${dir.slice(home.length)}` : dir
}

/** Finds or starts the local control plane on `home` and returns where it is and its token. */
export async function ensureLocalServer(home: string, options: EnsureOptions = {}): Promise<LocalTarget> {
  const env = options.env ?? process.env
  const fetchImpl = options.fetch ?? fetch
  const deadlineMs = options.deadlineMs ?? 15_000
  const deadline = Date.now() + deadlineMs

  const running = await findRunningServer(home, fetchImpl)
  if (running) return {url: running.url, token: running.token}

  if (env.TUG_NO_AUTOSTART === '1') {
    throw new UsageError(`No tug server is running on ${home}, and TUG_NO_AUTOSTART=1 keeps tug from starting one.`, {
      hint: 'Start one with `tug server` (in another terminal), or set TUG_API_URL and TUG_API_KEY.',
    })
  }

  mkdirSync(home, {recursive: true, mode: 0o700})
  const lockFile = join(home, LOCK_FILE)
  const staleMs = options.staleLockMs ?? deadlineMs + 15_000

  while (!tryLock(lockFile)) {
    // Someone else is starting it: wait for their server, or for the lock to free up.
    const found = await findRunningServer(home, fetchImpl)
    if (found) return {url: found.url, token: found.token}
    breakStaleLock(lockFile, staleMs)
    if (Date.now() > deadline) {
      throw new RuntimeError(`Timed out after ${deadlineMs / 1000} s waiting for another tug to start the local server on ${home}.`, {
        hint: `See ${join(home, LOG_FILE)}, or remove ${lockFile} if no tug is running.`,
      })
    }
    await sleep(POLL_MS)
  }

  try {
    const again = await findRunningServer(home, fetchImpl)
    if (again) return {url: again.url, token: again.token}
    // A live server that refuses the admin token (revoked, or the file was replaced): starting a
    // second server on the same data directory would be worse than saying so.
    const info = readServerInfo(home)
    if (info && isAlive(info.pid) && (await probeStatus(info.url, readAdminToken(home) ?? '', fetchImpl)) === 'unauthorized') {
      throw new RuntimeError(`The tug server on ${home} (pid ${info.pid}) does not accept the token in ${join(home, ADMIN_TOKEN_FILE)}.`, {
        hint: 'Restart it (`tug server:stop`; the next command starts it again with a fresh admin token).',
      })
    }
    const command = options.command ?? defaultCommand(home)
    const withPort = (port: number) => ({file: command.file, args: [...command.args, '--port', String(port)]})
    const progress = options.progress
    progress?.write(`Starting the local tug control plane in ${shortPath(home, env)}... `)
    try {
      const last = readLastPort(home)
      let started: LocalTarget
      if (last !== undefined && (await portFree(last))) {
        try {
          started = await startAndWait(home, withPort(last), deadline, deadlineMs, fetchImpl, env)
        } catch (error) {
          // Taken between the check and the server's listen: any free port is better than failing.
          if (!(error instanceof EarlyExitError)) throw error
          started = await startAndWait(home, withPort(0), deadline, deadlineMs, fetchImpl, env)
        }
      } else {
        started = await startAndWait(home, withPort(0), deadline, deadlineMs, fetchImpl, env)
      }
      writeLastPort(home, started.url)
      progress?.write('done\n')
      // Once: only the CLI that started it says so.
      const note = readServerInfo(home)?.sandbox_note
      if (note !== undefined) progress?.write(`${note}\n`)
      return started
    } catch (error) {
      progress?.write('!\n')
      throw error
    }
  } finally {
    releaseLock(lockFile)
  }
}

/** The server exited before it was ready (a port taken, a bad data directory). */
class EarlyExitError extends RuntimeError {}

async function startAndWait(
  home: string,
  command: {file: string; args: string[]},
  deadline: number,
  deadlineMs: number,
  fetchImpl: typeof fetch,
  env: NodeJS.ProcessEnv,
): Promise<LocalTarget> {
  const logFile = join(home, LOG_FILE)
  const log = openSync(logFile, 'a', 0o600)
  let child
  try {
    writeSync(log, `--- ${new Date().toISOString()} starting: ${[command.file, ...command.args].join(' ')}\n`)
    child = childProcess().spawn(command.file, command.args, {
      detached: true,
      // Not the caller's cwd: the server outlives this CLI, and that directory may go away.
      cwd: home,
      stdio: ['ignore', log, log],
      env: {...env, TUG_NO_AUTOSTART: '1'},
    })
  } finally {
    closeSync(log)
  }
  let exit: {code: number | null; signal: NodeJS.Signals | null} | undefined
  let spawnError: Error | undefined
  child.on('exit', (code, signal) => {
    exit = {code, signal}
  })
  child.on('error', (error) => {
    spawnError = error
  })
  child.unref()

  const failure = (what: string, Kind: typeof RuntimeError = RuntimeError): RuntimeError => {
    const tail = tailOfFile(logFile)
    return new Kind(`The local tug server ${what}. Its log is ${logFile}${tail ? `; the last lines:\n${tail}` : '.'}`, {
      hint: 'Run `tug server` in a terminal to see why, or set TUG_API_URL to use another control plane.',
    })
  }

  while (true) {
    if (spawnError) throw failure(`could not be started (${spawnError.message})`)
    if (exit) throw failure(`exited before it was ready (${exit.signal ?? `code ${exit.code}`})`, EarlyExitError)
    const info = readServerInfo(home)
    if (info && info.pid === child.pid) {
      const token = readAdminToken(home)
      if (token !== undefined && (await probeServer(info.url, token, fetchImpl))) return {url: info.url, token}
    }
    if (Date.now() > deadline) {
      // Leave nothing half-started behind: the next CLI will try again from scratch.
      if (child.pid !== undefined && isAlive(child.pid)) process.kill(child.pid, 'SIGTERM')
      throw failure(`did not become ready within ${deadlineMs / 1000} s`)
    }
    await sleep(POLL_MS)
  }
}

/** `tug server:stop`: SIGTERM to the server on `home`, then wait until it has gone. */
export async function stopLocalServer(home: string, options: {deadlineMs?: number} = {}): Promise<{stopped: boolean; pid?: number}> {
  const info = readServerInfo(home)
  if (!info || !isAlive(info.pid)) {
    if (info) rmSync(serverInfoPath(home), {force: true})
    return {stopped: false}
  }
  const deadline = Date.now() + (options.deadlineMs ?? 15_000)
  process.kill(info.pid, 'SIGTERM')
  while (isAlive(info.pid)) {
    if (Date.now() > deadline) {
      throw new RuntimeError(`The tug server (pid ${info.pid}) did not stop within ${(options.deadlineMs ?? 15_000) / 1000} s.`, {
        hint: `Its log is ${join(home, LOG_FILE)}; \`kill -9 ${info.pid}\` stops it for good.`,
      })
    }
    await sleep(POLL_MS)
  }
  removeServerInfo(home, info.pid)
  return {stopped: true, pid: info.pid}
}

/** The data directory a `server*` command works on: `--data-dir` (made absolute) or `$TUG_HOME`'s default. */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  return flag === undefined ? tugHome(env) : resolve(cwd, flag)
}

// The control plane's entry, only ever loaded dynamically (the layering check holds the CLI to it).
const loadServer = () => import('../../server/index.js')
type ServerModule = Awaited<ReturnType<typeof loadServer>>

/**
 * The data directory's store, for `tug server:tokens` (which works whether or not a server runs:
 * SQLite's WAL and busy timeout let both use the file). Loaded lazily: other commands never pay
 * for the native SQLite module.
 */
export async function openDataDirStore(dataDir: string): Promise<{
  store: InstanceType<ServerModule['Store']>
  admin: ReturnType<ServerModule['ensureAdmin']>['account']
}> {
  const {ADMIN_EMAIL, DATABASE_FILE, ensureAdmin, Store} = await loadServer()
  if (!existsSync(join(dataDir, DATABASE_FILE))) {
    throw new UsageError(`No tug data directory at ${dataDir} (no ${DATABASE_FILE} there).`, {
      hint: 'Start a server on it once with `tug server --data-dir DIR`, or pass the right --data-dir.',
    })
  }
  const store = new Store({path: join(dataDir, DATABASE_FILE)})
  try {
    const admin = store.accounts.findByEmail(ADMIN_EMAIL) ?? ensureAdmin(store, dataDir).account
    return {store, admin}
  } catch (error) {
    store.close()
    throw error
  }
}
