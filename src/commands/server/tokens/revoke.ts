import {Args, Flags} from '@oclif/core'

import {TugCommand} from '../../../lib/cli/base-command.js'
import {openDataDirStore, readAdminToken, resolveDataDir} from '../../../lib/cli/local-server.js'
import {UsageError} from '../../../lib/errors.js'

export default class ServerTokensRevoke extends TugCommand<{id: string; revoked: true}> {
  static override description = 'revoke an API token by id; requests with it fail from now on'

  static override examples = ['<%= config.bin %> server:tokens:revoke 01234567-89ab-cdef-0123-456789abcdef']

  static override args = {
    id: Args.string({description: 'id of the token (see `tug server:tokens`)', required: true}),
  }

  static override flags = {
    'data-dir': Flags.string({description: 'data directory of the server [default: $TUG_HOME or ~/.local/share/tug]'}),
  }

  async run(): Promise<{id: string; revoked: true}> {
    const {args, flags} = await this.parse(ServerTokensRevoke)
    const env = this.io.env
    const dataDir = resolveDataDir(flags['data-dir'], env, this.io.cwd())
    const {store} = await openDataDirStore(dataDir)
    try {
      const adminSecret = readAdminToken(dataDir)
      const adminId = adminSecret ? store.tokens.authenticate(adminSecret)?.id : undefined
      if (!store.tokens.revoke(args.id.toLowerCase())) {
        throw new UsageError(`No token with id ${args.id} in ${dataDir}.`, {hint: 'List them with `tug server:tokens`.'})
      }
      this.out(`Revoked token ${args.id.toLowerCase()}.`)
      if (adminId === args.id.toLowerCase()) {
        this.info(`That was the local admin token in ${dataDir}; a server started on it next makes a new one.`)
      }
      return {id: args.id.toLowerCase(), revoked: true}
    } finally {
      store.close()
    }
  }
}
