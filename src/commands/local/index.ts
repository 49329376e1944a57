import {Flags} from '@oclif/core'

import {TugCommand} from '../../lib/cli/base-command.js'
import {RemoteExitError} from '../../lib/errors.js'
import {runLocal} from '../../lib/local/run-local.js'

/** -f and -e, shared with local:run. */
export const projectFlags = {
  procfile: Flags.string({char: 'f', description: 'the Procfile to run [default: ./Procfile]; its directory is where the commands run', helpValue: 'FILE'}),
  env: Flags.string({char: 'e', description: 'env files to read, comma-separated [default: .env beside the Procfile, when there is one]', helpValue: 'FILES'}),
}

export default class Local extends TugCommand<{status: number}> {
  static override description = `run the Procfile's processes on this machine, as Foreman and heroku local do

No deploy, no build and no control plane: each process runs from the Procfile's directory, named like a dyno (web.1, worker.2), with your environment, the .env file's variables, and PORT, DYNO and PS. Without arguments, one process of each type runs; TYPE=N runs N of a type, and only the types named. PORT is the base port + 100 for each Procfile type before this one + the process's number - 1 (web.1 5000, web.2 5001, worker.1 5100), Foreman's numbering; the base port is --port, else PORT from .env or the environment, else 5000.

Output lines read "HH:MM:SS web.1 | line", in one colour per process on a terminal (none with NO_COLOR or when piped); every line a process wrote is printed before tug exits. When one process exits, the others get SIGTERM (SIGKILL after --timeout) and tug exits with the status of the first one. Ctrl-C, SIGTERM or SIGHUP stops them all the same way; a second one kills them at once. Each process runs in its own process group, so whatever it started stops with it.

.env lines are KEY=value, with an optional "export ", # comments, and values in single quotes (as written) or double quotes (\\n, \\t, \\" and \\\\ escapes); a quoted value may span lines. A line tug cannot read is an error that names it, and nothing starts.`

  static override examples = [
    '<%= config.bin %> local',
    '<%= config.bin %> local web=2 worker',
    '<%= config.bin %> local -f Procfile.dev -e .env,.env.local -p 8000',
  ]

  // The processes' output is the output; there is no JSON of it.
  static override enableJsonFlag = false

  // SIGINT, SIGTERM and SIGHUP stop the processes (src/lib/local/supervisor.ts), not tug at once.
  static override handlesSignals = true

  static override strict = false

  static override usage = 'local [TYPE[=N]...] [-f PROCFILE] [-e ENV_FILES] [-p PORT] [-t SECONDS]'

  static override flags = {
    ...projectFlags,
    port: Flags.integer({char: 'p', description: 'base port [default: PORT from .env or the environment, else 5000]', min: 1, max: 65_535, helpValue: 'PORT'}),
    timeout: Flags.integer({char: 't', description: 'seconds the processes get to stop after SIGTERM, before SIGKILL', default: 5, min: 0, max: 3600, helpValue: 'SECONDS'}),
  }

  async run(): Promise<{status: number}> {
    const {flags, argv} = await this.parse(Local)
    const status = await runLocal({
      formation: argv as string[],
      ...(flags.procfile === undefined ? {} : {procfile: flags.procfile}),
      ...(flags.env === undefined ? {} : {envFiles: flags.env}),
      ...(flags.port === undefined ? {} : {port: flags.port}),
      timeoutSeconds: flags.timeout,
      cwd: this.io.cwd(),
      environment: this.io.env,
      stdout: this.io.stdout,
      color: this.colorOn(),
      signals: process,
    })
    if (status !== 0) throw new RemoteExitError(status)
    return {status}
  }
}
