import {Args} from '@oclif/core'

import type {OAuthAuthorization} from '../../shared/api-types.js'
import {formatAuthorization} from '../../lib/authorizations/format.js'
import {TugCommand} from '../../lib/cli/base-command.js'

export default class AuthorizationsInfo extends TugCommand<OAuthAuthorization> {
  static override description = 'show one of your API tokens: its scope, app and expiry (not its secret)'

  static override examples = ['<%= config.bin %> authorizations:info 105a7bfa-34c3-476e-873a-b1ac3fdc12fb']

  static override args = {
    id: Args.string({description: 'the authorization ID (from tug authorizations)', required: true}),
  }

  async run(): Promise<OAuthAuthorization> {
    const {args} = await this.parse(AuthorizationsInfo)
    const auth = await (await this.api()).authorizations.info(args.id)
    for (const line of formatAuthorization(auth, this.io.now())) this.out(line)
    return auth
  }
}
