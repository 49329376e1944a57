import type {OAuthAuthorization} from '../../shared/api-types.js'
import {formatAuthorizations} from '../../lib/authorizations/format.js'
import {TugCommand} from '../../lib/cli/base-command.js'

export default class Authorizations extends TugCommand<OAuthAuthorization[]> {
  static override description = `list your API tokens (OAuth authorizations), never their secrets

Each has a scope (read, write or global), may be limited to one app, and may expire. \`tug login\` with a password makes one called "tug CLI on <host>".`

  static override examples = ['<%= config.bin %> authorizations', '<%= config.bin %> authorizations --json']

  async run(): Promise<OAuthAuthorization[]> {
    await this.parse(Authorizations)
    const auths = await (await this.api()).authorizations.list()
    if (auths.length === 0) {
      this.info('No OAuth authorizations.')
      return auths
    }
    for (const line of formatAuthorizations(auths)) this.out(line)
    return auths
  }
}
