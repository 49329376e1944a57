import {spawn} from 'node:child_process'
import {Args} from '@oclif/core'

import {appFlags, TugCommand} from '../lib/cli/base-command.js'
import {isCI} from '../lib/cli/io.js'
import {RuntimeError} from '../lib/errors.js'

/** The command that opens a URL on this desktop, or undefined where there is none to open. */
export function browserCommand(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): [string, string[]] | undefined {
  if (env.BROWSER) return [env.BROWSER, []]
  if (platform === 'darwin') return ['open', []]
  if (platform === 'win32') return ['cmd', ['/c', 'start', '""']]
  // A Linux desktop session; over ssh or in a container there is no browser to start.
  if (env.DISPLAY || env.WAYLAND_DISPLAY) return ['xdg-open', []]
  return undefined
}

export default class Open extends TugCommand<{url: string}> {
  static override description = "print the app's web URL (through the tug router) and open it in a browser on a desktop"

  static override examples = ['<%= config.bin %> open -a shop', '<%= config.bin %> open /admin -a shop']

  static override args = {
    path: Args.string({description: 'path to open, e.g. /admin'}),
  }

  static override flags = {...appFlags}

  async run(): Promise<{url: string}> {
    const {args, flags} = await this.parse(Open)
    const name = this.requireApp(flags)
    const app = await (await this.api()).apps.info(name)
    if (!app.web_url) throw new RuntimeError(`${app.name} has no web URL.`)
    const url = new URL(args.path ?? '', app.web_url).href
    this.out(url)
    // Only for a person at a terminal: scripts and CI get the URL and nothing else.
    const opener = this.io.stdout.isTTY && !this.jsonEnabled() && !isCI(this.io.env) ? browserCommand(this.io.env) : undefined
    if (opener) {
      const [command, prefix] = opener
      try {
        const child = spawn(command, [...prefix, url], {detached: true, stdio: 'ignore'})
        child.on('error', () => this.info(`Could not start a browser (${command}); open the URL above.`))
        child.unref()
      } catch {
        this.info(`Could not start a browser (${command}); open the URL above.`)
      }
    }
    return {url}
  }
}
