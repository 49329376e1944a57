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
  makeClient(url: string, token: string): Promise<Pick<ApiClient, 'account' | 'authorizations'>>
  /** The id of the token when this login made it (a password login): logout revokes it. */
  authorization?: string
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
  const replaced = savedLoginToken(input.env, home)
  writeNetrcEntry(netrcPath(home), {machine, login: account.email, password: token})
  // git (through curl) looks a netrc machine up by host name alone, never host:port: the control
  // plane's git endpoint needs the entry Heroku writes for git.heroku.com, here for the host.
  const gitMachine = gitMachineFor(url)
  if (gitMachine !== machine) writeNetrcEntry(netrcPath(home), {machine: gitMachine, login: account.email, password: token})
  writeConfig(input.env, input.authorization === undefined ? {url} : {url, authorization: input.authorization}, home)
  // The token the last password login here made is replaced, not left behind (it revokes itself).
  // Another control plane's saved token stays: its netrc entry is still there, and in use.
  if (replaced && replaced.url === url && replaced.token !== token) await revokeSaved(replaced, input.makeClient)
  return {url, machine, email: account.email, account}
}

interface SavedLoginToken {
  url: string
  token: string
  authorization: string
}

/** The saved login's token, when a password login made it (only those are this CLI's to revoke). */
function savedLoginToken(env: NodeJS.ProcessEnv, home: string): SavedLoginToken | undefined {
  const {url, authorization} = readConfig(env, home)
  if (!url || !authorization) return undefined
  const token = readNetrcEntry(netrcPath(home), machineFor(url))?.password
  return token ? {url, token, authorization} : undefined
}

/** Best effort: an unreachable control plane or a token already gone leaves nothing to do. */
async function revokeSaved(saved: SavedLoginToken, makeClient: (url: string, token: string) => Promise<Pick<ApiClient, 'authorizations'>>): Promise<boolean> {
  try {
    await (await makeClient(saved.url, saved.token)).authorizations.revoke(saved.authorization)
    return true
  } catch {
    return false
  }
}

export interface LogoutResult {
  url?: string
  removedCredentials: boolean
  removedConfig: boolean
  /** The token a password login made was revoked on the control plane. */
  revokedToken?: boolean
}

/**
 * Revokes the token the saved password login made, as `heroku logout` does, so that logins leave
 * no tokens behind. A token given to `tug login --token` is never revoked: it was not made here.
 * Best effort: with the control plane unreachable the token stays, and logout goes on.
 */
export async function revokeLoginToken(env: NodeJS.ProcessEnv, makeClient: (url: string, token: string) => Promise<Pick<ApiClient, 'authorizations'>>): Promise<boolean> {
  const saved = savedLoginToken(env, homeDir(env))
  return saved ? revokeSaved(saved, makeClient) : false
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
