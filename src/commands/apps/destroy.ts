import {Args, Flags} from '@oclif/core'

import type {App} from '../../shared/api-types.js'
import {removeAppRemotes} from '../../lib/apps/git-remote.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {confirmName} from '../../lib/cli/confirm.js'

export default class AppsDestroy extends TugCommand<App> {
  static override description = `permanently destroy an app

Asks you to type the app's name on a terminal. In scripts, pass --confirm APP; without a terminal and without --confirm nothing is destroyed and the command fails. Git remotes of this checkout that point at the app are removed.`

  static override examples = ['<%= config.bin %> apps:destroy -a shop', '<%= config.bin %> apps:destroy shop --confirm shop']

  // Heroku's spellings, for muscle memory and scripts written for it.
  static override hiddenAliases = ['destroy', 'apps:delete']

  static override args = {
    app: Args.string({description: 'app to destroy (or use -a)'}),
  }

  static override flags = {
    ...appFlags,
    confirm: Flags.string({description: 'the app name again, to confirm without a prompt', helpValue: 'APP'}),
  }

  async run(): Promise<App> {
    const {args, flags} = await this.parse(AppsDestroy)
    const name = this.requireApp({...flags, app: flags.app ?? args.app})
    await confirmName(this.io, name, flags.confirm, {
      action: `destroy ${name}`,
      warning: `This will permanently destroy ${name}, its config, releases and dynos.`,
      hint: `Pass --confirm ${name} to destroy it.`,
      nothing: 'destroyed',
    })
    const api = await this.api()
    const destroyed = await this.action(`Destroying ${name} (including all add-ons)`, () => api.apps.destroy(name))
    // The remotes here that point at it (as Heroku's CLI does); remotes of other apps stay.
    for (const remote of removeAppRemotes(this.io.cwd(), destroyed)) this.info(`Git remote ${remote} removed`)
    return destroyed
  }
}
