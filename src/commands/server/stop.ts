import {Flags} from '@oclif/core'

import {TugCommand} from '../../lib/cli/base-command.js'
import {resolveDataDir, stopLocalServer} from '../../lib/cli/local-server.js'

export default class ServerStop extends TugCommand<{stopped: boolean; pid: number | null; data_dir: string}> {
  static override description = 'stop the local tug server (SIGTERM, then wait until it has exited)'

  static override examples = ['<%= config.bin %> server:stop']

  static override flags = {
    'data-dir': Flags.string({description: 'data directory of the server [default: $TUG_HOME or ~/.local/share/tug]'}),
    wait: Flags.integer({description: 'seconds to wait for it to exit', default: 15, min: 1}),
  }

  async run(): Promise<{stopped: boolean; pid: number | null; data_dir: string}> {
    const {flags} = await this.parse(ServerStop)
    const env = this.io.env
    const dataDir = resolveDataDir(flags['data-dir'], env, this.io.cwd())
    const result = await stopLocalServer(dataDir, {deadlineMs: flags.wait * 1000})
    if (result.stopped) this.out(`Stopped the tug server (pid ${result.pid}) on ${dataDir}.`)
    else this.out(`No tug server is running on ${dataDir}.`)
    return {stopped: result.stopped, pid: result.pid ?? null, data_dir: dataDir}
  }
}
