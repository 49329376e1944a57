import {Flags} from '@oclif/core'

import type {OAuthAuthorization, OAuthAuthorizationCreateBody} from '../../shared/api-types.js'
import {formatAuthorization, parseExpiresIn, parseScope} from '../../lib/authorizations/format.js'
import {TOKEN_SCOPES} from '../../shared/api-types.js'
import {TugCommand} from '../../lib/cli/base-command.js'

export default class AuthorizationsCreate extends TugCommand<OAuthAuthorization> {
  static override description = `create an API token no stronger than its job

The token is printed once and never again (the control plane keeps only a hash). --scope read makes a token that only reads; write reads and changes apps; global (the default) does everything you may. --app limits it to one app (tug's extension; Heroku's tokens are user-wide). Use it as TUG_API_KEY, or \`tug login URL --token TOKEN\`.`

  static override examples = [
    '<%= config.bin %> authorizations:create --description "CI deploys of shop" --scope write --app shop',
    '<%= config.bin %> authorizations:create --description dashboard --scope read --expires-in 2592000',
    'TUG_API_KEY=$(<%= config.bin %> authorizations:create -d ci --short)',
  ]

  static override flags = {
    description: Flags.string({char: 'd', description: 'what the token is for (shown by tug authorizations)', helpValue: 'TEXT'}),
    scope: Flags.string({char: 's', description: `what the token may do: ${TOKEN_SCOPES.join(', ')}`, default: 'global', helpValue: 'SCOPE'}),
    app: Flags.string({char: 'a', description: 'limit the token to this app', helpValue: 'APP'}),
    'expires-in': Flags.string({char: 'e', description: 'seconds until the token expires (default: never)', helpValue: 'SECONDS'}),
    short: Flags.boolean({char: 'S', description: 'print only the token'}),
  }

  async run(): Promise<OAuthAuthorization> {
    const {flags} = await this.parse(AuthorizationsCreate)
    const body: OAuthAuthorizationCreateBody = {scope: [parseScope(flags.scope)]}
    if (flags.description !== undefined) body.description = flags.description
    const expiresIn = parseExpiresIn(flags['expires-in'])
    if (expiresIn !== undefined) body.expires_in = expiresIn
    if (flags.app !== undefined) body.app = flags.app
    const api = await this.api()
    const auth = await this.action('Creating OAuth Authorization', () => api.authorizations.create(body))
    if (flags.short) this.out(auth.access_token?.token ?? '')
    else for (const line of formatAuthorization(auth, this.io.now())) this.out(line)
    return auth
  }
}
