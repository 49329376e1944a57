// The slug: what a build leaves in its directory, which every release made from it runs. Here:
// `.slugignore`, its size, and the checksum of the source it was built from.
//
// `.slugignore` works as on Heroku: the files it matches are removed after the source is unpacked
// and BEFORE any buildpack runs (so that they never reach the slug, and a buildpack cannot use
// them either). Its patterns are .gitignore's, without `!` (Heroku does not support negation).
import {createHash} from 'node:crypto'
import {createReadStream, lstatSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {pipeline} from 'node:stream/promises'
import ignore from 'ignore'

export const SLUGIGNORE = '.slugignore'
/** Heroku's cap on a slug (500 MB). */
export const DEFAULT_MAX_SLUG_BYTES = 500 * 1024 * 1024

/**
 * Removes what the root `.slugignore` matches; returns how many files and directories went and
 * which of its lines were skipped (negations).
 */
export function applySlugignore(dir: string): {removed: number; skipped: string[]} {
  let text: string
  try {
    if (!lstatSync(join(dir, SLUGIGNORE)).isFile()) return {removed: 0, skipped: []}
    text = readFileSync(join(dir, SLUGIGNORE), 'utf8')
  } catch {
    return {removed: 0, skipped: []}
  }
  const skipped: string[] = []
  const patterns: string[] = []
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    if (line.startsWith('!')) skipped.push(line)
    else patterns.push(line)
  }
  const rules = ignore({ignorecase: false}).add(patterns)
  let removed = 0
  const walk = (relative: string): void => {
    for (const entry of readdirSync(join(dir, relative), {withFileTypes: true})) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`
      const isDir = entry.isDirectory()
      if (rules.ignores(isDir ? `${path}/` : path)) {
        rmSync(join(dir, path), {recursive: true, force: true})
        removed++
      } else if (isDir) {
        walk(path)
      }
    }
  }
  walk('')
  return {removed, skipped}
}

/** The bytes of the files under `dir` (symbolic links count as themselves, not their targets). */
export function treeBytes(dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) total += treeBytes(path)
    else total += lstatSync(path).size
  }
  return total
}

/** `23.4M`, `512K`, `0B`: a size as the build output shows it (Heroku's `Compressed slug size` style). */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)}K`
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)}M`
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)}G`
}

/** `SHA256:<hex>` of a file, the form of Heroku's `source_blob.checksum`. */
export async function fileChecksum(file: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(file), hash)
  return `SHA256:${hash.digest('hex')}`
}
