import {Args} from '@oclif/core'

import type {Release} from '../../lib/api/types.js'
import {readLogStream} from '../../lib/api/stream.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {rollbackTarget} from '../../lib/releases/format.js'

export default class ReleasesRollback extends TugCommand<Release> {
  static override description = `roll back to an earlier release (default: the one before the current one)

Makes a new release with the code and config vars of the old one, and restarts the dynos on it.`

  static override examples = ['<%= config.bin %> releases:rollback -a shop', '<%= config.bin %> releases:rollback v5 -a shop']

  static override aliases = ['rollback']

  static override args = {
    version: Args.string({description: 'release version to roll back to, like 5 or v5'}),
  }

  static override flags = {...appFlags}

  async run(): Promise<Release> {
    const {args, flags} = await this.parse(ReleasesRollback)
    const app = this.requireApp(flags)
    const api = await this.api()
    const target = await rollbackTarget(api, app, args.version)
    const release = await this.action(`Rolling back ${app} to v${target.version}`, () => api.releases.rollback(app, target.id), (r) => `done, v${r.version}`)
    if (release.output_stream_url) {
      this.info('Running release command...')
      for await (const line of readLogStream(release.output_stream_url, {tail: false})) this.out(line.line)
    }
    return release
  }
}
