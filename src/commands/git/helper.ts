import {Args} from '@oclif/core'

import {appFromTugUrl} from '../../lib/apps/git-remote.js'
import {runHttpHelper} from '../../lib/apps/remote-helper.js'
import {TugCommand} from '../../lib/cli/base-command.js'
import {UsageError} from '../../lib/errors.js'

/**
 * What `git-remote-tug` runs (bin/git-remote-tug.js): git's remote helper for `tug://APP` URLs.
 * Not for people: its stdin and stdout belong to git. It prints nothing to stdout itself.
 */
export default class GitHelper extends TugCommand<void> {
  static override hidden = true

  static override description = "git's remote helper for tug://APP remotes (run by git as git-remote-tug)"

  // git runs it, not people: `git push tug main` with a tug://APP remote.
  static override examples = ['<%= config.bin %> git:helper tug tug://shop']

  static override args = {
    remote: Args.string({description: 'the remote git runs the helper for', required: true}),
    url: Args.string({description: 'its URL, tug://APP', required: true}),
  }

  async run(): Promise<void> {
    const {args} = await this.parse(GitHelper)
    const name = appFromTugUrl(args.url)
    if (name === undefined) {
      throw new UsageError(`${args.url} is not a tug remote URL.`, {hint: 'It must be tug://APP; `tug git:remote -a APP` sets one.'})
    }
    const api = await this.api()
    const app = await api.apps.info(name)
    const code = await runHttpHelper(args.remote, app.git_url, (await this.target()).token, this.io.env)
    if (code !== 0) this.exit(code)
  }
}
