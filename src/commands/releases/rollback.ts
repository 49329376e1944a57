import {Args} from '@oclif/core'

import type {Release} from '../../shared/api-types.js'
import {readLogStream} from '../../lib/api/stream.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {awaitRelease} from '../../lib/releases/follow.js'
import {rollbackTarget} from '../../lib/releases/format.js'

export default class ReleasesRollback extends TugCommand<Release> {
  static override description = `roll back to an earlier release (default: the one before the current one)

Makes a new release with the code and config vars of the old one, and restarts the dynos on it. With a \`release:\` process type, tug shows the release phase's output and waits for it; a failed release phase exits 1 and the current release stays current.`

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
    const made = await this.action(`Rolling back ${app} to v${target.version}`, () => api.releases.rollback(app, target.id), (r) =>
      // `done` only once the release is current: a pending one is followed next.
      r.status === 'succeeded' ? `done, v${r.version}` : `${r.status}, v${r.version}`,
    )
    if (made.status === 'succeeded' && made.output_stream_url) {
      this.info('Running release command...')
      for await (const line of readLogStream(made.output_stream_url, {tail: false})) this.out(line.line)
    }
    return awaitRelease(api, app, made, this.releaseSteps(api, app), {
      change: {effect: `the rollback to v${target.version} did not take effect`, advice: `\`tug releases -a ${app}\` shows the current release.`},
    })
  }
}
