import {Args} from '@oclif/core'

import type {OAuthAuthorization} from '../../shared/api-types.js'
import {TugCommand} from '../../lib/cli/base-command.js'

export default class AuthorizationsRevoke extends TugCommand<OAuthAuthorization> {
  static override description = 'revoke one of your API tokens: it stops working at once'

  static override examples = ['<%= config.bin %> authorizations:revoke 105a7bfa-34c3-476e-873a-b1ac3fdc12fb']

  static override hiddenAliases = ['authorizations:destroy']

  static override args = {
    id: Args.string({description: 'the authorization ID (from tug authorizations)', required: true}),
  }

  async run(): Promise<OAuthAuthorization> {
    const {args} = await this.parse(AuthorizationsRevoke)
    const api = await this.api()
    const auth = await this.action(`Revoking OAuth Authorization ${args.id}`, () => api.authorizations.revoke(args.id))
    this.out(`Revoked ${auth.description || auth.id}`)
    return auth
  }
}
