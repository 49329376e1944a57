import type {BuildpackInstallation} from '../../shared/api-types.js'
import {changeBuildpacks, checkIndex, updateLines, withSet} from '../../lib/buildpacks/buildpacks.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {BUILDPACK_FORMS, buildpackArg, indexFlag} from '../../lib/buildpacks/flags.js'

export default class BuildpacksSet extends TugCommand<BuildpackInstallation[]> {
  static override description = `set new app buildpack, overwriting into list of buildpacks if necessary

${BUILDPACK_FORMS}`

  static override examples = [
    '<%= config.bin %> buildpacks:set heroku/nodejs -a shop',
    '<%= config.bin %> buildpacks:set https://github.com/heroku/heroku-buildpack-go -i 2 -a shop',
  ]

  static override args = {
    buildpack: buildpackArg,
  }

  static override flags = {
    ...appFlags,
    index: indexFlag('the 1-based index of the URL in the list of URLs'),
  }

  async run(): Promise<BuildpackInstallation[]> {
    const {args, flags} = await this.parse(BuildpacksSet)
    const app = this.requireApp(flags)
    checkIndex(flags.index)
    const installations = await changeBuildpacks(await this.api(), app, (current) => withSet(current, args.buildpack.trim(), flags.index))
    for (const line of updateLines(app, flags.remote, installations, 'set')) this.out(line)
    return installations
  }
}
