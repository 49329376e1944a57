// Confirming a command that loses data, as Heroku's CLI does: --confirm NAME, or NAME typed at a
// prompt on a terminal; without either (a script), a usage error that says what to pass.
import {UsageError} from '../errors.js'
import type {CliIo} from './io.js'
import {promptText} from './prompt.js'

export interface ConfirmText {
  /** What is refused without a confirmation: `destroy shop`. */
  action: string
  /** The line shown before the prompt, after `WARNING: `. */
  warning: string
  /** The hint without a terminal: `Pass --confirm shop to destroy it.` */
  hint: string
  /** `Nothing was <this>.` when the name does not match: `destroyed`. */
  nothing: string
}

/** Resolves once `name` is confirmed; a usage error (nothing done) otherwise. */
export async function confirmName(io: CliIo, name: string, confirm: string | undefined, text: ConfirmText): Promise<void> {
  if (confirm !== undefined) {
    if (confirm !== name) throw new UsageError(`Confirmation "${confirm}" did not match ${name}. Nothing was ${text.nothing}.`)
    return
  }
  const {stdin, stderr} = io
  if (!stdin.isTTY) throw new UsageError(`Refusing to ${text.action} without confirmation.`, {hint: text.hint})
  stderr.write(`WARNING: ${text.warning}\n`)
  const typed = await promptText(`To proceed, type ${name} or re-run with --confirm ${name}:`, {stdin, stderr})
  if (typed.trim() !== name) throw new UsageError(`Confirmation "${typed.trim()}" did not match ${name}. Nothing was ${text.nothing}.`)
}
