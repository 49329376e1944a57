// `apps:create` in a git repository adds a remote for the new app (as Heroku's CLI does), so
// that later commands there find the app without -a.
import {execFileSync} from 'node:child_process'

export type GitRunner = (args: string[], cwd: string) => string

const git: GitRunner = (args, cwd) => execFileSync('git', args, {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})

export type RemoteOutcome = 'added' | 'exists' | 'not-a-repo'

export function addGitRemote(cwd: string, name: string, url: string, run: GitRunner = git): RemoteOutcome {
  try {
    if (run(['rev-parse', '--is-inside-work-tree'], cwd).trim() !== 'true') return 'not-a-repo'
  } catch {
    return 'not-a-repo'
  }
  try {
    run(['remote', 'get-url', name], cwd)
    return 'exists'
  } catch {
    // No such remote yet: add it.
  }
  run(['remote', 'add', name, url], cwd)
  return 'added'
}
