// What `tug local` and `tug local:run` read from the project before anything starts: the Procfile
// (the platform's own parser), the `.env` files and the base port. Every mistake is a usage error
// that names the file and line, raised before a process runs.
import {existsSync, readFileSync, statSync} from 'node:fs'
import {dirname, resolve} from 'node:path'

import {parseProcfile, ProcfileError, type ProcessType} from '../../shared/procfile.js'
import {UsageError} from '../errors.js'
import {EnvFileError, parseEnvFile} from './env-file.js'

export const DEFAULT_BASE_PORT = 5000

export interface Procfile {
  path: string
  /** Where the commands run: the Procfile's directory, as with Foreman. */
  dir: string
  types: ProcessType[]
}

export function readProcfile(flag: string | undefined, cwd: string): Procfile {
  const path = resolve(cwd, flag ?? 'Procfile')
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new UsageError(`No Procfile at ${path}.`, {hint: 'Write one with lines like "web: node server.js", or pass its path with -f.'})
  }
  try {
    return {path, dir: dirname(path), types: parseProcfile(readFileSync(path, 'utf8'))}
  } catch (error) {
    if (error instanceof ProcfileError) throw new UsageError(`${path}: ${error.message.replace(/^Procfile:? ?/, '')}`, {hint: 'Fix the Procfile; nothing was started.'})
    throw error
  }
}

/**
 * The variables of the `.env` files: `-e a.env,b.env` (relative to the working directory, each
 * one required, later ones winning), or else `.env` beside the Procfile when there is one.
 */
export function readEnvFiles(flag: string | undefined, cwd: string, procfileDir: string): Record<string, string> {
  const paths = flag === undefined ? [resolve(procfileDir, '.env')] : flag.split(',').filter((path) => path !== '').map((path) => resolve(cwd, path))
  const vars: Record<string, string> = {}
  for (const path of paths) {
    if (!existsSync(path)) {
      if (flag === undefined) continue
      throw new UsageError(`No env file at ${path}.`, {hint: 'Pass an existing file with -e, or leave -e out to read .env beside the Procfile when there is one.'})
    }
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (error) {
      throw new UsageError(`Cannot read ${path}: ${(error as Error).message}.`)
    }
    try {
      Object.assign(vars, parseEnvFile(text))
    } catch (error) {
      if (!(error instanceof EnvFileError)) throw error
      throw new UsageError(`${path} ${error.message}.`, {hint: 'Write it as KEY=value (quote a value with spaces or #); nothing was started.'})
    }
  }
  return vars
}

/** Foreman's base port: -p, else PORT from the .env files, else from the environment, else 5000. */
export function basePort(flag: number | undefined, envVars: Record<string, string>, environment: NodeJS.ProcessEnv): number {
  if (flag !== undefined) return flag
  for (const [source, value] of [['.env', envVars.PORT], ['the environment', environment.PORT]] as const) {
    if (value === undefined || value === '') continue
    const port = Number(value)
    if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new UsageError(`PORT from ${source} is ${JSON.stringify(value)}, not a port number.`, {hint: 'Fix it, or pass the base port with -p.'})
    return port
  }
  return DEFAULT_BASE_PORT
}
