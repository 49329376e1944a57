import type {BuildpackInstallation} from '../../shared/api-types.js'
import {changeBuildpacks, checkIndex, updateLines, withAdded} from '../../lib/buildpacks/buildpacks.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {BUILDPACK_FORMS, buildpackArg, indexFlag} from '../../lib/buildpacks/flags.js'

export default class BuildpacksAdd extends TugCommand<BuildpackInstallation[]> {
  static override description = `add new app buildpack, inserting into list of buildpacks if necessary

${BUILDPACK_FORMS}`

  static override examples = [
    '<%= config.bin %> buildpacks:add /srv/buildpacks/static -a shop',
    '<%= config.bin %> buildpacks:add https://example.com/buildpack.tgz -i 1 -a shop',
  ]

  static override args = {
    buildpack: buildpackArg,
  }

  static override flags = {
    ...appFlags,
    index: indexFlag('the 1-based index of the URL in the list of URLs'),
  }

  async run(): Promise<BuildpackInstallation[]> {
    const {args, flags} = await this.parse(BuildpacksAdd)
    const app = this.requireApp(flags)
    checkIndex(flags.index)
    const installations = await changeBuildpacks(await this.api(), app, (current) => withAdded(current, args.buildpack.trim(), flags.index))
    for (const line of updateLines(app, flags.remote, installations, 'added')) this.out(line)
    return installations
  }
}
