import {Args, Flags} from '@oclif/core'

import type {BuildpackInstallation} from '../../shared/api-types.js'
import {changeBuildpacks, checkIndex, updateLines, withAdded} from '../../lib/buildpacks/buildpacks.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'

export default class BuildpacksAdd extends TugCommand<BuildpackInstallation[]> {
  static override description = `add new app buildpack, inserting into list of buildpacks if necessary

A buildpack is heroku/nodejs or heroku/python (built in), a directory on the control plane's machine (/path or file:///path), an https:// tarball, or a git URL (https://host/x.git, git@host:x.git, with an optional #branch, tag or commit). It is fetched when a build runs.`

  static override examples = [
    '<%= config.bin %> buildpacks:add /srv/buildpacks/static -a shop',
    '<%= config.bin %> buildpacks:add https://example.com/buildpack.tgz -i 1 -a shop',
  ]

  static override args = {
    buildpack: Args.string({description: 'URL, path or name of the buildpack', required: true}),
  }

  static override flags = {
    ...appFlags,
    index: Flags.integer({char: 'i', description: 'the 1-based index of the URL in the list of URLs', helpValue: 'INDEX'}),
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
