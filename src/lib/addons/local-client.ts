// pg:psql and redis:cli run the machine's own psql or redis-cli, attached to the terminal, and
// exit with its status. The password goes in the client's environment variable (PGPASSWORD,
// REDISCLI_AUTH), not on its command line, where any local user could read it in ps.
import {spawn} from 'node:child_process'
import {existsSync, statSync} from 'node:fs'
import {constants} from 'node:os'
import {delimiter, join} from 'node:path'
import {RuntimeError} from '../errors.js'

export interface LocalClient {
  command: string
  args: string[]
  env: Record<string, string>
  /** Written to its stdin, then closed (the commands to run); the terminal's stdin otherwise. */
  input?: string
  /** What to install when the command is missing. */
  install: string
}

/** `command`'s path on `PATH`, or undefined. */
export function findOnPath(command: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, command)
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate
  }
  return undefined
}

/** psql for `url`: the URL without its password, which goes in PGPASSWORD. */
export function psqlClient(url: string, options: {commands?: string[]; file?: string} = {}): LocalClient {
  const parsed = new URL(url)
  const password = decodeURIComponent(parsed.password)
  parsed.password = ''
  const args = [parsed.toString(), ...(options.commands ?? []).flatMap((c) => ['-c', c]), ...(options.file === undefined ? [] : ['-f', options.file])]
  return {command: 'psql', args, env: password === '' ? {} : {PGPASSWORD: password}, install: "PostgreSQL's client: apt-get install postgresql-client, brew install libpq, or https://www.postgresql.org/download/"}
}

/** redis-cli for `url`, with `commands` (one per line, in redis-cli's own quoting) or interactive. */
export function redisClient(url: string, commands: string[] = []): LocalClient {
  const parsed = new URL(url)
  const password = decodeURIComponent(parsed.password)
  const user = decodeURIComponent(parsed.username)
  parsed.password = ''
  // redis-cli sends no AUTH at all for a URL that names a user but no password, even with
  // REDISCLI_AUTH set: the user goes in --user, and only when it is not the default one.
  parsed.username = ''
  return {
    command: 'redis-cli',
    args: ['-u', parsed.toString(), ...(user === '' || user === 'default' ? [] : ['--user', user])],
    env: password === '' ? {} : {REDISCLI_AUTH: password},
    ...(commands.length > 0 ? {input: commands.join('\n') + '\n'} : {}),
    install: 'redis-cli: apt-get install redis-tools, brew install redis, or https://redis.io/docs/install/',
  }
}

/** Runs the client attached to this terminal; resolves with its exit status. */
export function runLocalClient(client: LocalClient, env: NodeJS.ProcessEnv): Promise<number> {
  const binary = findOnPath(client.command, env.PATH)
  if (!binary) return Promise.reject(new RuntimeError(`${client.command} is not installed (or not on PATH).`, {hint: `Install ${client.install}`}))
  return new Promise((resolve, reject) => {
    const child = spawn(binary, client.args, {env: {...env, ...client.env}, stdio: [client.input === undefined ? 'inherit' : 'pipe', 'inherit', 'inherit']})
    // Ctrl-C is the client's (psql cancels the query): this process waits for it to end.
    const ignore = () => {}
    process.on('SIGINT', ignore)
    child.stdin?.on('error', () => {})
    child.stdin?.end(client.input)
    child.on('error', (error) => {
      process.off('SIGINT', ignore)
      reject(new RuntimeError(`Could not run ${client.command}: ${error.message}`))
    })
    child.on('close', (code, signal) => {
      process.off('SIGINT', ignore)
      resolve(code ?? 128 + (signal === null ? 0 : constants.signals[signal]))
    })
  })
}
