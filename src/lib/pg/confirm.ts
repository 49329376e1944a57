// pg:backups:restore and :delete lose data: the app's name typed at a prompt, or --confirm APP.
import {promptText} from '../cli/prompt.js'
import type {CliIo} from '../cli/io.js'
import {UsageError} from '../errors.js'

/** Resolves once `app` is confirmed; a usage error (nothing done) otherwise. */
export async function confirmApp(io: CliIo, app: string, confirm: string | undefined, what: string): Promise<void> {
  if (confirm !== undefined) {
    if (confirm !== app) throw new UsageError(`Confirmation "${confirm}" did not match ${app}. Nothing was done.`)
    return
  }
  const {stdin, stderr} = io
  if (!stdin.isTTY) throw new UsageError(`Refusing to ${what} without confirmation.`, {hint: `Pass --confirm ${app} to go ahead.`})
  stderr.write(`WARNING: This will ${what}. It cannot be undone.\n`)
  const typed = await promptText(`To proceed, type ${app} or re-run with --confirm ${app}:`, {stdin, stderr})
  if (typed.trim() !== app) throw new UsageError(`Confirmation "${typed.trim()}" did not match ${app}. Nothing was done.`)
}
