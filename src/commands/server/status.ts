import {Flags} from '@oclif/core'

import {TugCommand} from '../../lib/cli/base-command.js'
import {findRunningServer, isAlive, readServerInfo, resolveDataDir} from '../../lib/cli/local-server.js'
import {describePointedAt, pointedAt, type PointedAt} from '../../lib/cli/pointed-at.js'
import {styledObject} from '../../lib/cli/styled.js'

export interface ServerStatus {
  running: boolean
  /** Running, and it answered an authenticated request with the admin token. */
  responding: boolean
  data_dir: string
  url: string | null
  pid: number | null
  started_at: string | null
  uptime_seconds: number | null
  /** Whether it runs apps in the sandbox (`tug server --no-sandbox` does not); absent when it does not say. */
  sandbox?: boolean
  /** Set when TUG_API_URL or `tug login` points the CLI elsewhere: then the local server is not used. */
  points_at?: PointedAt
}

export function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86_400)
  const h = Math.floor((seconds % 86_400) / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  if (d > 0) return `${d}d ${h}h`
  if (h > 0) return `${h}h ${m}m`
  if (m > 0) return `${m}m ${s}s`
  return `${s}s`
}

export default class ServerStatusCommand extends TugCommand<ServerStatus> {
  static override description = `show the control plane tug points at, or whether the local tug server is running, where, and for how long

With TUG_API_URL set, or after \`tug login\`, it shows that control plane's URL and whether it answers with the token; otherwise (or with --data-dir) the local server's.`

  static override examples = ['<%= config.bin %> server:status', '<%= config.bin %> server:status --json']

  static override flags = {
    'data-dir': Flags.string({description: 'data directory of the server [default: $TUG_HOME or ~/.local/share/tug]'}),
  }

  async run(): Promise<ServerStatus> {
    const {flags} = await this.parse(ServerStatusCommand)
    const env = this.io.env
    const dataDir = resolveDataDir(flags['data-dir'], env, this.io.cwd())
    const info = readServerInfo(dataDir)
    const alive = info !== undefined && isAlive(info.pid)
    const remote = flags['data-dir'] === undefined ? await pointedAt(env) : undefined
    if (remote) {
      this.out(describePointedAt(remote))
      if (info && alive) this.out(`A local tug server also runs on ${dataDir} (${info.url}); tug uses it only without TUG_API_URL and \`tug login\`.`)
    }
    if (!info || !alive) {
      if (!remote) this.out(`No tug server is running on ${dataDir}.`)
      return {running: false, responding: false, data_dir: dataDir, url: null, pid: null, started_at: null, uptime_seconds: null, ...(remote ? {points_at: remote} : {})}
    }
    const responding = (await findRunningServer(dataDir)) !== undefined
    if (remote) return {running: true, responding, data_dir: dataDir, url: info.url, pid: info.pid, started_at: info.started_at, uptime_seconds: null, points_at: remote}
    const started = Date.parse(info.started_at)
    const uptime = Number.isNaN(started) ? null : Math.max(0, Math.floor((this.io.now() - started) / 1000))
    this.out(`tug server is running${responding ? '' : ', but it does not answer requests with the admin token'}`)
    for (const line of styledObject([
      ['URL', info.url],
      ['PID', String(info.pid)],
      ['Uptime', uptime === null ? 'unknown' : `${formatUptime(uptime)} (since ${info.started_at})`],
      ['Data dir', dataDir],
      ...(info.sandbox === undefined ? [] : [['Sandbox', info.sandbox ? 'on' : 'off (apps run as the server\'s user)'] as [string, string]]),
    ])) {
      this.out(line)
    }
    return {running: true, responding, data_dir: dataDir, url: info.url, pid: info.pid, started_at: info.started_at, uptime_seconds: uptime, ...(info.sandbox === undefined ? {} : {sandbox: info.sandbox})}
  }
}
