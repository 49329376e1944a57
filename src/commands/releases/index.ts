import {Flags} from '@oclif/core'

import type {Release} from '../../shared/api-types.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {formatReleases} from '../../lib/releases/format.js'

export default class Releases extends TugCommand<Release[]> {
  static override description = "list an app's releases, newest first"

  static override examples = ['<%= config.bin %> releases -a shop', '<%= config.bin %> releases -a shop -n 50', '<%= config.bin %> releases -a shop --json']

  static override flags = {
    ...appFlags,
    num: Flags.integer({char: 'n', description: 'how many releases to show', default: 15, min: 1, max: 1000, helpValue: 'N'}),
  }

  async run(): Promise<Release[]> {
    const {flags} = await this.parse(Releases)
    const app = this.requireApp(flags)
    const releases = (await (await this.api()).releases.list(app, {max: flags.num, order: 'desc'}))
      .sort((a, b) => b.version - a.version)
      .slice(0, flags.num)
    if (releases.length === 0) {
      this.info(`${app} has no releases.`)
      return releases
    }
    for (const line of formatReleases(app, releases, this.io.now())) this.out(line)
    return releases
  }
}
