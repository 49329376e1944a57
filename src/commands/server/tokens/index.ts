import {Flags} from '@oclif/core'

import {TugCommand} from '../../../lib/cli/base-command.js'
import {openDataDirStore, resolveDataDir} from '../../../lib/cli/local-server.js'
import {table} from '../../../lib/cli/table.js'

export interface TokenInfo {
  id: string
  description: string | null
  created_at: string
  last_used_at: string | null
}

export default class ServerTokens extends TugCommand<TokenInfo[]> {
  static override description = "list the API tokens of a tug server's data directory (never their secrets)"

  static override examples = ['<%= config.bin %> server:tokens', '<%= config.bin %> server:tokens --data-dir /srv/tug --json']

  static override flags = {
    'data-dir': Flags.string({description: 'data directory of the server [default: $TUG_HOME or ~/.local/share/tug]'}),
  }

  async run(): Promise<TokenInfo[]> {
    const {flags} = await this.parse(ServerTokens)
    const env = this.io.env
    const {store, admin} = await openDataDirStore(resolveDataDir(flags['data-dir'], env, this.io.cwd()))
    try {
      const tokens = store.tokens.list(admin.id).map(({id, description, created_at, last_used_at}) => ({id, description, created_at, last_used_at}))
      const rows = [['ID', 'Description', 'Created', 'Last used'], ...tokens.map((t) => [t.id, t.description ?? '', t.created_at, t.last_used_at ?? 'never'])]
      for (const line of table(rows)) this.out(line)
      return tokens
    } finally {
      store.close()
    }
  }
}
