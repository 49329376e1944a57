import {Args} from '@oclif/core'

import type {App, Dyno} from '../../shared/api-types.js'
import {formatAppInfo} from '../../lib/apps/format.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {ApiError} from '../../lib/errors.js'

export default class AppsInfo extends TugCommand<{app: App; dynos: Dyno[] | null}> {
  static override description = 'show an app: owner, region, stack, URLs and dynos'

  static override examples = ['<%= config.bin %> apps:info -a shop', '<%= config.bin %> apps:info shop --json']

  static override args = {
    app: Args.string({description: 'app to show (or use -a)'}),
  }

  static override flags = {...appFlags}

  async run(): Promise<{app: App; dynos: Dyno[] | null}> {
    const {args, flags} = await this.parse(AppsInfo)
    const name = this.requireApp({...flags, app: flags.app ?? args.app})
    const api = await this.api()
    const app = await api.apps.info(name)
    // The dyno summary is a nicety: an error there must not hide the app itself.
    const dynos = await api.dynos.list(app.name).catch((error: unknown) => {
      if (error instanceof ApiError) return null
      throw error
    })
    for (const line of formatAppInfo(app, dynos ?? undefined)) this.out(line)
    return {app, dynos}
  }
}
