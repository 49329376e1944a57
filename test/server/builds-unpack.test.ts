import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'

import {UnpackError, safeRelativePath, unpackTarball} from '../../src/server/builds/unpack.js'
import {tarOf, type RawEntry} from './builds-tar.js'

describe('server/builds/unpack', () => {
  let dir: string
  let archive: string
  let dest: string

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tug-unpack-'))
    archive = join(dir, 'source.tgz')
    dest = join(dir, 'out', 'release')
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  async function rejects(entries: RawEntry[] | Buffer, pattern: RegExp, options = {}): Promise<void> {
    writeFileSync(archive, Buffer.isBuffer(entries) ? entries : gzipSync(tarOf(entries)))
    await assert.rejects(unpackTarball(archive, dest, options), (error: unknown) => {
      assert.ok(error instanceof UnpackError, `expected UnpackError, got ${String(error)}`)
      assert.match(error.message, pattern)
      return true
    })
    assert.equal(existsSync(dest), false, 'the partly written destination is removed')
  }

  it('extracts files, directories, modes and links that stay inside', async () => {
    writeFileSync(
      archive,
      gzipSync(
        tarOf([
          {name: './', type: '5', mode: 0o755},
          {name: './Procfile', body: 'web: node server.js\n'},
          {name: './bin/', type: '5', mode: 0o755},
          {name: './bin/start', body: '#!/bin/sh\necho hi\n', mode: 0o4777},
          {name: './lib/deep/x.txt', body: 'x'},
          {name: './current', type: '2', linkname: 'lib/deep'},
          {name: './lib/deep/up', type: '2', linkname: '../../Procfile'},
          {name: './copy', type: '1', linkname: 'lib/deep/x.txt'},
        ]),
      ),
    )
    const result = await unpackTarball(archive, dest)
    assert.deepEqual({files: result.files, directories: result.directories, links: result.links}, {files: 3, directories: 1, links: 3})
    assert.equal(readFileSync(join(dest, 'Procfile'), 'utf8'), 'web: node server.js\n')
    assert.equal(statSync(join(dest, 'bin/start')).mode & 0o7777, 0o755, 'setuid and group/other write are dropped')
    assert.equal(readlinkSync(join(dest, 'current')), 'lib/deep')
    assert.equal(readFileSync(join(dest, 'current/x.txt'), 'utf8'), 'x')
    assert.equal(readFileSync(join(dest, 'lib/deep/up'), 'utf8'), 'web: node server.js\n')
    assert.equal(statSync(join(dest, 'copy')).ino, statSync(join(dest, 'lib/deep/x.txt')).ino)
  })

  it('accepts an uncompressed tar too', async () => {
    writeFileSync(archive, tarOf([{name: 'Procfile', body: 'web: x\n'}]))
    const result = await unpackTarball(archive, dest)
    assert.equal(result.files, 1)
    assert.equal(readFileSync(join(dest, 'Procfile'), 'utf8'), 'web: x\n')
  })

  it('refuses a destination that already exists', async () => {
    writeFileSync(archive, gzipSync(tarOf([{name: 'a', body: 'a'}])))
    await unpackTarball(archive, dest)
    await assert.rejects(unpackTarball(archive, dest), /EEXIST/)
    assert.equal(readFileSync(join(dest, 'a'), 'utf8'), 'a')
  })

  it('rejects absolute paths', async () => {
    await rejects([{name: '/tmp/tug-evil', body: 'x'}], /^absolute path in archive: \/tmp\/tug-evil$/)
  })

  it('rejects .. traversal, and writes nothing outside', async () => {
    await rejects([{name: 'ok', body: 'ok'}, {name: '../escaped', body: 'x'}], /^path traversal \(\.\.\) in archive: \.\.\/escaped$/)
    assert.equal(existsSync(join(dir, 'out', 'escaped')), false)
    await rejects([{name: 'a/b/../../../escaped', body: 'x'}], /path traversal/)
  })

  it('rejects symlinks that point outside, absolute or relative', async () => {
    await rejects([{name: 'passwd', type: '2', linkname: '/etc/passwd'}], /^symbolic link points to an absolute path \(\/etc\/passwd\): passwd$/)
    await rejects([{name: 'a/up', type: '2', linkname: '../../..'}], /^symbolic link points outside the archive \(\.\.\/\.\.\/\.\.\): a\/up$/)
  })

  it('resolves chains of links as they will be on disk, and refuses one that leaves, whatever the order', async () => {
    // The reproduction: a/b -> .. is the root, so a/c -> b/../.. is the root's parent, although
    // a/b/../.. read as text stays inside.
    const chain: RawEntry[] = [
      {name: 'Procfile', body: 'web: x\n'},
      {name: 'a/b', type: '2', linkname: '..'},
      {name: 'a/c', type: '2', linkname: 'b/../..'},
    ]
    await rejects(chain, /^symbolic link points outside the archive \(b\/\.\.\/\.\.\): a\/c$/)
    await rejects([chain[0] as RawEntry, chain[2] as RawEntry, chain[1] as RawEntry], /^symbolic link points outside the archive \(b\/\.\.\/\.\.\): a\/c$/)
    // Longer chains, through a link to a link, in both orders.
    const longer: RawEntry[] = [
      {name: 'x/y/z', type: '2', linkname: '../..'},
      {name: 'x/w', type: '2', linkname: 'y/z'},
      {name: 'x/v', type: '2', linkname: 'w/..'},
    ]
    await rejects(longer, /^symbolic link points outside the archive \(w\/\.\.\): x\/v$/)
    await rejects([...longer].reverse(), /^symbolic link points outside the archive \(w\/\.\.\): x\/v$/)
    await rejects([{name: 'p', type: '2', linkname: 'q'}, {name: 'q', type: '2', linkname: 'p'}], /^symbolic link loop or a chain of more than 40 links \(p\): q$/)
    assert.deepEqual(readdirSync(join(dir, 'out')), [], 'nothing written beside the destination')

    // Chains that stay inside still unpack, and lead where the kernel says.
    writeFileSync(
      archive,
      gzipSync(
        tarOf([
          {name: 'Procfile', body: 'web: x\n'},
          {name: 'a/b', type: '2', linkname: '..'},
          {name: 'a/c', type: '2', linkname: 'b/a/b/Procfile'},
          {name: 'a/d', type: '2', linkname: 'b/a/../Procfile'},
        ]),
      ),
    )
    await unpackTarball(archive, dest)
    assert.equal(readFileSync(join(dest, 'a/c'), 'utf8'), 'web: x\n')
    assert.equal(readFileSync(join(dest, 'a/d'), 'utf8'), 'web: x\n')
    assert.equal(realpathSync(join(dest, 'a/c')), join(realpathSync(dest), 'Procfile'))
  })

  it('rejects writing through a symlink, even one that points inside', async () => {
    // s/t/d -> ../.. is the root; s/t/d/x -> ../.. would then be the root's parent.
    await rejects(
      [
        {name: 's/t/d', type: '2', linkname: '../..'},
        {name: 's/t/d/x', type: '2', linkname: '../..'},
      ],
      /^entry passes through a symbolic link: s\/t\/d\/x$/,
    )
    await rejects(
      [
        {name: 'l', type: '2', linkname: '.'},
        {name: 'l', body: 'overwrites the link target'},
      ],
      /passes through a symbolic link: l$/,
    )
  })

  it('rejects hard links to anything but a file the archive already wrote', async () => {
    await rejects([{name: 'h', type: '1', linkname: '/etc/passwd'}], /^absolute path in archive: \/etc\/passwd$/)
    await rejects([{name: 'h', type: '1', linkname: '../outside'}], /path traversal/)
    await rejects([{name: 'h', type: '1', linkname: 'later'}, {name: 'later', body: 'x'}], /hard link to a file not earlier in the archive \(later\): h/)
    await rejects(
      [
        {name: 's', type: '2', linkname: 'f'},
        {name: 'f', body: 'f'},
        {name: 'h', type: '1', linkname: 's'},
      ],
      /passes through a symbolic link: h/,
    )
  })

  it('rejects device files and FIFOs', async () => {
    await rejects([{name: 'null', type: '3'}], /^device files are not allowed: null$/)
    await rejects([{name: 'disk', type: '4'}], /^device files are not allowed: disk$/)
    await rejects([{name: 'pipe', type: '6'}], /^FIFOs are not allowed: pipe$/)
  })

  it('stops a tarball bomb while streaming, at the byte limit', async () => {
    const chunk = Buffer.alloc(512 * 1024)
    const entries = Array.from({length: 16}, (_, i) => ({name: `zeros-${i}`, body: chunk}))
    const compressed = gzipSync(tarOf(entries))
    assert.ok(compressed.length < 64 * 1024, 'the archive itself is small')
    await rejects(compressed, /^archive expands to more than 2097152 bytes$/, {maxBytes: 2 * 1024 * 1024})
  })

  it('rejects an entry whose declared size is over the limit before reading it', async () => {
    await rejects([{name: 'huge', size: 8 * 1024 * 1024 * 1024}], /^entry is larger than the 1048576-byte limit: huge$/, {maxBytes: 1024 * 1024})
  })

  it('limits the number of entries', async () => {
    const entries = Array.from({length: 11}, (_, i) => ({name: `f${i}`, body: ''}))
    await rejects(entries, /^archive has more than 10 entries$/, {maxEntries: 10})
  })

  it('rejects data that is not a tar archive, and an empty file', async () => {
    await rejects(Buffer.from('this is not a tarball at all, not even close. '.repeat(40)), /not a valid tar archive/)
    await rejects(gzipSync(Buffer.from('garbage')), /not a valid tar archive|no entries/)
    await rejects(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01]), /could not decompress the archive/)
    await rejects(Buffer.alloc(0), /^the archive is empty$/)
  })

  it('safeRelativePath normalises what is safe and throws for the rest', () => {
    assert.equal(safeRelativePath('./a//b/./c'), 'a/b/c')
    assert.equal(safeRelativePath('./'), undefined)
    assert.throws(() => safeRelativePath('C:\\windows'), /absolute path/)
    assert.throws(() => safeRelativePath('a\\..\\..\\b'), /path traversal/)
    assert.throws(() => safeRelativePath('a\0b'), /NUL/)
  })
})
