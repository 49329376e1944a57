// A deploy's source version: the commit checked out, marked when the working tree differs from
// it, and the release description the control plane makes of it. The client writes the version
// and the server reads it, so the convention lives here, once.
import {execFileSync} from 'node:child_process'

/** git's own mark for a tree that differs from its commit (`git describe --dirty`). */
export const DIRTY_SUFFIX = '-dirty'

const VERSION = /^([0-9a-f]{40}|[0-9a-f]{64})(-dirty)?$/

/**
 * The commit checked out in `dir`, when it is in a git work tree, with `-dirty` when what would be
 * deployed from `dir` differs from it: changes to tracked files, staged or not, or untracked
 * files that git does not ignore. Outside git (or without git), undefined.
 */
export function gitVersion(dir: string): string | undefined {
  const git = (args: string[]): string => execFileSync('git', args, {cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
  try {
    const sha = git(['rev-parse', 'HEAD']).trim()
    if (!/^[0-9a-f]{40,64}$/.test(sha)) return undefined
    // Only `dir`: a change elsewhere in the repository is not in the deploy.
    const dirty = git(['status', '--porcelain', '--untracked-files=normal', '--', '.']) !== ''
    return dirty ? sha + DIRTY_SUFFIX : sha
  } catch {
    return undefined
  }
}

/**
 * `Deploy 84926a80`, `Deploy 84926a80 (uncommitted changes)` for a git version; any other version
 * as it is (`Deploy v1.2`); without one, the build's id prefix.
 */
export function deployDescription(version: string | null | undefined, buildId: string): string {
  if (!version) return `Deploy ${buildId.slice(0, 8)}`
  const git = VERSION.exec(version)
  if (!git) return `Deploy ${version}`
  return `Deploy ${(git[1] as string).slice(0, 8)}${git[2] ? ' (uncommitted changes)' : ''}`
}
