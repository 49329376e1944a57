// `tug login` / `tug logout`: check a token against GET /account, then keep it in ~/.netrc
// (machine = host[:port]) and the URL in tug's config file.
import type {ApiClient} from '../api/client.js'
import type {Account} from '../../shared/api-types.js'
import {UsageError} from '../errors.js'
import {removeNetrcEntry, writeNetrcEntry} from '../cli/netrc.js'
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

export async function login(input: LoginInput): Promise<LoginResult> {
  const token = input.token.trim()
  if (token === '') throw new UsageError('No token given.', {hint: 'Pass --token TOKEN, pipe it on stdin, or type it at the prompt.'})
  if (/\s/.test(token)) throw new UsageError('The token must not contain whitespace.')
  const url = normalizeUrl(input.url)
  const machine = machineFor(url)
  const account = await (await input.makeClient(url, token)).account.get()
  const home = homeDir(input.env)
  writeNetrcEntry(netrcPath(home), {machine, login: account.email, password: token})
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
  if (url) removedCredentials = removeNetrcEntry(netrcPath(home), machineFor(url))
  const removedConfig = removeConfig(env, home)
  return {url, removedCredentials, removedConfig}
}
