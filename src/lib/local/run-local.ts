// `tug local`: the Procfile's processes on this machine through the control plane's own local
// backend, loaded lazily (the CLI reaches src/server only through its entry, and only here).
import type {OutStream} from '../cli/io.js'
import {parseFormation, planProcesses} from './formation.js'
import {PrefixWriter} from './prefix-writer.js'
import {basePort, readEnvFiles, readProcfile} from './project.js'
import {supervise, SYSTEM, type SignalSource} from './supervisor.js'

/** A line longer than this is printed in pieces (a bound on what one unfinished line may hold). */
export const LOCAL_MAX_LINE_LENGTH = 16 * 1024 * 1024

export interface LocalOptions {
  /** TYPE or TYPE=N words; none runs one of each type. */
  formation: readonly string[]
  procfile?: string
  envFiles?: string
  port?: number
  timeoutSeconds: number
  cwd: string
  environment: NodeJS.ProcessEnv
  stdout: OutStream
  color: boolean
  signals: SignalSource
}

/** Resolves with the status to exit with; a mistake in the input throws before anything starts. */
export async function runLocal(options: LocalOptions): Promise<number> {
  const procfile = readProcfile(options.procfile, options.cwd)
  const envVars = readEnvFiles(options.envFiles, options.cwd, procfile.dir)
  const processes = planProcesses(procfile.types, parseFormation(options.formation, procfile.types), basePort(options.port, envVars, options.environment))
  const graceMs = options.timeoutSeconds * 1000
  const {LocalBackend} = await import('../../server/processes.js')
  const backend = new LocalBackend({
    // As Foreman: the whole environment, the .env files over it, then PORT, DYNO and PS.
    baseEnv: definedOnly(options.environment),
    // The commands as written: .profile and .profile.d/ are what a dyno runs at boot, not a checkout.
    profile: false,
    orphanGraceMs: graceMs,
    maxLineLength: LOCAL_MAX_LINE_LENGTH,
  })
  const writer = new PrefixWriter(options.stdout, {names: [SYSTEM, ...processes.map((process) => process.name)], color: options.color})
  return supervise({processes, cwd: procfile.dir, env: envVars, graceMs, starter: backend, writer, signals: options.signals})
}

export function definedOnly(environment: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(environment)) if (value !== undefined) env[key] = value
  return env
}
