import {ApiClient} from '../lib/api/client.js'
import {logout, revokeLoginToken, type LogoutResult} from '../lib/auth/login.js'
import {TugCommand} from '../lib/cli/base-command.js'

export default class Logout extends TugCommand<LogoutResult> {
  static override description = `log out: forget the saved control plane and its token in ~/.netrc

A token made by a password login is also revoked on the control plane; one given with --token is only forgotten.`

  static override examples = ['<%= config.bin %> logout']

  async run(): Promise<LogoutResult> {
    await this.parse(Logout)
    const result = await this.action('Logging out', async () => {
      // One try, quickly: logging out must not wait on a control plane that is gone.
      const makeClient = async (baseUrl: string, token: string) => new ApiClient({baseUrl, token, retries: 0, timeoutMs: 5000, userAgent: `tug/${this.config.version}`})
      const revokedToken = await revokeLoginToken(this.io.env, makeClient)
      return {...logout(this.io.env), revokedToken}
    })
    if (!result.removedCredentials && !result.removedConfig) this.info('You were not logged in.')
    return result
  }
}
