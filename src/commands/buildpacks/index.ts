import type {BuildpackInstallation} from '../../shared/api-types.js'
import {listLines} from '../../lib/buildpacks/buildpacks.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'

export default class Buildpacks extends TugCommand<BuildpackInstallation[]> {
  static override description = `display the buildpacks for an app

Builds run these buildpacks in order. With none set, a build detects tug's built-in buildpacks (heroku/nodejs, heroku/python).`

  static override examples = ['<%= config.bin %> buildpacks -a shop', '<%= config.bin %> buildpacks -a shop --json']

  static override flags = {...appFlags}

  async run(): Promise<BuildpackInstallation[]> {
    const {flags} = await this.parse(Buildpacks)
    const app = this.requireApp(flags)
    const installations = await (await this.api()).buildpacks.list(app)
    if (installations.length === 0) {
      this.info(`${app} has no Buildpack URL set. Builds detect the built-in buildpacks (heroku/nodejs, heroku/python).`)
      return installations
    }
    for (const line of listLines(app, installations)) this.out(line)
    return installations
  }
}
