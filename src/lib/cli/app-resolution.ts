// Which app a command is about: `-a/--app`, then `TUG_APP`, then a git remote (`-r NAME`, or the
// remote named `tug`), the same order Heroku's CLI uses with its own names.

import {appFromTugUrl} from '../apps/git-remote.js'
import {UsageError} from '../errors.js'
import {childProcess} from '../child-process.js'

export interface AppResolutionInput {
  flag?: string
  env: NodeJS.ProcessEnv
  /** `-r/--remote`: a git remote to take the app from. */
  remote?: string
  cwd: string
  /** Remote name to URL for the repository at cwd; defaults to asking git. */
  gitRemotes?: (cwd: string) => Record<string, string>
}

export const DEFAULT_REMOTE = 'tug'

export function resolveApp(input: AppResolutionInput): string | undefined {
  // Empty values count as unset: `-a "$APP"` with APP unset, or `TUG_APP=` in a CI config.
  if (input.flag) return input.flag
  const fromEnv = input.env.TUG_APP
  if (fromEnv) return fromEnv

  const remotes = (input.gitRemotes ?? readGitRemotes)(input.cwd)
  const name = input.remote || DEFAULT_REMOTE
  const url = Object.hasOwn(remotes, name) ? remotes[name] : undefined
  if (url === undefined) {
    if (input.remote) {
      const known = Object.keys(remotes)
      throw new UsageError(`Git remote "${input.remote}" does not exist in ${input.cwd}.`, {
        hint: known.length > 0 ? `Remotes here: ${known.join(', ')}.` : 'There are no git remotes here.',
      })
    }
    return undefined
  }
  const app = appFromRemoteUrl(url)
  if (!app) {
    throw new UsageError(`Cannot tell the app from git remote "${name}" (${url}).`, {
      hint: 'Use -a APP, or point the remote at https://HOST/APP.git.',
    })
  }
  return app
}

export function requireApp(input: AppResolutionInput): string {
  const app = resolveApp(input)
  if (app === undefined) throw new UsageError('No app specified. Use -a APP or set TUG_APP.')
  return app
}

/**
 * The app named by a git remote URL: the last path segment without `.git`, from
 * `https://host[:port]/<app>.git`, `https://host/apps/<app>`, `ssh://git@host/<app>.git`,
 * `git@host:<app>.git` or `tug://<app>`. Undefined for anything else (a local path, an empty path).
 */
export function appFromRemoteUrl(url: string): string | undefined {
  // tug://<app> (git-remote-tug's remotes, for the embedded control plane): the app is the host part.
  const tug = appFromTugUrl(url)
  if (tug !== undefined) return tug
  let path: string
  if (/^[a-z][a-z\d+.-]*:\/\//i.test(url)) {
    try {
      path = new URL(url).pathname
    } catch {
      return undefined
    }
  } else {
    // scp-like syntax, which git recognises only when no slash comes before the colon.
    const scp = /^(?:[^@/]+@)?[^:/]+:(.*)$/.exec(url)
    if (!scp) return undefined
    path = scp[1] ?? ''
  }
  const segment = path.replace(/\/+$/, '').split('/').pop() ?? ''
  let name: string
  try {
    name = decodeURIComponent(segment.replace(/\.git$/, ''))
  } catch {
    return undefined
  }
  return /^[\w][\w.-]*$/.test(name) ? name : undefined
}

/** Remote name to URL via `git config`; no repository, no remotes or no git at all: `{}`. */
export function readGitRemotes(cwd: string): Record<string, string> {
  let output: string
  try {
    output = childProcess().execFileSync('git', ['config', '--get-regexp', String.raw`^remote\..*\.url$`], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    })
  } catch {
    // Exit 1 is "no such key"; ENOENT is no git; both mean no remotes.
    return {}
  }
  return parseGitRemotes(output)
}

/** Parses `remote.<name>.url <url>` lines; names may contain dots; the first URL of a remote wins. */
export function parseGitRemotes(output: string): Record<string, string> {
  const remotes = new Map<string, string>()
  for (const line of output.split('\n')) {
    const match = /^remote\.(.+)\.url (.*)$/.exec(line.replace(/\r$/, ''))
    if (!match) continue
    const [, name = '', url = ''] = match
    if (!remotes.has(name)) remotes.set(name, url)
  }
  return Object.fromEntries(remotes)
}
