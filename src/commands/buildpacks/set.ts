import {Args, Flags} from '@oclif/core'

import type {BuildpackInstallation} from '../../shared/api-types.js'
import {changeBuildpacks, checkIndex, updateLines, withSet} from '../../lib/buildpacks/buildpacks.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'

export default class BuildpacksSet extends TugCommand<BuildpackInstallation[]> {
  static override description = `set new app buildpack, overwriting into list of buildpacks if necessary

A buildpack is heroku/nodejs or heroku/python (built in), a directory on the control plane's machine (/path or file:///path), an https:// tarball, or a git URL (https://host/x.git, git@host:x.git, with an optional #branch, tag or commit). It is fetched when a build runs.`

  static override examples = [
    '<%= config.bin %> buildpacks:set heroku/nodejs -a shop',
    '<%= config.bin %> buildpacks:set https://github.com/heroku/heroku-buildpack-go -i 2 -a shop',
  ]

  static override args = {
    buildpack: Args.string({description: 'URL, path or name of the buildpack', required: true}),
  }

  static override flags = {
    ...appFlags,
    index: Flags.integer({char: 'i', description: 'the 1-based index of the URL in the list of URLs', helpValue: 'INDEX'}),
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
