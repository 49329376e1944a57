// oclif's answer to a mistyped command is a bare "command X not found"; this one suggests the
// nearest commands and where the list is, and exits 2 like every usage error.
import type {Hook} from '@oclif/core'

import {commandNotFoundMessage} from '../shared/suggest.js'

const hook: Hook.CommandNotFound = async function (options) {
  const known = options.config.commands.filter((command) => !command.hidden).map((command) => command.id)
  process.stderr.write(commandNotFoundMessage(options.config.bin, options.id, known))
  process.exitCode = 2
}

export default hook
