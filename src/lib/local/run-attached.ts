// `tug local:run CMD`: one command with the `.env` variables and a PORT, on tug's own terminal.
// It stays in tug's process group, so the terminal's Ctrl-C and job control reach it directly (as
// a shell's foreground job); tug only waits, passes SIGTERM and SIGHUP on, and exits with its status.
import {spawn} from 'node:child_process'

import {findShell} from '../../shared/find-shell.js'
import {RuntimeError} from '../errors.js'
import {exitStatus, type SignalSource, type StopSignal} from './supervisor.js'

export interface AttachedRun {
  command: string
  cwd: string
  env: Record<string, string | undefined>
  signals: SignalSource
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
