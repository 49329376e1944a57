// A deploy's source version and the release description the control plane makes of it. The
// client writes the version (src/lib/source-version.ts reads it from git) and the server reads it,
// so the convention lives here, once.

/** git's own mark for a tree that differs from its commit (`git describe --dirty`). */
export const DIRTY_SUFFIX = '-dirty'

const VERSION = /^([0-9a-f]{40}|[0-9a-f]{64})(-dirty)?$/

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
