import {Args} from '@oclif/core'

import type {ConfigVars, Release} from '../../shared/api-types.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {currentRelease, formatReleaseInfo, parseVersion} from '../../lib/releases/format.js'

export default class ReleasesInfo extends TugCommand<Release & {config_vars: ConfigVars}> {
  static override description = 'show one release and the config vars it ran with (default: the current release)'

  static override examples = ['<%= config.bin %> releases:info -a shop', '<%= config.bin %> releases:info v7 -a shop', '<%= config.bin %> releases:info 7 -a shop --json']

  static override args = {
    version: Args.string({description: 'release version, like 7 or v7'}),
  }

  static override flags = {...appFlags}

  async run(): Promise<Release & {config_vars: ConfigVars}> {
    const {args, flags} = await this.parse(ReleasesInfo)
    const version = args.version === undefined ? undefined : parseVersion(args.version)
    const app = this.requireApp(flags)
    const api = await this.api()
    const release = version === undefined ? await currentRelease(api, app) : await api.releases.info(app, version)
    const config = await api.config.forRelease(app, release.version)
    for (const line of formatReleaseInfo(release, config, this.io.now())) this.out(line)
    return {...release, config_vars: config}
  }
}
