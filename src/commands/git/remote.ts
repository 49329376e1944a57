import {Flags} from '@oclif/core'

import type {App} from '../../shared/api-types.js'
import {remoteHelperWarning, remoteUrlFor, setGitRemote} from '../../lib/apps/git-remote.js'
import {TugCommand} from '../../lib/cli/base-command.js'
import {DEFAULT_REMOTE} from '../../lib/cli/app-resolution.js'
import {UsageError} from '../../lib/errors.js'

export default class GitRemote extends TugCommand<{remote: string; url: string; app: string}> {
  static override description = `add a git remote for an app to this checkout

Then \`git push tug main\` deploys it. A remote of that name that exists already is pointed at the app. With the embedded local control plane the URL is tug://APP, which git-remote-tug (installed with tug) resolves when git uses it; otherwise it is the app's git URL.`

  static override examples = ['<%= config.bin %> git:remote -a shop', '<%= config.bin %> git:remote -a shop -r production']

  static override flags = {
    app: Flags.string({char: 'a', description: 'app to add the remote for (or set TUG_APP)', helpValue: 'APP'}),
    remote: Flags.string({char: 'r', description: 'name of the git remote', default: DEFAULT_REMOTE, helpValue: 'REMOTE'}),
  }

  async run(): Promise<{remote: string; url: string; app: string}> {
    const {flags} = await this.parse(GitRemote)
    const name = this.requireApp({app: flags.app})
    const api = await this.api()
    const app: App = await api.apps.info(name)
    const url = remoteUrlFor(app, (await this.target()).source)
    const outcome = setGitRemote(this.io.cwd(), flags.remote, url)
    if (outcome === 'not-a-repo') {
      throw new UsageError(`${this.io.cwd()} is not in a git repository.`, {hint: 'Run `git init` first, or run this in your app\'s checkout.'})
    }
    this.info(outcome === 'unchanged' ? `Git remote ${flags.remote} already points at ${url}` : `Git remote ${flags.remote} ${outcome === 'added' ? 'added' : 'set to'}: ${url}`)
    const warning = remoteHelperWarning(url, this.io.env)
    if (warning) this.info(warning)
    return {remote: flags.remote, url, app: app.name}
  }
}
