import type {Collaborator} from '../../shared/api-types.js'
import {formatAccess} from '../../lib/access/format.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'

export default class Access extends TugCommand<Collaborator[]> {
  static override description = `list who has access to an app: its owner and collaborators, with their role

The owner and collaborators read and change the app; only the owner (and a team admin, or the control plane's admin) manages its access or destroys it. An app that belongs to a team is also open to the team's members by role (tug members -t TEAM).`

  static override examples = ['<%= config.bin %> access -a shop', '<%= config.bin %> access -a shop --json']

  static override flags = {...appFlags}

  async run(): Promise<Collaborator[]> {
    const {flags} = await this.parse(Access)
    const name = this.requireApp(flags)
    const api = await this.api()
    const [app, collaborators] = await Promise.all([api.apps.info(name), api.collaborators.list(name)])
    for (const line of formatAccess(app, collaborators)) this.out(line)
    return collaborators
  }
}
