import type {BuildpackInstallation} from '../../shared/api-types.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'

export default class BuildpacksClear extends TugCommand<BuildpackInstallation[]> {
  static override description = `clear all buildpacks set on the app

The next build detects tug's built-in buildpacks again (heroku/nodejs, heroku/python).`

  static override examples = ['<%= config.bin %> buildpacks:clear -a shop']

  static override flags = {...appFlags}

  async run(): Promise<BuildpackInstallation[]> {
    const {flags} = await this.parse(BuildpacksClear)
    const app = this.requireApp(flags)
    const installations = await (await this.api()).buildpacks.replace(app, [])
    this.out(`Buildpacks cleared. Next release on ${app} will detect buildpacks normally.`)
    return installations
  }
}
