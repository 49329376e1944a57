// What the builds leave on disk, kept bounded. Each build unpacks its source into a directory of
// its own under `<dataDir>/releases/<app-id>/`, up to the unpack limit (512 MB by default: a
// 509 KB gzip of zeros is about that much), and that directory was kept for ever: three such
// uploads took 1.5 GB. So the code of only the last N releases of an app stays (a release made
// from a rollback shares its code with the release it rolled back to); older code goes, except
// the current release's and what a dyno still runs. A release whose code went is marked, and a
// rollback to it says so.
import {rmSync} from 'node:fs'
import {join, resolve, sep} from 'node:path'
import type {Store} from '../store/index.js'
import {BuildsRepository, SourcesRepository} from './repository.js'

/** Under the data directory: one build cache per app (buildpacks' CACHE_DIR), kept across builds. */
export const CACHE_DIR = 'cache'

/** Releases whose code is kept per app, unless the server is told otherwise. */
export const DEFAULT_KEEP_RELEASES = 10

/**
 * Removes the code of the app's releases older than its last `keep`, but never the current
 * release's, a pending one's (its release phase may run), or one a dyno that has not ended uses.
 * Returns the directories removed.
 */
export function pruneReleaseCode(store: Store, dataDir: string, appId: string, keep: number): string[] {
  const app = store.apps.get(appId)
  if (!app) return []
  const releases = store.releases.list(appId)
  const kept = new Set<string>()
  const keepCodeOf = (releaseId: string | null): void => {
    const dir = releaseId === null ? undefined : store.releases.get(appId, releaseId)?.code_dir
    if (dir) kept.add(dir)
  }
  for (const release of releases.slice(-keep)) if (release.code_dir) kept.add(release.code_dir)
  for (const release of releases) if (release.status === 'pending') keepCodeOf(release.id)
  keepCodeOf(app.current_release_id)
  for (const dyno of store.dynos.list(appId)) if (dyno.ended_at === null) keepCodeOf(dyno.release_id)

  const appDir = resolve(dataDir, 'releases', appId)
  const removed: string[] = []
  for (const release of releases) {
    const dir = release.code_dir
    if (!dir || kept.has(dir) || release.code_pruned_at !== null || removed.includes(dir)) continue
    // Only what the builds made: a code_dir elsewhere (set through the store by hand) is not ours.
    if (!resolve(dir).startsWith(appDir + sep)) continue
    // Marked first: a crash between the two leaves a marked release whose code is still there,
    // which the next prune removes, never a release that points at missing code unmarked.
    store.releases.markCodePruned(appId, dir)
    rmSync(dir, {recursive: true, force: true})
    removed.push(dir)
  }
  return removed
}

/**
 * The files a destroyed app leaves: its release code, build cache, source blobs and build outputs. Read before
 * its rows go (they are deleted with the app); removed with `removeAppFiles` once its dynos stopped.
 */
export function appFiles(store: Store, dataDir: string, appId: string): string[] {
  const blobs = new SourcesRepository(store.db, store.clock).list(appId).map((s) => s.blob_path)
  const outputs = new BuildsRepository(store.db, store.clock).list(appId).flatMap((b) => (b.output_path ? [b.output_path] : []))
  return [join(dataDir, 'releases', appId), join(dataDir, CACHE_DIR, appId), ...blobs, ...outputs]
}

export function removeAppFiles(paths: readonly string[]): void {
  for (const path of paths) rmSync(path, {recursive: true, force: true})
}
