// The PostgreSQL cluster a control plane runs itself when the operator names no server: made with
// initdb in <dataDir>/addons/postgres/ the first time a database is wanted, run as an unprivileged
// user (postgres refuses root) on a port of its own on 127.0.0.1 with password authentication,
// supervised (restarted if it dies) and stopped cleanly (fast shutdown) with the control plane.
// Its port is kept in a file, so the URLs in apps' config vars stay right across restarts.
//
// The postgres user may not walk the data directory's path (root's, 0700), and postgres and
// initdb make every path absolute and walk it. So, run as root, each runs in a mount namespace of
// its own (unshare) where its directory is bound at MOUNT_POINT, then drops to the postgres user
// (setpriv): only that process sees the directory there, and nothing stays mounted on the host.
import {randomBytes} from 'node:crypto'
import {chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {spawn} from 'node:child_process'
import {probeFreePort} from '../runtime/ports.js'
import {runSql, type PostgresServer} from './postgres.js'
import {serviceUser} from './service-user.js'
import {SupervisedProcess, type ServiceUser} from './supervised-process.js'

const HOST = '127.0.0.1'
const SUPERUSER = 'postgres'
const MOUNT_POINT = '/mnt'
const BIND_AND_DROP = `mount --bind "$0" ${MOUNT_POINT} && exec "$@"`

/** The newest PostgreSQL's binaries in Debian's layout, or undefined when none is installed. */
export function findPostgresBinaries(root = '/usr/lib/postgresql'): string | undefined {
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'postgres')) && existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin')
}

/** The command line that runs `binary` as `user` with `dir` at MOUNT_POINT; `args` name paths under `root`. */
function commandLine(binary: string, args: (root: string) => string[], dir: string, user: ServiceUser | undefined): [string, string[]] {
  if (!user) return [binary, args(dir)]
  const drop = ['/usr/bin/setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--']
  return ['/usr/bin/unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', BIND_AND_DROP, dir, ...drop, binary, ...args(MOUNT_POINT)]]
}

function run([command, args]: [string, string[]], cwd: string): Promise<{code: number | null; output: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {cwd, env: {PATH: '/usr/bin:/bin', LANG: 'C.UTF-8'}, stdio: ['ignore', 'pipe', 'pipe']})
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, output}))
  })
}

export interface PostgresClusterOptions {
  /** <dataDir>/addons/postgres */
  dir: string
  /** Where initdb and postgres are (default: findPostgresBinaries()). */
  binDir?: string
  warn: (message: string) => void
}

export class PostgresCluster implements PostgresServer {
  private readonly binDir: string | undefined
  private readonly user: ServiceUser | undefined
  private process: SupervisedProcess | undefined
  private starting: Promise<{url: string; host: string; port: number}> | undefined

  constructor(private readonly options: PostgresClusterOptions) {
    this.binDir = options.binDir ?? findPostgresBinaries()
    this.user = serviceUser('postgres')
  }

  unavailable(): string | undefined {
    return this.binDir ? undefined : "PostgreSQL's binaries are not installed (apt-get install postgresql) and no server was named (tug server --addons-postgres-url postgres://USER@HOST:PORT/postgres)"
  }

  admin(): Promise<{url: string; host: string; port: number}> {
    this.starting ??= this.start().catch((error: unknown) => {
      this.starting = undefined
      throw error
    })
    return this.starting
  }

  private async start(): Promise<{url: string; host: string; port: number}> {
    const reason = this.unavailable()
    if (reason) throw new Error(reason)
    const binDir = this.binDir as string
    const {dir} = this.options
    mkdirSync(dir, {recursive: true, mode: 0o700})
    if (this.user) chownSync(dir, this.user.uid, this.user.gid)
    const passwordFile = join(dir, 'superuser-password')
    const portFile = join(dir, 'port')
    if (!existsSync(join(dir, 'data', 'PG_VERSION'))) {
      // A half-made cluster (a crash during initdb) is made again from nothing.
      rmSync(join(dir, 'data'), {recursive: true, force: true})
      const password = randomBytes(32).toString('hex')
      writeFileSync(passwordFile, password, {mode: 0o600})
      if (this.user) chownSync(passwordFile, this.user.uid, this.user.gid)
      const initdb = (root: string) => ['-D', join(root, 'data'), '-U', SUPERUSER, `--pwfile=${join(root, 'superuser-password')}`, '--auth-host=scram-sha-256', '--auth-local=scram-sha-256', '-E', 'UTF8', '--locale=C']
      const made = await run(commandLine(join(binDir, 'initdb'), initdb, dir, this.user), dir)
      if (made.code !== 0) throw new Error(`initdb failed: ${made.output.trim().split('\n').slice(-3).join(' | ')}`)
      writeFileSync(portFile, String(await probeFreePort(HOST)), {mode: 0o600})
    }
    const password = readFileSync(passwordFile, 'utf8').trim()
    const port = Number(readFileSync(portFile, 'utf8').trim())
    const url = `postgres://${SUPERUSER}:${password}@${HOST}:${port}/postgres`
    // No Unix socket: only TCP on 127.0.0.1, where every role needs its password.
    const serverArgs = (root: string) => ['-D', join(root, 'data'), '-p', String(port), '-c', `listen_addresses=${HOST}`, '-c', 'unix_socket_directories=', '-c', 'logging_collector=off']
    const [command, args] = commandLine(join(binDir, 'postgres'), serverArgs, dir, this.user)
    this.process = new SupervisedProcess({
      label: 'the add-ons PostgreSQL cluster',
      command,
      args,
      processName: 'postgres',
      dir,
      probe: async () => (await runSql(url, ['SELECT 1'])).length === 1,
      stopSignal: 'SIGINT',
      warn: this.options.warn,
    })
    try {
      await this.process.start()
    } catch (error) {
      this.process = undefined
      throw error
    }
    // Add-on roles may connect to their own database only: not even to the maintenance ones.
    await runSql(url, ['REVOKE CONNECT ON DATABASE postgres FROM PUBLIC', 'REVOKE CONNECT ON DATABASE template1 FROM PUBLIC'])
    return {url, host: HOST, port}
  }

  async close(): Promise<void> {
    const starting = this.starting
    this.starting = undefined
    await starting?.catch(() => undefined)
    await this.process?.stop()
    this.process = undefined
  }
}
