// How an error reads on stderr: `Error: <message>` and, where one helps, a hint line.
import {Errors} from '@oclif/core'

import {exitCodeFor, TugError, type ErrorKind} from '../errors.js'

export interface RenderedError {
  /** Lines for stderr; empty when the error speaks through its exit status only. */
  lines: string[]
  exitCode: number
}

const KINDS: ReadonlySet<string> = new Set<ErrorKind>(['usage', 'api', 'network', 'runtime', 'remote-exit'])

type FamilyError = Error & {kind: ErrorKind; hint?: string; status?: number; body?: unknown}

/**
 * One of our error family. Checked by shape as well as by class: a module loaded both through
 * `import()` and statically (as tsx does under mocha) has two copies of each class.
 */
function familyError(error: unknown): FamilyError | undefined {
  if (error instanceof TugError) return error
  if (error instanceof Error && typeof (error as Partial<FamilyError>).kind === 'string' && KINDS.has((error as FamilyError).kind)) {
    return error as FamilyError
  }
  return undefined
}

function familyExitCode(error: FamilyError): number {
  if (error instanceof TugError) return exitCodeFor(error)
  if (error.kind === 'remote-exit') return typeof error.status === 'number' ? error.status : 1
  return error.kind === 'usage' ? 2 : 1
}

function apiHint(error: FamilyError & {status: number}): string | undefined {
  if (error.hint) return error.hint
  if (error.status === 401) return 'Run `tug login` to log in again, or set TUG_API_KEY.'
  if (error.status === 404) {
    const body = error.body as {resource?: unknown} | undefined
    if (body?.resource === 'app' || /find that app/i.test(error.message)) return 'Check the app name with `tug apps`.'
  }
  if (error.status === 429) return 'Wait a few minutes before making new requests.'
  return undefined
}

/** oclif's parse messages span lines with tabs and boilerplate; make them one line. */
export function parseMessage(message: string): string {
  return message
    .replace(/^Parsing (--?\S+)\s*\n\s*/, 'Parsing $1: ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && line !== 'The following error occurred:' && !/^See more help with --help/.test(line))
    .join(' ')
    .replace(/\s{2,}/g, ' ')
}

export function renderError(error: unknown): RenderedError {
  const family = familyError(error)
  if (family) {
    if (family.kind === 'remote-exit') return {lines: [], exitCode: familyExitCode(family)}
    const hint = family.kind === 'api' && typeof family.status === 'number' ? apiHint({...family, status: family.status, message: family.message}) : family.hint
    const lines = [`Error: ${family.message}`]
    if (hint) lines.push(hint)
    return {lines, exitCode: familyExitCode(family)}
  }
  // oclif's own flag and argument parsing failures are usage errors.
  if (error instanceof Errors.CLIError) {
    return {lines: [`Error: ${parseMessage(error.message)}`, 'See more help with --help.'], exitCode: 2}
  }
  const message = error instanceof Error ? error.message : String(error)
  return {lines: [`Error: ${message}`], exitCode: 1}
}
