import type {BuildpackInstallation} from '../../shared/api-types.js'
import {changeBuildpacks, checkRemoveArgs, updateLines, withRemoved} from '../../lib/buildpacks/buildpacks.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {indexFlag, optionalBuildpackArg} from '../../lib/buildpacks/flags.js'

export default class BuildpacksRemove extends TugCommand<BuildpackInstallation[]> {
  static override description = 'remove a buildpack set on the app, by its URL or its index'

  static override examples = ['<%= config.bin %> buildpacks:remove heroku/python -a shop', '<%= config.bin %> buildpacks:remove -i 2 -a shop']

  static override args = {
    buildpack: optionalBuildpackArg,
  }

  static override flags = {
    ...appFlags,
    index: indexFlag('the 1-based index of the URL to remove from the list of URLs'),
  }

  async run(): Promise<BuildpackInstallation[]> {
    const {args, flags} = await this.parse(BuildpacksRemove)
    const app = this.requireApp(flags)
    checkRemoveArgs(args.buildpack, flags.index)
    const installations = await changeBuildpacks(await this.api(), app, (current) => withRemoved(app, current, args.buildpack, flags.index))
    for (const line of updateLines(app, flags.remote, installations, 'removed')) this.out(line)
    return installations
  }
}
