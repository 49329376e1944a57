// Safe extraction of an uploaded source tarball into a fresh directory.
//
// The archive comes from a client, so nothing in it is trusted: every path must land inside the
// destination, links may only point inside it (and nothing may be written through a link), device
// files and FIFOs are refused, and the size and entry-count limits are enforced while the bytes
// stream through the decompressor, so a gzip bomb is stopped after `maxBytes`, not after it has
// filled the disk. On any failure the partly written destination is removed.
import {once} from 'node:events'
import {createReadStream, createWriteStream, linkSync, lstatSync, mkdirSync, openSync, rmSync, symlinkSync, type WriteStream} from 'node:fs'
import {mkdir, open} from 'node:fs/promises'
import {dirname, posix, resolve, sep} from 'node:path'
import {pipeline, type Readable} from 'node:stream'
import {createGunzip} from 'node:zlib'
import {Parser, type ReadEntry} from 'tar'

export const DEFAULT_MAX_BYTES = 512 * 1024 * 1024
export const DEFAULT_MAX_ENTRIES = 20_000

export interface UnpackOptions {
  /** Limit on the uncompressed tar stream (headers and contents), in bytes. */
  maxBytes?: number
  /** Limit on the number of entries (files, directories and links). */
  maxEntries?: number
}

export interface UnpackResult {
  files: number
  directories: number
  links: number
  bytes: number
}

/** The archive is unsafe or malformed; the message says which entry and why. */
export class UnpackError extends Error {
  readonly entry?: string

  constructor(message: string, entry?: string) {
    super(entry === undefined ? message : `${message}: ${entry}`)
    this.name = 'UnpackError'
    this.entry = entry
  }
}

const GZIP_MAGIC = [0x1f, 0x8b]

/**
 * Relative archive path -> a normalised relative path, or undefined for the root itself.
 * Throws for absolute paths, `..` segments, NUL bytes and Windows drive or UNC prefixes.
 */
export function safeRelativePath(raw: string): string | undefined {
  if (raw.includes('\0')) throw new UnpackError('entry name contains a NUL byte', JSON.stringify(raw))
  if (raw.startsWith('/') || raw.startsWith('\\') || /^[a-zA-Z]:/.test(raw)) {
    throw new UnpackError('absolute path in archive', raw)
  }
  const segments = raw.split(/[/\\]/)
  if (segments.includes('..')) throw new UnpackError('path traversal (..) in archive', raw)
  const kept = segments.filter((s) => s !== '' && s !== '.')
  return kept.length === 0 ? undefined : kept.join('/')
}

/** Unpacks the file `source` (tar or tar.gz) into `dest`, which must not exist yet. */
export async function unpackTarball(source: string, dest: string, options: UnpackOptions = {}): Promise<UnpackResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES
  const root = resolve(dest)
  await mkdir(dirname(root), {recursive: true})
  await mkdir(root) // EEXIST here is deliberate: the destination must be fresh

  const result: UnpackResult = {files: 0, directories: 0, links: 0, bytes: 0}
  /** Each symbolic link written so far (relative path -> its target as written). */
  const symlinks = new Map<string, string>()
  const regularFiles = new Set<string>()
  const writes: Array<Promise<void>> = []
  const openStreams = new Set<WriteStream>()
  let failure: Error | undefined
  let entries = 0

  const fail = (error: Error): void => {
    failure ??= error
  }

  // A path must not pass through (or be) a symlink we created: writing through one could land
  // outside `root` even when the link itself looked harmless.
  const checkNoSymlinkOnPath = (rel: string, raw: string): void => {
    const parts = rel.split('/')
    for (let i = 1; i <= parts.length; i++) {
      if (symlinks.has(parts.slice(0, i).join('/'))) throw new UnpackError('entry passes through a symbolic link', raw)
    }
  }

  const target = (rel: string): string => {
    const abs = resolve(root, rel)
    if (abs !== root && !abs.startsWith(root + sep)) throw new UnpackError('path escapes the destination', rel)
    return abs
  }

  const onEntry = (entry: ReadEntry): void => {
    if (failure) {
      entry.resume()
      return
    }
    try {
      entries++
      if (entries > maxEntries) throw new UnpackError(`archive has more than ${maxEntries} entries`)
      if (entry.size > maxBytes) throw new UnpackError(`entry is larger than the ${maxBytes}-byte limit`, entry.path)
      const rel = safeRelativePath(entry.path)
      switch (entry.type) {
        case 'Directory': {
          if (rel !== undefined) {
            checkNoSymlinkOnPath(rel, entry.path)
            mkdirSync(target(rel), {recursive: true, mode: 0o755})
            result.directories++
          }
          entry.resume()
          return
        }
        case 'File':
        case 'OldFile':
        case 'ContiguousFile': {
          if (rel === undefined) throw new UnpackError('file entry without a name', entry.path)
          checkNoSymlinkOnPath(rel, entry.path)
          const abs = target(rel)
          mkdirSync(dirname(abs), {recursive: true, mode: 0o755})
          // Owner read/write always; execute bits kept; setuid/setgid/sticky and group/other
          // write never.
          const mode = ((entry.mode ?? 0o644) & 0o755) | 0o600
          // Opened synchronously so that a hard link later in the archive finds the file.
          const ws = createWriteStream(abs, {fd: openSync(abs, 'w', mode)})
          openStreams.add(ws)
          writes.push(
            new Promise<void>((resolveWrite) => {
              ws.on('error', (error) => {
                fail(error)
                entry.resume()
                resolveWrite()
              })
              ws.on('close', () => {
                openStreams.delete(ws)
                resolveWrite()
              })
            }),
          )
          entry.pipe(ws)
          regularFiles.add(rel)
          result.files++
          return
        }
        case 'SymbolicLink': {
          if (rel === undefined) throw new UnpackError('link entry without a name', entry.path)
          checkNoSymlinkOnPath(rel, entry.path)
          const linkpath = entry.linkpath ?? ''
          if (linkpath === '' || linkpath.includes('\0')) throw new UnpackError('symbolic link with an empty or invalid target', entry.path)
          if (posix.isAbsolute(linkpath) || /^[a-zA-Z]:|^\\/.test(linkpath)) {
            throw new UnpackError(`symbolic link points to an absolute path (${linkpath})`, entry.path)
          }
          // Checked now against the links so far, and again at the end against all of them: a
          // link later in the archive can change where this one's path leads.
          symlinks.set(rel, linkpath)
          checkLinkStaysInside(rel, symlinks)
          const abs = target(rel)
          mkdirSync(dirname(abs), {recursive: true, mode: 0o755})
          symlinkSync(linkpath, abs)
          result.links++
          entry.resume()
          return
        }
        case 'Link': {
          if (rel === undefined) throw new UnpackError('link entry without a name', entry.path)
          checkNoSymlinkOnPath(rel, entry.path)
          const linkRel = safeRelativePath(entry.linkpath ?? '')
          if (linkRel === undefined) throw new UnpackError('hard link with an empty target', entry.path)
          checkNoSymlinkOnPath(linkRel, entry.path)
          // Only to a regular file this archive already wrote: never to a file outside, never to
          // a symlink (a hard-linked symlink would resolve relative to its new place).
          if (!regularFiles.has(linkRel)) {
            throw new UnpackError(`hard link to a file not earlier in the archive (${entry.linkpath ?? ''})`, entry.path)
          }
          const abs = target(rel)
          const existing = target(linkRel)
          mkdirSync(dirname(abs), {recursive: true, mode: 0o755})
          if (!lstatSync(existing, {throwIfNoEntry: false})?.isFile()) {
            throw new UnpackError('hard link target is not a regular file', entry.path)
          }
          linkSync(existing, abs)
          regularFiles.add(rel)
          result.links++
          entry.resume()
          return
        }
        case 'CharacterDevice':
        case 'BlockDevice':
          throw new UnpackError('device files are not allowed', entry.path)
        case 'FIFO':
          throw new UnpackError('FIFOs are not allowed', entry.path)
        default:
          throw new UnpackError(`unsupported entry type ${entry.type}`, entry.path)
      }
    } catch (error) {
      fail(error instanceof Error ? error : new Error(String(error)))
      entry.resume()
    }
  }

  const parser = new Parser({strict: true, onReadEntry: onEntry})
  const parserDone = new Promise<void>((resolveParser) => {
    parser.on('error', (error: Error) => {
      fail(error instanceof UnpackError ? error : new UnpackError(`not a valid tar archive (${error.message})`))
      resolveParser()
    })
    parser.on('end', () => resolveParser())
    parser.on('close', () => resolveParser())
  })

  // Decompression happens here, outside the tar parser, so that every expanded byte is counted.
  const input = createReadStream(source)
  const stream: Readable = (await looksGzipped(source)) ? pipeline(input, createGunzip(), () => {}) : input
  try {
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        result.bytes += chunk.length
        if (result.bytes > maxBytes) throw new UnpackError(`archive expands to more than ${maxBytes} bytes`)
        // once() rejects on 'error'; that error is already recorded as `failure` by the listener.
        if (!parser.write(chunk)) await Promise.race([once(parser, 'drain').catch(() => undefined), parserDone])
        if (failure) throw failure
      }
    } catch (error) {
      if (error instanceof UnpackError || error === failure) throw error
      throw new UnpackError(`could not decompress the archive (${error instanceof Error ? error.message : String(error)})`)
    }
    if (result.bytes === 0) throw new UnpackError('the archive is empty')
    parser.end()
    await parserDone
    if (failure) throw failure
    await Promise.all(writes)
    if (failure) throw failure
    if (entries === 0) throw new UnpackError('the archive has no entries')
    for (const rel of symlinks.keys()) checkLinkStaysInside(rel, symlinks)
    return result
  } catch (error) {
    stream.destroy()
    input.destroy()
    for (const ws of openStreams) ws.destroy()
    await Promise.all(writes)
    rmSync(root, {recursive: true, force: true})
    throw error instanceof UnpackError ? error : new UnpackError(error instanceof Error ? error.message : String(error))
  }
}

/** Longest chain of links followed while resolving one, as the kernel's own limit (ELOOP). */
const MAX_LINK_HOPS = 40

/**
 * Throws unless the symbolic link at `rel` resolves inside the tree. The target is resolved the
 * way the kernel will on disk: segment by segment from the link's directory, where a segment that
 * is itself a link (in `links`, the archive's links) is replaced by where that link leads, so that
 * `a/b -> ..` then `a/c -> b/../..` is seen to leave the tree although `a/b/../..` looks inside.
 */
function checkLinkStaysInside(rel: string, links: ReadonlyMap<string, string>): void {
  const linkpath = links.get(rel) ?? ''
  const outside = (): UnpackError => new UnpackError(`symbolic link points outside the archive (${linkpath})`, rel)
  let hops = 0
  // The resolved path as segments below the root; undefined once it has left the tree.
  const walk = (from: string[], path: string): string[] | undefined => {
    const at = [...from]
    for (const segment of path.split('/')) {
      if (segment === '' || segment === '.') continue
      if (segment === '..') {
        if (at.length === 0) return undefined
        at.pop()
        continue
      }
      at.push(segment)
      const next = links.get(at.join('/'))
      if (next === undefined) continue
      if (++hops > MAX_LINK_HOPS) throw new UnpackError(`symbolic link loop or a chain of more than ${MAX_LINK_HOPS} links (${linkpath})`, rel)
      if (posix.isAbsolute(next)) return undefined
      at.pop()
      const resolved = walk(at, next)
      if (resolved === undefined) return undefined
      at.splice(0, at.length, ...resolved)
    }
    return at
  }
  if (walk(rel.split('/').slice(0, -1), linkpath) === undefined) throw outside()
}

async function looksGzipped(file: string): Promise<boolean> {
  const handle = await open(file, 'r')
  try {
    const buffer = Buffer.alloc(2)
    const {bytesRead} = await handle.read(buffer, 0, 2, 0)
    return bytesRead === 2 && buffer[0] === GZIP_MAGIC[0] && buffer[1] === GZIP_MAGIC[1]
  } finally {
    await handle.close()
  }
}
