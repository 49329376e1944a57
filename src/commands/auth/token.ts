import {RuntimeError} from '../../lib/errors.js'
import {TugCommand} from '../../lib/cli/base-command.js'

export default class AuthToken extends TugCommand<{token: string; url: string; source: string}> {
  static override description = `print the API token tug is using

The token comes from TUG_API_KEY, the ~/.netrc entry saved by \`tug login\`, or the local control
plane, in that order.`

  static override examples = ['<%= config.bin %> auth:token', 'TOKEN=$(<%= config.bin %> auth:token)']

  async run(): Promise<{token: string; url: string; source: string}> {
    await this.parse(AuthToken)
    const target = await this.target()
    if (!target.token) {
      throw new RuntimeError(`No token for ${target.url}.`, {hint: 'Run `tug login` or set TUG_API_KEY.'})
    }
    this.out(target.token)
    return {token: target.token, url: target.url, source: target.source}
  }
}
