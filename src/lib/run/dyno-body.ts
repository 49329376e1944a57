// The body of `POST /apps/{app}/dynos` for `tug run` and `run:detached`.
import type {DynoCreateBody} from '../../shared/api-types.js'
import {parseEnvFlag} from '../env-args.js'
import {UsageError} from '../errors.js'
import type {OutStream} from '../cli/io.js'
import {withExitMarker} from './attach.js'

export interface RunFlags {
  env?: string
  size?: string
  type?: string
  'no-tty'?: boolean
}

export function commandLine(argv: string[]): string {
  const command = argv.join(' ').trim()
  if (command === '') throw new UsageError('No command given.', {hint: 'Usage: tug run -a APP -- COMMAND [ARGS...]'})
  return command
}

export function dynoBody(
  command: string,
  flags: RunFlags,
  /** `tty: false`: the client cannot be a terminal (stdin or stdout is not a TTY), so no pty either. */
  context: {attach: boolean; env: NodeJS.ProcessEnv; stdout?: OutStream; tty?: boolean},
): DynoCreateBody {
  const env: Record<string, string | number> = {TERM: context.env.TERM || 'xterm-256color'}
  const terminal = context.stdout?.isTTY ? context.stdout : undefined
  if (terminal?.columns) env.COLUMNS = terminal.columns
  if (terminal?.rows) env.LINES = terminal.rows
  if (flags.env) Object.assign(env, parseEnvFlag(flags.env))
  const body: DynoCreateBody = {
    command: context.attach ? withExitMarker(command) : command,
    attach: context.attach,
    env,
  }
  if (flags['no-tty'] || context.tty === false) body.force_no_tty = true
  if (flags.size) body.size = flags.size
  if (flags.type) body.type = flags.type
  return body
}
