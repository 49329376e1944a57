// `tug local:run CMD`: one command with the `.env` variables and a PORT, on tug's own terminal.
// It stays in tug's process group, so the terminal's Ctrl-C and job control reach it directly (as
// a shell's foreground job); tug only waits, passes SIGTERM and SIGHUP on, and exits with its status.
import {spawn} from 'node:child_process'
import {dirname, resolve} from 'node:path'

import {findShell} from '../../shared/find-shell.js'
import {RuntimeError} from '../errors.js'
import {basePort, readEnvFiles} from './project.js'
import {definedOnly} from './run-local.js'
import {exitStatus, type SignalSource, type StopSignal} from './supervisor.js'

export interface AttachedRun {
  command: string
  cwd: string
  env: Record<string, string | undefined>
  signals: SignalSource
}

export interface LocalCommand {
  command: string
  /** -f: the command runs in this Procfile's directory and reads the .env there; else in `cwd`. */
  procfile?: string
  /** -e: comma-separated env files (relative to `cwd`). */
  envFiles?: string
  /** -p: PORT for the command; else PORT from .env or the environment, else 5000. */
  port?: number
  cwd: string
  environment: NodeJS.ProcessEnv
  signals: SignalSource
}

/** `tug local:run`: resolves with the command's status; a malformed .env throws before it starts. */
export async function runLocalCommand(options: LocalCommand): Promise<number> {
  const dir = options.procfile === undefined ? options.cwd : dirname(resolve(options.cwd, options.procfile))
  const envVars = readEnvFiles(options.envFiles, options.cwd, dir)
  const port = basePort(options.port, envVars, options.environment)
  const env = {...definedOnly(options.environment), ...envVars, PORT: String(port)}
  return runAttached({command: options.command, cwd: dir, env, signals: options.signals})
}

export async function runAttached(run: AttachedRun): Promise<number> {
  const child = spawn(findShell(run.env.PATH), ['-c', run.command], {cwd: run.cwd, env: run.env, stdio: 'inherit'})
  const forward = (signal: StopSignal) => () => {
    // SIGINT from the terminal has reached the command already: a second copy would count twice.
    if (signal !== 'SIGINT') child.kill(signal)
  }
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => [signal, forward(signal)] as const)
  for (const [signal, handler] of handlers) run.signals.on(signal, handler)
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', (error) => reject(new RuntimeError(`Cannot run ${run.command}: ${error.message}.`)))
      child.once('exit', (code, signal) => resolve(exitStatus({code, signal})))
    })
  } finally {
    for (const [signal, handler] of handlers) run.signals.removeListener(signal, handler)
  }
}
