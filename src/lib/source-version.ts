// A deploy's source version: the commit checked out, marked when the working tree differs from
// it. The convention it follows, and the description the server makes of it, are in
// src/shared/source-version.ts.
import {execFileSync} from 'node:child_process'
import {DIRTY_SUFFIX} from '../shared/source-version.js'

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
