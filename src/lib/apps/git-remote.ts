// The git remotes tug manages in a checkout: `apps:create` adds one for the new app (as Heroku's
// CLI does), `git:remote` links an existing checkout, `apps:destroy` removes the ones that point
// at the destroyed app. Commands run there find the app from the remote without -a.
//
// Which URL: a control plane reached at a stable address (TUG_API_URL, `tug login`) gets the app's
// `git_url`, as Heroku's `https://git.heroku.com/<app>.git`; git authenticates with the netrc
// entry `tug login` wrote. The embedded local control plane gets `tug://<app>` instead: its port
// is only kept while it is free and its token lives in a file in $TUG_HOME, not in ~/.netrc, so a
// plain URL would break after a restart on another port and ask for a password. git hands a
// `tug://` URL to `git-remote-tug` (remote-helper.ts, a bin of this package), which finds or
// starts the control plane at push time and gives git its URL and token.
import {accessSync, constants} from 'node:fs'
import {delimiter, join} from 'node:path'

import {childProcess} from '../child-process.js'

export type GitRunner = (args: string[], cwd: string) => string

const git: GitRunner = (args, cwd) => childProcess().execFileSync('git', args, {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})

export const TUG_URL_SCHEME = 'tug:'

/** `tug://<app>`: the app on whatever control plane tug points at when git uses the remote. */
export function tugRemoteUrl(app: string): string {
  return `tug://${app}`
}

/** The app a `tug://<app>` URL names, or undefined for any other URL. */
export function appFromTugUrl(url: string): string | undefined {
  const match = /^tug:\/\/([a-z][a-z0-9-]*)\/?$/.exec(url.trim())
  return match?.[1]
}

/** The remote URL for an app: `tug://<app>` for the embedded control plane, its git_url otherwise. */
export function remoteUrlFor(app: {name: string; git_url: string}, targetSource: 'env' | 'netrc' | 'local'): string {
  return targetSource === 'local' ? tugRemoteUrl(app.name) : app.git_url
}

/** Whether git will find `git-remote-tug` (it looks on PATH, after its own exec path). */
export function remoteHelperOnPath(env: NodeJS.ProcessEnv): boolean {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    try {
      accessSync(join(dir, 'git-remote-tug'), constants.X_OK)
      return true
    } catch {
      // not in this one
    }
  }
  return false
}

/** What to say when a tug:// remote was set up but git will not find its helper. */
export function remoteHelperWarning(url: string, env: NodeJS.ProcessEnv): string | undefined {
  if (appFromTugUrl(url) === undefined || remoteHelperOnPath(env)) return undefined
  return 'Warning: git push to this remote needs git-remote-tug on your PATH. It is installed with tug (npm install -g, or npm link in a checkout of tug); its file is bin/git-remote-tug.js.'
}

export type RemoteOutcome = 'added' | 'exists' | 'not-a-repo'

function insideWorkTree(cwd: string, run: GitRunner): boolean {
  try {
    return run(['rev-parse', '--is-inside-work-tree'], cwd).trim() === 'true'
  } catch {
    return false
  }
}

function remoteUrl(cwd: string, name: string, run: GitRunner): string | undefined {
  try {
    return run(['remote', 'get-url', name], cwd).trim()
  } catch {
    return undefined
  }
}

export function addGitRemote(cwd: string, name: string, url: string, run: GitRunner = git): RemoteOutcome {
  if (!insideWorkTree(cwd, run)) return 'not-a-repo'
  if (remoteUrl(cwd, name, run) !== undefined) return 'exists'
  run(['remote', 'add', name, url], cwd)
  return 'added'
}

export type SetRemoteOutcome = 'added' | 'updated' | 'unchanged' | 'not-a-repo'

/** `git:remote`: the remote `name` points at `url` afterwards, whether it existed or not (as Heroku's). */
export function setGitRemote(cwd: string, name: string, url: string, run: GitRunner = git): SetRemoteOutcome {
  if (!insideWorkTree(cwd, run)) return 'not-a-repo'
  const current = remoteUrl(cwd, name, run)
  if (current === url) return 'unchanged'
  run(['remote', current === undefined ? 'add' : 'set-url', name, url], cwd)
  return current === undefined ? 'added' : 'updated'
}

/**
 * Removes the remotes that point at the app: `tug://<app>` or its git_url exactly; a remote that
 * points anywhere else stays. Returns the names removed.
 */
export function removeAppRemotes(cwd: string, app: {name: string; git_url: string}, run: GitRunner = git): string[] {
  if (!insideWorkTree(cwd, run)) return []
  let listing: string
  try {
    listing = run(['config', '--get-regexp', String.raw`^remote\..*\.url$`], cwd)
  } catch {
    return []
  }
  const removed: string[] = []
  for (const line of listing.split('\n')) {
    const match = /^remote\.(.+)\.url (.*)$/.exec(line.trim())
    if (!match) continue
    const [, name = '', url = ''] = match
    if (removed.includes(name) || (appFromTugUrl(url) !== app.name && url !== app.git_url)) continue
    run(['remote', 'remove', name], cwd)
    removed.push(name)
  }
  return removed
}
