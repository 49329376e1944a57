import {Flags} from '@oclif/core'

import type {AddOn} from '../../shared/api-types.js'
import {addonsApi} from '../../lib/addons/api.js'
import {allAddonsLines, appAddonsLines} from '../../lib/addons/format.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {resolveApp} from '../../lib/cli/app-resolution.js'

export default class Addons extends TugCommand<AddOn[]> {
  static override description = `list add-ons and their attachments

With an app (-a, TUG_APP or a git remote): its add-ons and those attached to it, each with its attachments. With --all or without an app: every add-on of every app you have.`

  static override examples = ['<%= config.bin %> addons -a shop', '<%= config.bin %> addons --all', '<%= config.bin %> addons -a shop --json']

  static override flags = {
    ...appFlags,
    all: Flags.boolean({char: 'A', description: 'show the add-ons of every app'}),
  }

  async run(): Promise<AddOn[]> {
    const {flags} = await this.parse(Addons)
    const app = flags.all ? undefined : resolveApp({flag: flags.app, env: this.io.env, remote: flags.remote, cwd: this.io.cwd()})
    const api = addonsApi(await this.api())
    const addons = await api.list(app)
    if (addons.length === 0) {
      this.info(app === undefined ? 'You have no add-ons.' : `No add-ons for app ${app}.`)
      return addons
    }
    const lines = app === undefined ? allAddonsLines(addons) : appAddonsLines(app, addons, await api.attachments())
    for (const line of lines) this.out(line)
    return addons
  }
}
