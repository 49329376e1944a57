import {Args, Flags} from '@oclif/core'

import {ApiClient} from '../lib/api/client.js'
import {login, loginUrl, type LoginResult} from '../lib/auth/login.js'
import {TugCommand} from '../lib/cli/base-command.js'
import {promptSecret} from '../lib/cli/prompt.js'
import {readAll} from '../lib/cli/stdin.js'

export default class Login extends TugCommand<LoginResult> {
  static override description = `log in to a tug control plane

Checks the token with GET /account, then saves it in ~/.netrc (machine = host[:port], as Heroku's tools do) and the URL in ~/.config/tug/config.json. The token comes from --token, from stdin when stdin is not a terminal, or from a prompt.`

  static override examples = [
    '<%= config.bin %> login https://tug.example.com',
    'echo "$TUG_TOKEN" | <%= config.bin %> login http://127.0.0.1:5055',
    '<%= config.bin %> login https://tug.example.com --token "$TUG_TOKEN"',
  ]

  static override args = {
    url: Args.string({description: 'control plane URL (default: TUG_API_URL, then the last login)'}),
  }

  static override flags = {
    token: Flags.string({description: 'API token (default: stdin, or a prompt on a terminal)', helpValue: 'TOKEN'}),
  }

  async run(): Promise<LoginResult> {
    const {args, flags} = await this.parse(Login)
    const url = loginUrl(args.url, this.io.env)
    const token = flags.token ?? (await this.readToken(url))
    const result = await this.action(`Logging in to ${url}`, () =>
      login({
        url,
        token,
        env: this.io.env,
        makeClient: async (baseUrl, key) => {
          return new ApiClient({baseUrl, token: key, userAgent: `tug/${this.config.version}`})
        },
      }),
    )
    this.out(`Logged in as ${this.color(result.email, 'green')}`)
    return result
  }

  private async readToken(url: string): Promise<string> {
    const {stdin, stderr} = this.io
    if (!stdin.isTTY) return readAll(stdin)
    return promptSecret(`API token for ${url}`, {stdin, stderr})
  }
}
