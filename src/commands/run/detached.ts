import {Flags} from '@oclif/core'

import type {Dyno} from '../../shared/api-types.js'
import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {whileOnServer} from '../../lib/cli/interrupt.js'
import {displayLogs} from '../../lib/logs/display.js'
import {splitRunArgv, valueFlagSpellings} from '../../lib/run/argv.js'
import {commandLine, dynoBody} from '../../lib/run/dyno-body.js'
import {runFlags} from './index.js'

export default class RunDetached extends TugCommand<Dyno> {
  static override description = `run a command in a one-off dyno in the background

Its output goes to the app's logs; --tail follows them.`

  static override examples = [
    '<%= config.bin %> run:detached -a shop -- rake db:migrate',
    '<%= config.bin %> run:detached -a shop --tail -- bin/backfill',
  ]

  static override strict = false

  static override usage = 'run:detached [-a APP] [--env K=V;K2=V2] [--size SIZE] [--type TYPE] [--tail] [--] COMMAND...'

  static override flags = {
    ...appFlags,
    ...runFlags,
    tail: Flags.boolean({char: 't', description: "follow the dyno's logs"}),
  }

  async run(): Promise<Dyno> {
    const split = splitRunArgv(this.argv, valueFlagSpellings(RunDetached.flags))
    const {flags} = await this.parse(RunDetached, split.flags)
    const command = commandLine(split.command)
    const app = this.requireApp(flags)
    const {env, stdout} = this.io
    const body = dynoBody(command, flags, {attach: false, env})
    const api = await this.api()
    const dyno = await this.action(`Running ${command} on ${app}`, () => api.dynos.create(app, body), (d) => `done, ${d.name}`)
    if (flags.tail) {
      const session = await api.logSessions.create(app, {dyno: dyno.name, tail: true, lines: 100})
      // A server that cannot resume a stream (Heroku's logplex) gets a new session without history.
      const renew = async (): Promise<string> => (await api.logSessions.create(app, {dyno: dyno.name, tail: true, lines: 0})).logplex_url
      const goesOn = `${dyno.name} goes on on the server; follow it with \`tug logs -a ${app} -d ${dyno.name} --tail\` or stop it with \`tug ps:stop ${dyno.name} -a ${app}\``
      await whileOnServer(goesOn, () => displayLogs({url: session.logplex_url, tail: true, renew, stdout, stderr: this.io.stderr, color: this.colorOn(), json: this.jsonEnabled(), sleep: (ms) => this.io.sleep(ms)}))
    } else {
      this.info(`Run \`tug logs -a ${app} -d ${dyno.name}\` to view the output.`)
    }
    return dyno
  }
}
