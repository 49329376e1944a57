import {Flags} from '@oclif/core'

import type {LogSessionCreateBody} from '../shared/api-types.js'
import {appFlags, TugCommand} from '../lib/cli/base-command.js'
import {displayLogs} from '../lib/logs/display.js'
import {LOG_HISTORY_LINES} from '../shared/log-history.js'
import {openLogSession} from '../lib/logs/session.js'
import {unknownDynoNotice} from '../lib/ps/dyno-filter.js'

export default class Logs extends TugCommand<void> {
  static override description = `show an app's logs

Recent lines from every dyno and from the platform, one stream, oldest first. --num counts lines after the --dyno, --type and --source filters, up to the 10,000 the control plane keeps. --tail keeps streaming and resumes after a dropped connection; where the server cannot resume, it follows new lines and says that some may be missing. With --json, prints one JSON object per line.`

  static override examples = [
    '<%= config.bin %> logs -a shop',
    '<%= config.bin %> logs -a shop --tail',
    '<%= config.bin %> logs -a shop -d web.1 -n 500',
    '<%= config.bin %> logs -a shop --type worker --source app',
  ]

  static override flags = {
    ...appFlags,
    num: Flags.integer({char: 'n', description: 'how many recent lines to show', default: 100, min: 0, max: LOG_HISTORY_LINES, helpValue: 'N'}),
    tail: Flags.boolean({char: 't', description: 'keep streaming new lines'}),
    dyno: Flags.string({char: 'd', description: 'only this dyno (web.1), or a process type (web)', helpValue: 'DYNO', exclusive: ['type']}),
    type: Flags.string({description: 'only dynos of this process type', helpValue: 'TYPE'}),
    source: Flags.string({char: 's', description: 'only this source: app, or tug (platform lines; heroku works too)', helpValue: 'SOURCE'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Logs)
    const app = this.requireApp(flags)
    const body: LogSessionCreateBody = {lines: flags.num, tail: flags.tail === true}
    const dyno = flags.dyno ?? flags.type
    if (dyno) body.dyno = dyno
    if (flags.source) body.source = flags.source
    const api = await this.api()
    const session = await openLogSession(api, app, body)
    // A tail that cannot resume starts again at the present: history again would repeat lines.
    const renew = async (): Promise<string> => (await openLogSession(api, app, {...body, lines: 0, tail: true})).logplex_url
    const shown = await displayLogs({url: session.logplex_url, tail: flags.tail === true, lines: flags.num, renew, stderr: this.io.stderr, stdout: this.io.stdout, color: this.colorOn(), json: this.jsonEnabled(), sleep: (ms) => this.io.sleep(ms)})
    // The server answers an empty stream for a dyno or type the app never had: say why nothing came.
    if (dyno && !flags.tail && shown.lines === 0) {
      const notice = await unknownDynoNotice(api, app, dyno).catch(() => undefined)
      if (notice) this.info(notice)
    }
  }
}
