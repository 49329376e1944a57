import {Args, Flags} from '@oclif/core'

import type {App, AppCreateBody} from '../../shared/api-types.js'
import {formatCreated} from '../../lib/apps/format.js'
import {addGitRemote, remoteHelperWarning, remoteUrlFor} from '../../lib/apps/git-remote.js'
import {TugCommand} from '../../lib/cli/base-command.js'
import {ApiError} from '../../lib/errors.js'

export default class AppsCreate extends TugCommand<App> {
  static override description = `create an app

Without NAME the control plane picks a random one. In a git repository it adds a git remote (\`tug\` unless --remote says otherwise): \`git push tug main\` deploys, and commands run there find the app without -a.`

  static override examples = [
    '<%= config.bin %> apps:create shop',
    '<%= config.bin %> apps:create shop --region eu',
    '<%= config.bin %> apps:create shop --team payments',
    '<%= config.bin %> apps:create --json',
  ]

  // Heroku's spellings, for muscle memory and scripts written for it.
  static override hiddenAliases = ['create']

  static override args = {
    name: Args.string({description: 'name of the app (lower-case letters, digits and dashes)'}),
  }

  static override flags = {
    region: Flags.string({description: 'region to create the app in', helpValue: 'REGION'}),
    stack: Flags.string({description: 'stack to build the app on', helpValue: 'STACK'}),
    team: Flags.string({char: 't', description: "team that owns the app (its members get access by their role)", helpValue: 'TEAM'}),
    remote: Flags.string({description: 'name of the git remote to add when run in a git repository', default: 'tug', helpValue: 'NAME'}),
    'no-remote': Flags.boolean({description: 'do not add a git remote'}),
  }

  async run(): Promise<App> {
    const {args, flags} = await this.parse(AppsCreate)
    const api = await this.api()
    const body: AppCreateBody = {}
    if (args.name) body.name = args.name
    if (flags.region) body.region = flags.region
    if (flags.stack) body.stack = flags.stack
    if (flags.team) body.team = flags.team
    const title = args.name ? `Creating ${args.name}` : 'Creating app'
    const create = async (): Promise<App> => {
      try {
        return await api.apps.create(body)
      } catch (error) {
        // The server's message is Heroku's, word for word; it leaves out the length rule.
        if (error instanceof ApiError && error.status === 422 && error.message.startsWith('Name must start with a letter')) {
          throw new ApiError({status: error.status, id: error.id, message: error.message, requestId: error.requestId, body: error.body, hint: 'App names are 3 to 30 characters long, for example shop or shop-staging.'})
        }
        throw error
      }
    }
    const app = await this.action(title, create, (created) => (args.name ? 'done' : `done, ${created.name}`))
    this.out(formatCreated(app))
    if (!flags['no-remote']) {
      const url = remoteUrlFor(app, (await this.target()).source)
      if (addGitRemote(this.io.cwd(), flags.remote, url) === 'added') {
        this.info(`Git remote ${flags.remote} added: ${url}`)
        const warning = remoteHelperWarning(url, this.io.env)
        if (warning) this.info(warning)
      }
    }
    return app
  }
}
