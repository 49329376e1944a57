import {logout, type LogoutResult} from '../lib/auth/login.js'
import {TugCommand} from '../lib/cli/base-command.js'

export default class Logout extends TugCommand<LogoutResult> {
  static override description = 'log out: forget the saved control plane and its token in ~/.netrc'

  static override examples = ['<%= config.bin %> logout']

  async run(): Promise<LogoutResult> {
    await this.parse(Logout)
    const result = await this.action('Logging out', async () => logout(this.io.env))
    if (!result.removedCredentials && !result.removedConfig) this.info('You were not logged in.')
    return result
  }
}
