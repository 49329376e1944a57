import {hostname} from 'node:os'

import {Args, Flags} from '@oclif/core'

import {ApiClient} from '../lib/api/client.js'
import {login, loginUrl, type LoginResult} from '../lib/auth/login.js'
import {acceptInvitation, chooseLoginMethod, passwordLogin, scriptHint, type LoginMethod} from '../lib/auth/password-login.js'
import {TugCommand} from '../lib/cli/base-command.js'
import {promptSecret, promptText, type PromptStreams} from '../lib/cli/prompt.js'
import {readAll} from '../lib/cli/stdin.js'
import {UsageError} from '../lib/errors.js'

export default class Login extends TugCommand<LoginResult> {
  static override description = `log in to a tug control plane

On a terminal it asks for your email and password and gets a token for this machine (POST /oauth/authorizations, as Heroku's API does; it shows in \`tug authorizations\` as "tug CLI on <host>"). With --token, or a token piped on stdin, it logs in with that token (CI). An invited user runs it once with --invite CODE to choose a password. Scripts give the password in TUG_PASSWORD.

The token is checked with GET /account, then saved in ~/.netrc (machine = host[:port], as Heroku's tools do) and the URL in ~/.config/tug/config.json.`

  static override examples = [
    '<%= config.bin %> login https://tug.example.com',
    '<%= config.bin %> login https://tug.example.com --invite CODE_FROM_THE_ADMIN',
    '<%= config.bin %> login https://tug.example.com --token "$TUG_TOKEN"',
    'echo "$TUG_TOKEN" | <%= config.bin %> login http://127.0.0.1:5055',
    'TUG_PASSWORD="$PASSWORD" <%= config.bin %> login https://tug.example.com --email you@example.com',
  ]

  static override args = {
    url: Args.string({description: 'control plane URL (default: TUG_API_URL, then the last login)'}),
  }

  static override flags = {
    token: Flags.string({description: 'log in with this API token (default: stdin when it is not a terminal)', helpValue: 'TOKEN'}),
    email: Flags.string({char: 'e', description: 'log in as this user (the password: TUG_PASSWORD, or a prompt)', helpValue: 'EMAIL'}),
    invite: Flags.string({description: 'accept an invitation: choose a password, then log in', helpValue: 'CODE'}),
  }

  async run(): Promise<LoginResult> {
    const {args, flags} = await this.parse(Login)
    const url = loginUrl(args.url, this.io.env)
    const method = chooseLoginMethod({token: flags.token, email: flags.email, invite: flags.invite, password: this.io.env.TUG_PASSWORD, interactive: Boolean(this.io.stdin.isTTY)})
    const result = await this.loginWith(url, method)
    this.out(`Logged in as ${this.color(result.email, 'green')}`)
    return result
  }

  private async loginWith(url: string, method: LoginMethod): Promise<LoginResult> {
    const makeClient = async (baseUrl: string, token?: string): Promise<ApiClient> =>
      new ApiClient({baseUrl, token, userAgent: `tug/${this.config.version}`})
    if (method.kind === 'token' || method.kind === 'stdin-token') {
      const token = method.kind === 'token' ? method.token : await this.readStdinToken()
      return this.action(`Logging in to ${url}`, () => login({url, token, env: this.io.env, makeClient}))
    }
    let email: string
    let password: string
    if (method.kind === 'invite') {
      password = method.password ?? (await this.newPassword())
      const code = method.code
      email = await this.action('Accepting the invitation', () => acceptInvitation({url, code, password, anonymousClient: makeClient}))
    } else {
      email = method.email ?? (await promptText('Email', this.streams()))
      password = method.password ?? (await promptSecret('Password', this.streams()))
    }
    return this.action(`Logging in to ${url} as ${email}`, () =>
      passwordLogin({url, credentials: {email, password}, hostname: hostname(), env: this.io.env, makeClient, anonymousClient: makeClient}),
    )
  }

  private streams(): PromptStreams {
    return {stdin: this.io.stdin, stderr: this.io.stderr}
  }

  private async readStdinToken(): Promise<string> {
    const token = await readAll(this.io.stdin)
    if (token.trim() === '') throw new UsageError('No token on stdin, and stdin is not a terminal to ask for an email and a password.', {hint: scriptHint()})
    return token
  }

  private async newPassword(): Promise<string> {
    const first = await promptSecret('New password (10 characters or more)', this.streams())
    const second = await promptSecret('The same password again', this.streams())
    if (first !== second) throw new UsageError('The two passwords differ; nothing was changed.', {hint: 'Run the command again and type the same password twice.'})
    return first
  }
}
