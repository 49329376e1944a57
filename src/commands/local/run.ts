import {Flags} from '@oclif/core'

import {TugCommand} from '../../lib/cli/base-command.js'
import {RemoteExitError, UsageError} from '../../lib/errors.js'
import {runLocalCommand} from '../../lib/local/run-attached.js'
import {splitRunArgv, valueFlagSpellings} from '../../lib/run/argv.js'
import {commandLine} from '../../lib/run/dyno-body.js'
import {projectFlags} from './index.js'

export default class LocalRun extends TugCommand<{status: number}> {
  static override description = `run one command on this machine with the .env variables, as heroku local:run does

The command runs from the Procfile's directory (the current one by default) through the same shell as the Procfile's processes, with your environment, the .env file's variables and PORT (--port, else PORT from .env or the environment, else 5000), attached to this terminal. tug exits with its status.`

  static override examples = ['<%= config.bin %> local:run rake db:migrate', '<%= config.bin %> local:run -e .env.test -- npm test', '<%= config.bin %> local:run bash']

  // The command's output is the output; there is no JSON of it.
  static override enableJsonFlag = false

  // Ctrl-C reaches the command from the terminal; tug waits for its status.
  static override handlesSignals = true

  static override strict = false

  static override usage = 'local:run [-e ENV_FILES] [-p PORT] [--] COMMAND...'

  static override flags = {
    ...projectFlags,
    procfile: Flags.string({char: 'f', description: 'a Procfile: the command runs in its directory, and reads the .env there [default: ./Procfile]', helpValue: 'FILE'}),
    port: Flags.integer({char: 'p', description: 'PORT for the command [default: PORT from .env or the environment, else 5000]', min: 1, max: 65_535, helpValue: 'PORT'}),
  }

  async run(): Promise<{status: number}> {
    // Everything from the first word that is not one of tug's flags is the command (as `tug run`).
    const split = splitRunArgv(this.argv, valueFlagSpellings(LocalRun.flags))
    const {flags} = await this.parse(LocalRun, split.flags)
    if (split.command.length === 0) throw new UsageError('No command given.', {hint: 'Usage: tug local:run [-e ENV_FILES] [--] COMMAND [ARGS...]'})
    const status = await runLocalCommand({
      command: commandLine(split.command),
      ...(flags.procfile === undefined ? {} : {procfile: flags.procfile}),
      ...(flags.env === undefined ? {} : {envFiles: flags.env}),
      ...(flags.port === undefined ? {} : {port: flags.port}),
      cwd: this.io.cwd(),
      environment: this.io.env,
      signals: process,
    })
    if (status !== 0) throw new RemoteExitError(status)
    return {status}
  }
}
