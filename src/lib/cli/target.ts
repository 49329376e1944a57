// Where the CLI points: TUG_API_URL/TUG_API_KEY, then the control plane saved by `tug login`
// (its URL in the config file, its token in ~/.netrc), then the embedded local control plane.
import {existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {RENDEZVOUS_DIR} from '../../shared/data-dir.js'
import {UsageError} from '../errors.js'
import {ensureLocalServer} from './local-server.js'
import {readNetrcEntry} from './netrc.js'
import {homeDir, tugHome} from './paths.js'

// Here too, for the callers that resolve a target (local-server.ts takes them from paths.ts).
export {homeDir, tugHome} from './paths.js'

export interface Target {
  url: string
  token?: string
  source: 'env' | 'netrc' | 'local'
  /**
   * The embedded control plane's rendezvous CA (`tug run` over rendezvous:// trusts it), as the CLI
   * knows its token: both sit in the data directory it started the server on.
   */
  caFile?: string
}

export interface TugConfig {
  /** The control plane URL given to `tug login`. */
  url?: string
  /** The id of the token a password login made for this machine: `tug logout` revokes it. */
  authorization?: string
}

export function netrcPath(home: string): string {
  return join(home, '.netrc')
}

export function configPath(env: NodeJS.ProcessEnv, home: string = homeDir(env)): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(home, '.config')
  return join(base, 'tug', 'config.json')
}

/** The netrc machine name for an API URL: host with its port, as Heroku's tools use. */
export function machineFor(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new UsageError(`Invalid control plane URL: ${url}`, {hint: 'Use a URL like https://tug.example.com or http://127.0.0.1:5055.'})
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`Invalid control plane URL: ${url}`, {hint: 'Use an http:// or https:// URL.'})
  }
  return parsed.host
}

export function normalizeUrl(url: string): string {
  machineFor(url)
  return url.replace(/\/+$/, '')
}

export function readConfig(env: NodeJS.ProcessEnv, home: string = homeDir(env)): TugConfig {
  let text: string
  try {
    text = readFileSync(configPath(env, home), 'utf8')
  } catch {
    return {}
  }
  try {
    const parsed: unknown = JSON.parse(text)
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const {url, authorization} = parsed as Record<string, unknown>
      if (typeof url !== 'string') return {}
      return typeof authorization === 'string' ? {url, authorization} : {url}
    }
  } catch {
    // A corrupt config file is treated as no login; `tug login` rewrites it.
  }
  return {}
}

export function writeConfig(env: NodeJS.ProcessEnv, config: TugConfig, home: string = homeDir(env)): void {
  const file = configPath(env, home)
  mkdirSync(dirname(file), {recursive: true, mode: 0o700})
  const temp = `${file}.${process.pid}.tmp`
  writeFileSync(temp, JSON.stringify(config, null, 2) + '\n', {mode: 0o600})
  renameSync(temp, file)
}

export function removeConfig(env: NodeJS.ProcessEnv, home: string = homeDir(env)): boolean {
  const file = configPath(env, home)
  try {
    readFileSync(file)
  } catch {
    return false
  }
  rmSync(file, {force: true})
  return true
}

function tokenFromNetrc(url: string, home: string): string | undefined {
  const entry = readNetrcEntry(netrcPath(home), machineFor(url))
  return entry?.password
}

/** `progress` gets the one line the autostart of the local control plane prints while it starts. */
export async function resolveTarget(env: NodeJS.ProcessEnv, home: string = homeDir(env), progress?: {write(text: string): unknown}): Promise<Target> {
  const envUrl = env.TUG_API_URL && env.TUG_API_URL !== '' ? normalizeUrl(env.TUG_API_URL) : undefined
  const envKey = env.TUG_API_KEY && env.TUG_API_KEY !== '' ? env.TUG_API_KEY : undefined
  if (envUrl) {
    return {url: envUrl, token: envKey ?? tokenFromNetrc(envUrl, home), source: 'env'}
  }

  const saved = readConfig(env, home).url
  if (saved) {
    const url = normalizeUrl(saved)
    return {url, token: envKey ?? tokenFromNetrc(url, home), source: 'netrc'}
  }

  // The same environment as the rest of the resolution (TUG_NO_AUTOSTART, and tests that inject one).
  const dataDir = tugHome(env, home)
  const local = await ensureLocalServer(dataDir, {env, progress})
  const caFile = join(dataDir, RENDEZVOUS_DIR, 'ca.pem')
  return {url: local.url, token: envKey ?? local.token, source: 'local', ...(existsSync(caFile) ? {caFile} : {})}
}
