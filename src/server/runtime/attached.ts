// Attached one-off dynos on the local machine (`tug run`): the command runs with stdin wired,
// either under a pseudo-terminal (node-pty) or with three pipes, in a process group of its own
// (a pty child is a session leader, so its group is its pid too). What is returned looks like a
// ChildProcess to LocalDynoHandle (pid, stdout, stderr, 'exit'), so the group signalling, the
// line-by-line copy into the app's log and the exit bookkeeping stay the local backend's, and a
// `DynoIo` through which the attach session reads and writes bytes.
//
// Output starts paused: nothing is read from the process until a client attaches and resumes it,
// and a slow client pauses it again. The process then blocks on a full pipe or terminal, which is
// the only bounded way to hold output back: buffering it here would grow without limit.
import {spawn as nodeSpawn, type ChildProcess} from 'node:child_process'
import {EventEmitter} from 'node:events'
import {closeSync, constants as fsConstants, openSync} from 'node:fs'
import {createRequire} from 'node:module'
import {constants as osConstants} from 'node:os'
import {PassThrough, Readable} from 'node:stream'

import type {DynoHandle, DynoIo, DynoIoStream, DynoSpec} from './backend.js'
import {signalDyno} from './process-groups.js'

/** What LocalDynoHandle needs of a child process. */
export interface ChildLike {
  readonly pid?: number
  readonly stdout: Readable | null
  readonly stderr: Readable | null
  on(event: 'error', listener: (error: Error) => void): unknown
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown
  once(event: 'error', listener: (error: Error) => void): unknown
}

export interface AttachedProcess {
  child: ChildLike
  io: DynoIo
}

export const DEFAULT_COLUMNS = 80
export const DEFAULT_ROWS = 24
/** Pty output kept readable while the client is slow, before the terminal itself is paused. */
const PTY_HIGH_WATER = 256 * 1024
/** How often a paused pty checks whether its process is gone (node-pty drops a paused terminal's
 * unread output 200 ms after the exit, so a paused terminal must be drained as soon as it exits). */
const PTY_EXIT_POLL_MS = 20

interface PtyModule {
  spawn(
    file: string,
    args: string[],
    options: {name?: string; cols?: number; rows?: number; cwd?: string; env?: Record<string, string>; encoding?: null},
  ): PtyProcess
}

interface PtyProcess {
  readonly pid: number
  /** The slave's path (`/dev/pts/N`); node-pty's UnixTerminal has it. */
  readonly ptsName?: string
  onData(listener: (data: Buffer | string) => void): unknown
  onExit(listener: (event: {exitCode: number; signal?: number}) => void): unknown
  write(data: Buffer | string): void
  resize(cols: number, rows: number): void
  pause(): void
  resume(): void
  kill(signal?: string): void
}

let ptyModule: PtyModule | null | undefined

/** node-pty when it is installed and built; null otherwise (attached dynos then use pipes). */
export function loadPty(): PtyModule | null {
  if (ptyModule === undefined) {
    try {
      ptyModule = createRequire(import.meta.url)('node-pty') as PtyModule
    } catch {
      ptyModule = null
    }
  }
  return ptyModule
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isInteger(value) && value > 0 && value < 10_000 ? value : fallback
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals, sparesLeader: boolean): void {
  if (pid !== undefined) signalDyno(pid, signal, sparesLeader)
}

/** Calls `listener` once every stream has closed, also when some closed before this call. */
function whenClosed(streams: Array<Readable | null>, listener: () => void): void {
  const open = streams.filter((s): s is Readable => s !== null && !s.closed)
  let left = open.length
  if (left === 0) {
    queueMicrotask(listener)
    return
  }
  for (const stream of open) {
    stream.once('close', () => {
      if (--left === 0) listener()
    })
  }
}

/** What to run: `shell -c command` in the code directory, or the sandbox's command line (sandbox.ts). */
export interface AttachedCommand {
  file: string
  args: string[]
  cwd: string
  /** The sandbox's outer bwrap leads the group: signals go past it (signalDyno). */
  sparesLeader?: boolean
}

/** Starts `command` attached: under a pty when `spec.stdio.tty` and node-pty loads. */
export function spawnAttached(command: AttachedCommand, spec: DynoSpec, env: Record<string, string>): AttachedProcess {
  const stdio = spec.stdio ?? {tty: false}
  const pty = stdio.tty ? loadPty() : null
  if (pty) return spawnPty(pty, command, spec, env)
  return spawnPipes(command, env)
}

/**
 * A child process whose output streams are gates of our own: Node resumes a child's own stdout and
 * stderr when it exits (to let them drain), which would pour output nobody reads yet into the log
 * only. Piping through a PassThrough keeps the pause, with one buffer of slack.
 */
class PipeChild extends EventEmitter implements ChildLike {
  readonly stdout: PassThrough | null
  readonly stderr: PassThrough | null

  constructor(readonly child: ChildProcess) {
    super()
    this.stdout = child.stdout ? child.stdout.pipe(new PassThrough()) : null
    this.stderr = child.stderr ? child.stderr.pipe(new PassThrough()) : null
    // Paused before anyone listens: adding a 'data' listener does not resume an explicitly paused stream.
    this.stdout?.pause()
    this.stderr?.pause()
    child.on('error', (error) => this.emit('error', error))
    child.once('exit', (code, signal) => this.emit('exit', code, signal))
  }

  get pid(): number | undefined {
    return this.child.pid
  }
}

function spawnPipes(command: AttachedCommand, env: Record<string, string>): AttachedProcess {
  const child = new PipeChild(nodeSpawn(command.file, command.args, {cwd: command.cwd, env, detached: true, stdio: ['pipe', 'pipe', 'pipe']}))
  const stdin = child.child.stdin
  const outputs = [child.stdout, child.stderr]
  // A process that exits without reading its input makes our writes fail with EPIPE: not an error.
  stdin?.on('error', () => {})
  const io: DynoIo = {
    tty: false,
    onData(listener) {
      child.stdout?.on('data', (chunk: Buffer) => listener('stdout', chunk))
      child.stderr?.on('data', (chunk: Buffer) => listener('stderr', chunk))
    },
    onEnd: (listener) => whenClosed(outputs, listener),
    pause: () => outputs.forEach((s) => s?.pause()),
    resume: () => outputs.forEach((s) => s?.resume()),
    write: (data) => (stdin && !stdin.destroyed && !stdin.writableEnded ? stdin.write(data) : true),
    onDrain: (listener) => void stdin?.on('drain', listener),
    endInput: () => {
      if (stdin && !stdin.writableEnded) stdin.end()
    },
    resize: () => {},
    signal: (signal) => signalGroup(child.pid, signal, command.sparesLeader === true),
  }
  return {child, io}
}

/** node-pty's terminal, dressed as a child process whose stdout is the terminal's output. */
class PtyChild extends EventEmitter implements ChildLike {
  readonly pid: number
  readonly stdout: Readable
  readonly stderr = null
  private paused = false
  /** The process is gone: what is left is bounded by the kernel's buffer, so it is never paused again. */
  private gone = false
  private exitPoll: NodeJS.Timeout | undefined

  /** Our own descriptor of the terminal's slave side, see below. */
  private slave: number | undefined

  constructor(readonly term: PtyProcess) {
    super()
    this.pid = term.pid
    // Linux drops what the master has not read yet once the last slave descriptor closes (the
    // process exited): holding one open keeps the tail of the output readable until we read it.
    try {
      if (term.ptsName) this.slave = openSync(term.ptsName, fsConstants.O_RDWR | fsConstants.O_NOCTTY)
    } catch {
      this.slave = undefined
    }
    this.stdout = new Readable({
      highWaterMark: PTY_HIGH_WATER,
      read: () => this.resumeTerm(),
    })
    term.onData((data) => {
      if (!this.stdout.push(typeof data === 'string' ? Buffer.from(data, 'utf8') : data)) this.pauseTerm()
    })
    term.onExit(({exitCode, signal}) => {
      clearInterval(this.exitPoll)
      this.closeSlave()
      this.stdout.push(null)
      const name = signal ? signalName(signal) : null
      // After the Readable has ended, so that LocalDynoHandle drains before it finishes.
      setImmediate(() => this.emit('exit', name ? null : exitCode, name))
    })
  }

  private closeSlave(): void {
    if (this.slave === undefined) return
    try {
      closeSync(this.slave)
    } catch {
      // already closed
    }
    this.slave = undefined
  }

  private pauseTerm(): void {
    if (this.paused || this.gone) return
    this.paused = true
    this.term.pause()
    this.exitPoll = setInterval(() => {
      try {
        process.kill(this.pid, 0)
      } catch {
        // Gone: what is left in the terminal is bounded by the kernel's buffer, read it now.
        this.gone = true
        this.resumeTerm()
      }
    }, PTY_EXIT_POLL_MS)
  }

  private resumeTerm(): void {
    clearInterval(this.exitPoll)
    if (!this.paused) return
    this.paused = false
    this.term.resume()
  }
}

function signalName(number: number): NodeJS.Signals | null {
  for (const [name, value] of Object.entries(osConstants.signals)) if (value === number) return name as NodeJS.Signals
  return null
}

function spawnPty(pty: PtyModule, command: AttachedCommand, spec: DynoSpec, env: Record<string, string>): AttachedProcess {
  const cols = positive(spec.stdio?.cols ?? Number(env.COLUMNS), DEFAULT_COLUMNS)
  const rows = positive(spec.stdio?.rows ?? Number(env.LINES), DEFAULT_ROWS)
  const term = pty.spawn(command.file, command.args, {name: env.TERM || 'xterm-256color', cols, rows, cwd: command.cwd, env, encoding: null})
  const child = new PtyChild(term)
  child.stdout.pause()
  let exited = false
  child.once('exit', () => (exited = true))
  const io: DynoIo = {
    tty: true,
    onData: (listener: (stream: DynoIoStream, chunk: Buffer) => void) => void child.stdout.on('data', (chunk: Buffer) => listener('stdout', chunk)),
    onEnd: (listener) => whenClosed([child.stdout], listener),
    pause: () => void child.stdout.pause(),
    resume: () => void child.stdout.resume(),
    write: (data) => {
      if (!exited) term.write(data)
      return true
    },
    onDrain: () => {},
    // VEOF: the terminal's line discipline turns it into end of input for the reader.
    endInput: () => {
      if (!exited) term.write(Buffer.from([0x04]))
    },
    resize: (c, r) => {
      if (!exited) term.resize(positive(c, cols), positive(r, rows))
    },
    signal: (signal) => signalGroup(term.pid, signal, command.sparesLeader === true),
  }
  return {child, io}
}

/** An attachable session handed out for a one-off before it starts (src/server/attach/hub.ts). */
export interface AttachTicket {
  /** `rendezvous://host:port/<secret>`. */
  readonly attachUrl: string
  /** The command to run: the client's, less the exit-status echo that the session reports itself. */
  readonly command: string
  readonly tty: boolean
  /** The dyno record the session is for, once it is written. */
  assign(dynoId: string, dynoName: string): void
  /** Its process runs: a client may now read and write it. */
  bind(handle: DynoHandle): void
  /** It could not start: a client that attaches is told so. */
  fail(): void
}

export interface AttachBroker {
  open(input: {appId: string; command: string; tty: boolean}): AttachTicket
}
