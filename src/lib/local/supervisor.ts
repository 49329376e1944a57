// `tug local`'s process control, Foreman's rules: every process starts; the first one to exit
// stops the others (SIGTERM to each process group, SIGKILL after the grace) and its status is
// tug's; SIGINT, SIGTERM or SIGHUP to tug stops them all the same way, and a second one kills them
// at once. The processes run through the control plane's local backend (LocalBackend, given as a
// `ProcessStarter`): each in its own process group, every child of it stopped with it, every line
// it wrote delivered before its exit is reported.
import {constants} from 'node:os'

import type {LocalProcess} from './formation.js'
import type {PrefixWriter} from './prefix-writer.js'

export interface ProcessExit {
  code: number | null
  signal: string | null
}

/** What the supervisor needs of a running process: the runtime's DynoHandle, and its output pause. */
export interface ProcessHandle {
  onOutput(listener: (stream: 'stdout' | 'stderr', line: string) => void): () => void
  readonly exited: Promise<ProcessExit>
  stop(options: {signal?: NodeJS.Signals; graceMs: number}): Promise<void>
  describe(): {pid?: number}
  pauseOutput?(): void
  resumeOutput?(): void
}

/** The runtime's DynoSpec, as `tug local` fills it. */
export interface ProcessSpec {
  appId: string
  appName: string
  dynoName: string
  type: string
  command: string
  cwd: string
  env: Record<string, string>
  port: number
  releaseVersion: number
}

export interface ProcessStarter {
  start(spec: ProcessSpec): Promise<ProcessHandle>
}

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP'

export interface SignalSource {
  on(signal: StopSignal, listener: () => void): unknown
  removeListener(signal: StopSignal, listener: () => void): unknown
}

export interface SuperviseOptions {
  processes: readonly LocalProcess[]
  /** Where the commands run (the Procfile's directory); also the app name the backend is given. */
  cwd: string
  /** The `.env` variables; PORT, DYNO and PS are added per process. */
  env: Record<string, string>
  graceMs: number
  starter: ProcessStarter
  writer: PrefixWriter
  signals: SignalSource
}

const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
export const SYSTEM = 'system'

/** Runs the processes until they are all over; resolves with the status `tug local` exits with. */
export async function supervise(options: SuperviseOptions): Promise<number> {
  const {writer, graceMs} = options
  const running = new Map<string, ProcessHandle>()
  const exits: Array<Promise<void>> = []
  let status: number | undefined
  let stopping = false
  let killed = false
  let held = false
  let killNotice: NodeJS.Timeout | undefined

  const stopAll = (): void => {
    if (stopping) return
    stopping = true
    writer.line(SYSTEM, 'sending SIGTERM to all processes')
    for (const handle of running.values()) void handle.stop({graceMs})
    // The handles send SIGKILL themselves at the end of the grace; this only says so.
    killNotice = setTimeout(() => {
      if (running.size > 0) writer.line(SYSTEM, 'sending SIGKILL to all processes')
    }, graceMs)
  }
  const killAll = (): void => {
    if (killed) return
    killed = true
    writer.line(SYSTEM, 'sending SIGKILL to all processes')
    for (const handle of running.values()) void handle.stop({signal: 'SIGKILL', graceMs: 0})
  }
  const handlers = STOP_SIGNALS.map((signal) => {
    const handler = (): void => {
      if (stopping) return killAll()
      writer.line(SYSTEM, `${signal} received`)
      status ??= 128 + constants.signals[signal]
      stopAll()
    }
    options.signals.on(signal, handler)
    return [signal, handler] as const
  })
  // Nobody reads the output any more: stop as on SIGPIPE, which is what would end Foreman here.
  writer.onClose(() => {
    status ??= 128 + constants.signals.SIGPIPE
    stopAll()
  })
  // A terminal that falls behind holds every process's output, so that no line waits in memory.
  writer.onHold((value) => {
    held = value
    for (const handle of running.values()) {
      if (value) handle.pauseOutput?.()
      else handle.resumeOutput?.()
    }
  })

  try {
    for (const planned of options.processes) {
      if (stopping) break
      let handle: ProcessHandle
      try {
        handle = await options.starter.start({
          appId: 'local',
          appName: 'local',
          dynoName: planned.name,
          type: planned.type,
          // One pipe for both streams, as Foreman does: the lines keep the order the process wrote them in.
          command: `exec 2>&1; ${planned.command}`,
          cwd: options.cwd,
          env: options.env,
          port: planned.port,
          releaseVersion: 0,
        })
      } catch (error) {
        writer.line(SYSTEM, `${planned.name} could not start: ${(error as Error).message}`)
        status ??= 1
        stopAll()
        break
      }
      running.set(planned.name, handle)
      if (held) handle.pauseOutput?.()
      const pid = handle.describe().pid
      writer.line(planned.name, pid === undefined ? 'started' : `started with pid ${pid}`)
      handle.onOutput((_stream, line) => writer.line(planned.name, line))
      exits.push(
        handle.exited.then((exit) => {
          running.delete(planned.name)
          writer.line(planned.name, describeExit(exit))
          status ??= exitStatus(exit)
          stopAll()
        }),
      )
      if (stopping) void handle.stop(killed ? {signal: 'SIGKILL', graceMs: 0} : {graceMs})
    }
    await Promise.all(exits)
  } finally {
    clearTimeout(killNotice)
    for (const [signal, handler] of handlers) options.signals.removeListener(signal, handler)
  }
  // Every line of every process is in the writer now: it goes out before tug exits.
  await writer.drained()
  return status ?? 0
}

/** A shell's `$?` for the exit: the code, or 128 + the signal's number. */
export function exitStatus(exit: ProcessExit): number {
  if (exit.code !== null) return exit.code
  const number = exit.signal === null ? undefined : constants.signals[exit.signal as NodeJS.Signals]
  return number === undefined ? 1 : 128 + number
}

function describeExit(exit: ProcessExit): string {
  return exit.code !== null ? `exited with code ${exit.code}` : `terminated by ${exit.signal ?? 'a signal'}`
}
