import type {Account} from '../../shared/api-types.js'
import {TugCommand} from '../../lib/cli/base-command.js'

export default class AuthWhoami extends TugCommand<Account> {
  static override description = 'show the email of the account the token belongs to'

  static override examples = ['<%= config.bin %> auth:whoami', '<%= config.bin %> auth:whoami --json']

  async run(): Promise<Account> {
    await this.parse(AuthWhoami)
    const account = await (await this.api()).account.get()
    this.out(account.email)
    return account
  }
}
