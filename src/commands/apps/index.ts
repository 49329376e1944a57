import type {App} from '../../shared/api-types.js'
import {formatAppList} from '../../lib/apps/format.js'
import {TugCommand} from '../../lib/cli/base-command.js'

export default class Apps extends TugCommand<App[]> {
  static override description = 'list your apps'

  static override examples = ['<%= config.bin %> apps', '<%= config.bin %> apps --json']

  // Heroku's spellings, for muscle memory and scripts written for it.
  static override hiddenAliases = ['apps:list']

  async run(): Promise<App[]> {
    await this.parse(Apps)
    const apps = await (await this.api()).apps.list()
    if (apps.length === 0) {
      this.info('You have no apps. Create one with `tug apps:create NAME`.')
      return apps
    }
    for (const line of formatAppList(apps)) this.out(line)
    return apps
  }
}
