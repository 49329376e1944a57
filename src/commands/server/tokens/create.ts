import {Flags} from '@oclif/core'

import {TugCommand} from '../../../lib/cli/base-command.js'
import {openDataDirStore, resolveDataDir} from '../../../lib/cli/local-server.js'
import type {TokenInfo} from './index.js'

export default class ServerTokensCreate extends TugCommand<TokenInfo & {token: string}> {
  static override description = 'create an API token (for CI); the token is printed once and never again'

  static override examples = [
    '<%= config.bin %> server:tokens:create --description "CI deploys"',
    'TUG_API_KEY=$(<%= config.bin %> server:tokens:create --description ci) ...',
  ]

  static override flags = {
    description: Flags.string({char: 'd', description: 'what the token is for'}),
    'data-dir': Flags.string({description: 'data directory of the server [default: $TUG_HOME or ~/.local/share/tug]'}),
  }

  async run(): Promise<TokenInfo & {token: string}> {
    const {flags} = await this.parse(ServerTokensCreate)
    const env = this.io.env
    const {store, admin} = await openDataDirStore(resolveDataDir(flags['data-dir'], env, this.io.cwd()))
    try {
      const {token, secret} = store.tokens.create(admin.id, flags.description ?? null)
      this.info(`Created token ${token.id}${token.description ? ` (${token.description})` : ''}. It is shown only this once:`)
      this.out(secret)
      return {id: token.id, description: token.description, created_at: token.created_at, last_used_at: token.last_used_at, token: secret}
    } finally {
      store.close()
    }
  }
}
