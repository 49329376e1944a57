import {Flags} from '@oclif/core'

import type {AuditEvent} from '../../shared/api-types.js'
import type {AuditQuery} from '../../lib/api/resources/audit.js'
import {formatAudit, parseSince} from '../../lib/audit/format.js'
import {TugCommand} from '../../lib/cli/base-command.js'

export default class Audit extends TugCommand<AuditEvent[]> {
  static override description = `show who changed what, when, and with which token: the audit trail

Every change is recorded (scaling, config, deploys, rollbacks, access, add-ons, tokens) and every login, failed ones too, without secrets or config values. The admin sees everything; others see the events of apps they may read and their own. Oldest first.`

  static override examples = [
    '<%= config.bin %> audit',
    '<%= config.bin %> audit -a shop --since 2h',
    '<%= config.bin %> audit --since 2026-11-27 -n 500 --json',
  ]

  static override flags = {
    app: Flags.string({char: 'a', description: "only this app's events", helpValue: 'APP'}),
    since: Flags.string({description: 'only events since a time ago (30m, 2h, 7d) or a time (2026-11-27T11:00:00Z)', helpValue: 'WHEN'}),
    num: Flags.integer({char: 'n', description: 'at most this many events (the latest)', min: 1, helpValue: 'N'}),
  }

  async run(): Promise<AuditEvent[]> {
    const {flags} = await this.parse(Audit)
    const query: AuditQuery = {}
    if (flags.app !== undefined) query.app = flags.app
    if (flags.since !== undefined) query.since = parseSince(flags.since, this.io.now())
    if (flags.num !== undefined) query.limit = flags.num
    const events = await (await this.api()).audit.list(query)
    if (events.length === 0) {
      this.info('No events.')
      return events
    }
    for (const line of formatAudit(events)) this.out(line)
    return events
  }
}
