// A server process an add-on provider runs (a redis-server, the embedded postgres): started and
// waited for until it answers, restarted with a back-off when it dies, stopped on request. Each
// runs as an unprivileged service user in its own directory under the data directory, which that
// user could not reach by path (the data directory is root's, 0700): the child is spawned with
// that directory as its working directory before it drops to the user (libuv chdirs, then
// setgid/setuid), and everything it opens is relative to it.
import {spawn, type ChildProcess} from 'node:child_process'
import {closeSync, existsSync, openSync, readFileSync, readSync, fstatSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

export interface ServiceUser {
  uid: number
  gid: number
}

export interface SupervisedOptions {
  /** For messages: `redis-server of redis-shiny-1234`. */
  label: string
  command: string
  args: string[]
  /** What its command line holds once running (default: `command`'s base name), to find a leftover by. */
  processName?: string
  /** The process's own directory: its working directory, where its pid and log files are. */
  dir: string
  user?: ServiceUser
  env?: NodeJS.ProcessEnv
  /** True once the process serves (a connection and a ping). */
  probe: () => Promise<boolean>
  /** How long a start may take to answer (default 30 s). */
  readyTimeoutMs?: number
  /** SIGTERM by default; postgres shuts down fast (and cleanly) on SIGINT. */
  stopSignal?: NodeJS.Signals
  /** After this, SIGKILL (default 15 s). */
  stopTimeoutMs?: number
  warn: (message: string) => void
}

export const PID_FILE = 'supervised.pid'
export const LOG_FILE = 'server.log'
const MAX_BACKOFF_MS = 30_000
/** Up this long, a process's next crash restarts it at once again. */
const STABLE_MS = 60_000

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The last bytes of a file, for an error message. */
export function tail(path: string, bytes = 2000): string {
  if (!existsSync(path)) return ''
  const fd = openSync(path, 'r')
  try {
    const size = fstatSync(fd).size
    const length = Math.min(size, bytes)
    const buffer = Buffer.alloc(length)
    readSync(fd, buffer, 0, length, size - length)
    return buffer.toString('utf8').trim()
  } finally {
    closeSync(fd)
  }
}

/**
 * Stops what a previous control plane left running in `dir` (it was killed before it could
 * stop it): the pid file names it, and it is only signalled while its command line is still
 * `command`'s, so a recycled pid is never hit.
 */
export async function stopLeftover(dir: string, command: string, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<void> {
  const pidFile = join(dir, PID_FILE)
  if (!existsSync(pidFile)) return
  const pid = Number(readFileSync(pidFile, 'utf8').trim())
  rmSync(pidFile, {force: true})
  if (!Number.isSafeInteger(pid) || pid <= 1) return
  const base = command.split('/').pop() ?? command
  let cmdline = ''
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    return
  }
  if (!cmdline.includes(base)) return
  try {
    process.kill(pid, signal)
  } catch {
    return
  }
  const deadline = Date.now() + timeoutMs
  while (alive(pid) && Date.now() < deadline) await delay(50)
  if (alive(pid)) process.kill(pid, 'SIGKILL')
  while (alive(pid)) await delay(20)
}

export class SupervisedProcess {
  private child: ChildProcess | undefined
  private stopping = false
  private backoffMs = 0
  private restartTimer: NodeJS.Timeout | undefined
  private exited: Promise<void> = Promise.resolve()

  constructor(private readonly options: SupervisedOptions) {}

  get pid(): number | undefined {
    return this.child?.pid
  }

  /** Spawns it and resolves once it answers; rejects (and stops it) if it exits or stays silent. */
  async start(): Promise<void> {
    this.stopping = false
    await stopLeftover(this.options.dir, this.options.processName ?? this.options.command, this.options.stopSignal)
    const child = this.spawnOnce()
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))))
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 30_000)
    let exitedEarly = false
    void exit.then(() => {
      exitedEarly = true
    })
    while (!exitedEarly) {
      if (await this.options.probe().catch(() => false)) return
      if (Date.now() > deadline) break
      await delay(50)
    }
    const log = tail(join(this.options.dir, LOG_FILE))
    if (!exitedEarly) await this.stop()
    throw new Error(`${this.options.label} ${exitedEarly ? 'exited at start' : 'did not answer in time'}${log ? `: ${log.split('\n').slice(-5).join(' | ')}` : ''}`)
  }

  private spawnOnce(): ChildProcess {
    const {dir, user} = this.options
    const log = openSync(join(dir, LOG_FILE), 'a', 0o600)
    let child: ChildProcess
    try {
      child = spawn(this.options.command, this.options.args, {
        cwd: dir,
        env: this.options.env ?? {PATH: '/usr/bin:/bin', LANG: 'C.UTF-8'},
        // Its own process group: a Ctrl-C at the terminal reaches the control plane, which stops
        // its servers in order, not every server at once.
        detached: true,
        stdio: ['ignore', log, log],
        ...(user ? {uid: user.uid, gid: user.gid} : {}),
      })
    } finally {
      closeSync(log)
    }
    this.child = child
    if (child.pid !== undefined) writeFileSync(join(dir, PID_FILE), `${child.pid}\n`, {mode: 0o600})
    const startedAt = Date.now()
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = undefined
        resolve()
        if (this.stopping) return
        // A crash: said once, restarted after a back-off that resets once it has stayed up.
        if (Date.now() - startedAt > STABLE_MS) this.backoffMs = 0
        this.options.warn(`${this.options.label} exited (${signal ?? `status ${code}`}); restarting in ${this.backoffMs / 1000} s`)
        this.restartTimer = setTimeout(() => {
          this.restartTimer = undefined
          if (!this.stopping) this.spawnOnce()
        }, this.backoffMs)
        this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(1000, this.backoffMs * 2))
      })
    })
    child.once('error', (error) => this.options.warn(`${this.options.label}: ${error.message}`))
    return child
  }

  /** Stops it (and any pending restart) and resolves once it has exited. */
  async stop(): Promise<void> {
    this.stopping = true
    if (this.restartTimer) clearTimeout(this.restartTimer)
    this.restartTimer = undefined
    const child = this.child
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const kill = setTimeout(() => child.kill('SIGKILL'), this.options.stopTimeoutMs ?? 15_000)
      child.kill(this.options.stopSignal ?? 'SIGTERM')
      await this.exited
      clearTimeout(kill)
    }
    rmSync(join(this.options.dir, PID_FILE), {force: true})
  }
}
