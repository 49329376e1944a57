import {Flags} from '@oclif/core'

import {appFlags, TugCommand} from '../../lib/cli/base-command.js'
import {RemoteExitError, RuntimeError} from '../../lib/errors.js'
import {attach} from '../../lib/run/attach.js'
import {attachUpgrade} from '../../lib/run/upgrade.js'
import {splitRunArgv, valueFlagSpellings} from '../../lib/run/argv.js'
import {commandLine, dynoBody} from '../../lib/run/dyno-body.js'

export const runFlags = {
  env: Flags.string({char: 'e', description: 'environment variables for the dyno, as "KEY=value;KEY2=value2"', helpValue: 'VARS'}),
  size: Flags.string({char: 's', description: 'dyno size, like Standard-2X', helpValue: 'SIZE'}),
  type: Flags.string({description: 'process type to record the dyno as (default: run)', helpValue: 'TYPE'}),
}

export default class Run extends TugCommand<{dyno: string; status: number}> {
  static override description = `run a command in a one-off dyno, attached to your terminal

tug exits with the remote command's exit status. The words of COMMAND are joined with spaces and run by a shell, so quote what the remote shell should see as one word.

With a terminal on both stdin and stdout (and no --no-tty) the command runs under a pseudo-terminal of the same size; otherwise stdin is streamed to it (its end included) and stdout and stderr stay apart. Ctrl-C goes to the command; a second one within a second detaches (the dyno gets SIGHUP).

tug attaches over the API's own port (an HTTP Upgrade, through HTTPS_PROXY/HTTP_PROXY unless NO_PROXY matches) and falls back to the rendezvous protocol for servers without it; TUG_ATTACH=rendezvous forces that. TUG_CA_FILE names an extra CA to trust for the attach connection (NODE_EXTRA_CA_CERTS works too).`

  static override examples = [
    '<%= config.bin %> run -a shop bash',
    '<%= config.bin %> run -a shop -- rake db:migrate',
    '<%= config.bin %> run -a shop --env "RAILS_ENV=test;VERBOSE=1" --size Standard-2X -- bin/check',
    'echo "select 1;" | <%= config.bin %> run -a shop --no-tty -- psql "$DATABASE_URL"',
  ]

  // An attached session's output is the remote terminal; there is no JSON of it.
  static override enableJsonFlag = false

  // Ctrl-C goes to the dyno while attached (src/lib/run/attach.ts), not to tug.
  static override handlesSignals = true

  static override strict = false

  static override usage = 'run [-a APP] [--env K=V;K2=V2] [--size SIZE] [--type TYPE] [--no-tty] [--] COMMAND...'

  static override flags = {
    ...appFlags,
    ...runFlags,
    'no-tty': Flags.boolean({description: 'run the command without a pseudo-terminal on the dyno'}),
    'exit-code': Flags.boolean({char: 'x', description: 'accepted for Heroku compatibility: tug always exits with the remote status'}),
  }

  async run(): Promise<{dyno: string; status: number}> {
    const split = splitRunArgv(this.argv, valueFlagSpellings(Run.flags))
    const {flags} = await this.parse(Run, split.flags)
    const command = commandLine(split.command)
    const app = this.requireApp(flags)
    const {env, stdin, stdout, stderr} = this.io
    const tty = !flags['no-tty'] && Boolean(stdin.isTTY) && Boolean(stdout.isTTY)
    const body = dynoBody(command, flags, {attach: true, env, stdout, tty})
    const api = await this.api()
    const dyno = await this.action(`Running ${command} on ${app}`, () => api.dynos.create(app, body), (d) => `up, ${d.name}`)
    if (!dyno.attach_url) {
      throw new RuntimeError(`The control plane started ${dyno.name} but returned no attach URL: it does not support attached one-off dynos.`, {
        hint: `Use \`tug run:detached\` and \`tug logs -a ${app} -d ${dyno.name}\` instead.`,
      })
    }
    // The embedded control plane's own CA is trusted as its token is; TUG_CA_FILE for any other.
    const caFile = env.TUG_CA_FILE || (await this.target()).caFile
    const onDetach = (message: string): void => this.info(message)
    const upgradeUrl = env.TUG_ATTACH === 'rendezvous' ? undefined : dyno.attach_upgrade_url
    const status = upgradeUrl
      ? await attachUpgrade(upgradeUrl, {stdin, stdout, stderr, tty}, {token: (await this.target()).token, env, caFile, onDetach})
      : await attach(dyno.attach_url, {stdin, stdout, stderr, tty}, {caFile, env, onDetach})
    if (status !== 0) throw new RemoteExitError(status)
    return {dyno: dyno.name, status}
  }
}
