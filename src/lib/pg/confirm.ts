// pg:backups:restore and :delete lose data: the app's name typed at a prompt, or --confirm APP.
import {confirmName} from '../cli/confirm.js'
import type {CliIo} from '../cli/io.js'

/** Resolves once `app` is confirmed; a usage error (nothing done) otherwise. */
export function confirmApp(io: CliIo, app: string, confirm: string | undefined, what: string): Promise<void> {
  return confirmName(io, app, confirm, {action: what, warning: `This will ${what}. It cannot be undone.`, hint: `Pass --confirm ${app} to go ahead.`, nothing: 'done'})
}
