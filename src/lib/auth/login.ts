// `tug login` / `tug logout`: check a token against GET /account, then keep it in ~/.netrc
// (machine = host[:port], and the host alone for git) and the URL in tug's config file.
import type {ApiClient} from '../api/client.js'
import type {Account} from '../../shared/api-types.js'
import {UsageError} from '../errors.js'
import {readNetrcEntry, removeNetrcEntry, writeNetrcEntry} from '../cli/netrc.js'
import {homeDir, machineFor, netrcPath, normalizeUrl, readConfig, removeConfig, writeConfig} from '../cli/target.js'

export interface LoginInput {
  url: string
  token: string
  env: NodeJS.ProcessEnv
  makeClient(url: string, token: string): Promise<Pick<ApiClient, 'account'>>
}

export interface LoginResult {
  url: string
  machine: string
  email: string
  account: Account
}

/** The URL `tug login` talks to: the argument, else TUG_API_URL, else the last login. */
export function loginUrl(arg: string | undefined, env: NodeJS.ProcessEnv): string {
  const url = arg ?? (env.TUG_API_URL || undefined) ?? readConfig(env).url
  if (!url) {
    throw new UsageError('No control plane URL given.', {hint: 'Run `tug login URL`, for example `tug login https://tug.example.com`.'})
  }
  return normalizeUrl(url)
}

/** The netrc machine git matches for the control plane's git URLs: the host name, without a port. */
export function gitMachineFor(url: string): string {
  return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1')
}

export async function login(input: LoginInput): Promise<LoginResult> {
  const token = input.token.trim()
  if (token === '') throw new UsageError('No token given.', {hint: 'Pass --token TOKEN, pipe it on stdin, or type it at the prompt.'})
  if (/\s/.test(token)) throw new UsageError('The token must not contain whitespace.')
  const url = normalizeUrl(input.url)
  const machine = machineFor(url)
  const account = await (await input.makeClient(url, token)).account.get()
  const home = homeDir(input.env)
  writeNetrcEntry(netrcPath(home), {machine, login: account.email, password: token})
  // git (through curl) looks a netrc machine up by host name alone, never host:port: the control
  // plane's git endpoint needs the entry Heroku writes for git.heroku.com, here for the host.
  const gitMachine = gitMachineFor(url)
  if (gitMachine !== machine) writeNetrcEntry(netrcPath(home), {machine: gitMachine, login: account.email, password: token})
  writeConfig(input.env, {url}, home)
  return {url, machine, email: account.email, account}
}

export interface LogoutResult {
  url?: string
  removedCredentials: boolean
  removedConfig: boolean
}

export function logout(env: NodeJS.ProcessEnv): LogoutResult {
  const home = homeDir(env)
  const saved = readConfig(env, home).url
  const url = saved ?? (env.TUG_API_URL || undefined)
  let removedCredentials = false
  if (url) {
    const file = netrcPath(home)
    const password = readNetrcEntry(file, machineFor(url))?.password
    removedCredentials = removeNetrcEntry(file, machineFor(url))
    // The git entry of the same host goes too, unless it holds another login's token (another port).
    const gitMachine = gitMachineFor(url)
    if (gitMachine !== machineFor(url) && password !== undefined && readNetrcEntry(file, gitMachine)?.password === password) {
      removeNetrcEntry(file, gitMachine)
    }
  }
  const removedConfig = removeConfig(env, home)
  return {url, removedCredentials, removedConfig}
}
