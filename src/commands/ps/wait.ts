import {Flags} from '@oclif/core'

import type {Dyno} from '../../shared/api-types.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {whileOnServer} from '../../lib/cli/interrupt.js'
import {latestVersion, waitForDynos, type WaitResult} from '../../lib/ps/wait.js'

export default class PsWait extends TugCommand<{version: number; dynos: Dyno[]}> {
  static override description = `wait until every dyno runs the latest release and is up

For CI after a deploy or a config change. One-off dynos are not counted. Exits 1 if --timeout passes first.`

  static override examples = [
    '<%= config.bin %> ps:wait -a shop',
    '<%= config.bin %> ps:wait -a shop --type web --timeout 300',
    '<%= config.bin %> ps:wait -a shop --wait-interval 2',
  ]

  static override flags = {
    ...appFlags,
    type: Flags.string({description: 'wait only for dynos of this process type', helpValue: 'TYPE'}),
    'wait-interval': Flags.integer({description: 'seconds between checks', default: 5, min: 1, helpValue: 'SECONDS'}),
    timeout: Flags.integer({description: 'give up after this many seconds (default: wait forever)', min: 1, helpValue: 'SECONDS'}),
  }

  async run(): Promise<{version: number; dynos: Dyno[]}> {
    const {flags} = await this.parse(PsWait)
    const app = this.requireApp(flags)
    const api = await this.api()
    const version = await latestVersion(api, app)
    const what = flags.type ? `${flags.type} dyno` : 'dyno'
    const wait = (): Promise<WaitResult> =>
      waitForDynos(api, version, {
        app,
        type: flags.type,
        intervalMs: flags['wait-interval'] * 1000,
        timeoutMs: flags.timeout === undefined ? undefined : flags.timeout * 1000,
        now: () => this.io.now(),
        sleep: (ms) => this.io.sleep(ms),
      })
    const goesOn = `the dynos of ${app} go on coming up on v${version} on the server; check them with \`tug ps -a ${app}\``
    return whileOnServer(goesOn, () => this.action(`Waiting for every ${what} on ${app} to be up on v${version}`, wait, (result) => `done, ${result.dynos.length} up`))
  }
}
