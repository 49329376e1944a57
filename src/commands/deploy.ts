import {Args} from '@oclif/core'
import {statSync} from 'node:fs'
import {resolve} from 'node:path'

import {readLogStream} from '../lib/api/stream.js'
import {appFlags, TugCommand} from '../lib/cli/base-command.js'
import {deploy, type DeployResult} from '../lib/deploy.js'
import {UsageError} from '../lib/errors.js'
import {gitVersion} from '../lib/source-version.js'

export default class Deploy extends TugCommand<DeployResult> {
  static override description = `deploy a directory: pack it, upload it, build it and release it

Files matched by .gitignore or .tugignore are left out, and .git always is. The build output is streamed; a failed build exits 1. With a \`release:\` process type in the Procfile, tug then shows the release phase's output and waits for it, so that the new release is current when it returns; a failed release phase exits 1 and the previous release stays current.`

  static override examples = ['<%= config.bin %> deploy -a shop', '<%= config.bin %> deploy ./site -a shop', '<%= config.bin %> deploy -a shop --json']

  static override args = {
    dir: Args.string({description: 'directory to deploy (default: the current one)'}),
  }

  static override flags = {...appFlags}

  async run(): Promise<DeployResult> {
    const {args, flags} = await this.parse(Deploy)
    const app = this.requireApp(flags)
    const dir = resolve(this.io.cwd(), args.dir ?? '.')
    if (!statSync(dir, {throwIfNoEntry: false})?.isDirectory()) throw new UsageError(`${dir} is not a directory.`)
    const api = await this.api()
    const result = await deploy(api, app, dir, {
      pack: async (d) => (await import('../lib/pack.js')).packDirectory(d),
      streamOutput: async (url, seen) => {
        for await (const line of readLogStream(url, {tail: false})) {
          this.out(line.line)
          seen?.(line.line)
        }
      },
      ...this.releaseSteps(api, app),
    }, {version: gitVersion(dir)})
    this.info(result.release ? `Released v${result.release.version} on ${app}` : `Built ${app}`)
    return result
  }
}
