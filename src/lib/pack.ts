// `tug deploy`: the directory as a gzip'd tar, with what git would commit. `.gitignore` files
// (root and nested) and `.tugignore` files are honoured with git's precedence, as far as the
// `ignore` package follows it; `.git` is never included. node_modules goes in unless an ignore
// file says otherwise, as it would with a git push.

import {constants} from 'node:fs'
import {access, lstat, readdir, readFile, readlink, realpath} from 'node:fs/promises'
import {isAbsolute, join, relative, resolve, sep} from 'node:path'
import {gzipSync} from 'node:zlib'

import ignore, {type Ignore} from 'ignore'
import {create} from 'tar'

import {RuntimeError} from './errors.js'

export interface PackResult {
  /** The tar.gz archive. */
  data: Buffer
  /** Entries in it: regular files and symlinks (directories are implied by their paths). */
  files: number
  /** What was left out although no ignore file asked for it, one line each, with the reason. */
  skipped: string[]
}

const IGNORE_FILES = ['.gitignore', '.tugignore'] as const
const ALWAYS_EXCLUDED = new Set(['.git'])

/** The rules in force in one directory: its ancestors' and its own, rebased onto the root. */
interface Rules {
  patterns: string[]
  ig: Ignore
}

/** tar records a second path to the same inode as a hard link; store every file in full instead. */
class NoHardLinks extends Map<`${number}:${number}`, string> {
  override set(): this {
    return this
  }
}

export async function packDirectory(dir: string): Promise<PackResult> {
  const root = await realpath(dir)
  const rootStat = await lstat(root)
  if (!rootStat.isDirectory()) throw new RuntimeError(`${dir} is not a directory.`)

  const paths: string[] = []
  const skipped: string[] = []
  await walk(root, '', {patterns: [], ig: newIgnore()}, paths, skipped)

  // tar refuses an empty list; an empty archive is two zero blocks.
  if (paths.length === 0) return {data: gzipSync(Buffer.alloc(1024)), files: 0, skipped}
  const chunks: Buffer[] = []
  const stream = create(
    {
      cwd: root,
      gzip: true,
      // No uid/gid/user names, and no mtimes: the same tree packs to the same bytes.
      portable: true,
      noMtime: true,
      follow: false,
      noDirRecurse: true,
      // A file that vanishes or cannot be read fails the pack rather than being left out quietly.
      strict: true,
      linkCache: new NoHardLinks(),
    },
    paths,
  )
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer)
  } catch (error) {
    throw new RuntimeError(`Could not pack ${dir}: ${(error as Error).message}`, {cause: error})
  }
  return {data: Buffer.concat(chunks), files: paths.length, skipped}
}

async function walk(root: string, rel: string, inherited: Rules, paths: string[], skipped: string[]): Promise<void> {
  const absolute = rel === '' ? root : join(root, rel)
  let entries
  try {
    entries = await readdir(absolute, {withFileTypes: true})
  } catch (error) {
    throw new RuntimeError(`Cannot read directory ${rel === '' ? '.' : rel}: ${(error as Error).message}`)
  }
  const names = new Set(entries.map((entry) => entry.name))

  let rules = inherited
  const added: string[] = []
  for (const file of IGNORE_FILES) {
    if (!names.has(file)) continue
    const path = join(absolute, file)
    if (!(await lstat(path)).isFile()) continue
    added.push(...rebaseIgnoreRules(await readFile(path, 'utf8'), rel))
  }
  if (added.length > 0) {
    const patterns = [...inherited.patterns, ...added]
    rules = {patterns, ig: newIgnore().add(patterns)}
  }

  // Byte order, so the archive is the same whatever order the file system lists in.
  const sorted = entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const entry of sorted) {
    if (ALWAYS_EXCLUDED.has(entry.name)) continue
    const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`
    const childAbs = join(root, childRel)
    if (entry.isDirectory()) {
      if (rules.ig.ignores(`${childRel}/`)) continue
      await walk(root, childRel, rules, paths, skipped)
      continue
    }
    // Git treats a symlink as a file, even one that points at a directory.
    if (rules.ig.ignores(childRel)) continue
    if (entry.isSymbolicLink()) {
      const escape = await escapes(root, childAbs)
      if (escape) skipped.push(`${childRel}: ${escape}`)
      else paths.push(childRel)
    } else if (entry.isFile()) {
      try {
        await access(childAbs, constants.R_OK)
      } catch (error) {
        throw new RuntimeError(`Cannot read ${childRel}: ${(error as Error).message}`)
      }
      paths.push(childRel)
    } else {
      skipped.push(`${childRel}: not a regular file, directory or symlink`)
    }
  }
}

function newIgnore(): Ignore {
  // Case-sensitive, as git is on Linux and as the unpacked tree will be.
  return ignore({ignorecase: false})
}

/**
 * The rules of an ignore file in `base` (relative to the root), rewritten to apply from the root,
 * so that one matcher holds every level and the last matching rule decides, as in git: a pattern
 * with a slash before its end is anchored to `base`; one without matches at any depth below it.
 */
export function rebaseIgnoreRules(text: string, base: string): string[] {
  const rules: string[] = []
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === '' || raw.startsWith('#')) continue
    if (base === '') {
      rules.push(raw)
      continue
    }
    const negative = raw.startsWith('!')
    const body = negative ? raw.slice(1) : raw
    const slash = body.indexOf('/')
    const anchored = slash >= 0 && slash < body.replace(/\/+$/, '').length
    const rebased = anchored ? `${escapeGlob(base)}/${body.replace(/^\/+/, '')}` : `${escapeGlob(base)}/**/${body}`
    rules.push(`${negative ? '!' : ''}${rebased}`)
  }
  return rules
}

/** A directory name as a literal in a gitignore pattern. */
function escapeGlob(path: string): string {
  const escaped = path.replaceAll(/[\\*?[\]]/g, (char) => `\\${char}`)
  return /^[#!]/.test(escaped) ? `\\${escaped}` : escaped
}

/** Why a symlink would point outside the directory once unpacked, or undefined when it stays in. */
async function escapes(root: string, link: string): Promise<string | undefined> {
  const target = await readlink(link)
  if (isAbsolute(target)) return `symlink to an absolute path (${target}) left out`
  const lexical = resolve(link, '..', target)
  if (!inside(root, lexical)) return `symlink to ${target} points outside the directory, left out`
  // It may still leave through another symlink on its way (a -> b/x, b -> /etc).
  let real: string
  try {
    real = await realpath(lexical)
  } catch {
    return undefined // dangling, but it dangles inside
  }
  if (!inside(root, real)) return `symlink to ${target} points outside the directory, left out`
  return undefined
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel))
}
