import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {chmodSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {gunzipSync} from 'node:zlib'

import {list, type ReadEntry} from 'tar'

import {RuntimeError} from '../../src/lib/errors.js'
import {packDirectory} from '../../src/lib/pack.js'

interface Listed {
  path: string
  type: string
  mode?: number
  linkpath?: string
  content?: string
  uid?: number
  gid?: number
  mtime?: Date
  uname?: string
}

async function listArchive(data: Buffer): Promise<Listed[]> {
  const entries: Listed[] = []
  const parser = list({
    onReadEntry: (entry: ReadEntry) => {
      const item: Listed = {path: entry.path, type: entry.type, mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime, uname: entry.uname}
      if (entry.linkpath) item.linkpath = entry.linkpath
      const chunks: Buffer[] = []
      entry.on('data', (chunk: Buffer) => chunks.push(chunk))
      entry.on('end', () => {
        if (entry.type === 'File') item.content = Buffer.concat(chunks).toString('utf8')
      })
      entries.push(item)
    },
  })
  await new Promise<void>((resolve, reject) => {
    parser.on('end', () => resolve())
    parser.on('error', reject)
    parser.end(data)
  })
  return entries
}

async function paths(dir: string): Promise<string[]> {
  return (await listArchive((await packDirectory(dir)).data)).map((entry) => entry.path)
}

describe('packDirectory', () => {
  let dir: string

  function write(rel: string, content = rel): void {
    const path = join(dir, rel)
    mkdirSync(dirname(path), {recursive: true})
    writeFileSync(path, content)
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tug-pack-'))
  })

  afterEach(() => {
    rmSync(dir, {recursive: true, force: true})
  })

  it('packs every file with relative paths, in byte order, with their contents', async () => {
    write('package.json', '{"name":"shop"}')
    write('Procfile', 'web: node server.js\n')
    write('src/server.js', 'console.log(1)')
    write('src/lib/a.js', 'a')
    write('B.txt', 'b')
    const result = await packDirectory(dir)
    assert.equal(result.files, 5)
    assert.deepEqual(result.skipped, [])
    assert.equal(result.data[0], 0x1f)
    assert.equal(result.data[1], 0x8b)
    const entries = await listArchive(result.data)
    assert.deepEqual(
      entries.map(({path, type, content}) => ({path, type, content})),
      [
        {path: 'B.txt', type: 'File', content: 'b'},
        {path: 'Procfile', type: 'File', content: 'web: node server.js\n'},
        {path: 'package.json', type: 'File', content: '{"name":"shop"}'},
        {path: 'src/lib/a.js', type: 'File', content: 'a'},
        {path: 'src/server.js', type: 'File', content: 'console.log(1)'},
      ],
    )
  })

  it('never includes .git, a directory or a file', async () => {
    write('.git/config', '[core]')
    write('.git/HEAD', 'ref')
    write('vendor/lib/.git', 'gitdir: ../../.git/modules/lib')
    write('vendor/lib/index.js')
    write('index.js')
    assert.deepEqual(await paths(dir), ['index.js', 'vendor/lib/index.js'])
  })

  it('keeps node_modules unless an ignore file leaves it out', async () => {
    write('node_modules/left-pad/index.js')
    write('index.js')
    assert.deepEqual(await paths(dir), ['index.js', 'node_modules/left-pad/index.js'])
    write('.gitignore', 'node_modules\n')
    assert.deepEqual(await paths(dir), ['.gitignore', 'index.js'])
  })

  it('honours the root .gitignore: globs, anchored paths, directory patterns, negation', async () => {
    write('.gitignore', ['# build output', '*.log', '!important.log', '/build', 'dist/', 'tmp', ''].join('\n'))
    write('app.log')
    write('important.log')
    write('sub/debug.log')
    write('build/out.js')
    write('sub/build/kept.js')
    write('dist/app.js')
    write('sub/dist/app.js')
    write('dist-file/kept.js')
    write('sub/tmp/x')
    write('index.js')
    assert.deepEqual(await paths(dir), ['.gitignore', 'dist-file/kept.js', 'important.log', 'index.js', 'sub/build/kept.js'])
  })

  it('honours nested .gitignore files, relative to their directory, overriding the root', async () => {
    write('.gitignore', '*.log\n')
    write('sub/.gitignore', '/only-here.txt\n!keep.log\nsecret.txt\n')
    write('sub/only-here.txt')
    write('sub/deeper/only-here.txt')
    write('sub/secret.txt')
    write('sub/deeper/secret.txt')
    write('sub/keep.log')
    write('sub/drop.log')
    write('keep.log')
    write('other/only-here.txt')
    assert.deepEqual(await paths(dir), ['.gitignore', 'other/only-here.txt', 'sub/.gitignore', 'sub/deeper/only-here.txt', 'sub/keep.log'])
  })

  it('cannot re-include a file inside an ignored directory, as in git', async () => {
    write('.gitignore', 'logs/\n!logs/keep.txt\n')
    write('logs/keep.txt')
    write('logs/other.txt')
    write('index.js')
    assert.deepEqual(await paths(dir), ['.gitignore', 'index.js'])
  })

  it('leaves out exactly what git would, on a tree full of tricky patterns', async function () {
    const files: Record<string, string> = {
      '.gitignore': ['*.log', '!keep*.log', '/root-only.txt', 'cache/', '**/gen/**', 'a/**/z.txt', '*.[oa]', 'trailing.txt   ', '\\#literal', 'Case.TXT', ''].join('\n'),
      'root-only.txt': '',
      'sub/root-only.txt': '',
      'debug.log': '',
      'keep-me.log': '',
      'x.o': '',
      'x.c': '',
      'lib.a': '',
      'trailing.txt': '',
      '#literal': '',
      'case.txt': '',
      'cache/file': '',
      'other/cache': 'a file named cache is kept: cache/ matches directories only',
      'src/gen/out.js': '',
      'src/gen.js': '',
      'a/z.txt': '',
      'a/b/c/z.txt': '',
      'b/z.txt': '',
      'sub/.gitignore': ['!debug2.log', '/anchored', 'deep/path.txt', '*', '!*/', '!*.js', ''].join('\n'),
      'sub/debug2.log': '',
      'sub/anchored': '',
      'sub/more/anchored': '',
      'sub/deep/path.txt': '',
      'sub/more/deep/path.txt': '',
      'sub/code.js': '',
      'sub/data.json': '',
      'sub/more/code.js': '',
      'sub/more/data.json': '',
      'we[ird]/.gitignore': 'hidden\n',
      'we[ird]/hidden': '',
      'we[ird]/shown': '',
      'we[ird]/x/hidden': '',
      '#hash/.gitignore': 'no\n',
      '#hash/no': '',
      '#hash/yes': '',
      'neg/.gitignore': '!important.log\n',
      'neg/important.log': '',
      'neg/other.log': '',
    }
    for (const [rel, content] of Object.entries(files)) write(rel, content)
    const env = {...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1'}
    let listed: string
    try {
      execFileSync('git', ['init', '-q'], {cwd: dir, env, stdio: 'ignore'})
      listed = execFileSync('git', ['ls-files', '--others', '--exclude-standard', '-z'], {cwd: dir, env, encoding: 'utf8'})
      rmSync(join(dir, '.git'), {recursive: true, force: true})
    } catch {
      this.skip() // no git here
    }
    const expected = listed.split('\0').filter((path) => path !== '').sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    assert.ok(expected.includes('other/cache') && !expected.includes('debug.log'), `the oracle itself: ${expected.join(' ')}`)
    assert.deepEqual(await paths(dir), expected)
  })

  it('honours .tugignore, which wins over .gitignore in the same directory', async () => {
    write('.gitignore', 'public/assets/\n')
    write('.tugignore', '!public/assets/\ntest/\n*.md\n')
    write('public/assets/app.css')
    write('test/app.test.js')
    write('README.md')
    write('sub/.tugignore', 'fixtures\n')
    write('sub/fixtures/big.bin')
    write('sub/code.js')
    write('index.js')
    assert.deepEqual(await paths(dir), ['.gitignore', '.tugignore', 'index.js', 'public/assets/app.css', 'sub/.tugignore', 'sub/code.js'])
  })

  it('keeps symlinks that stay inside, as symlinks, and skips those that leave, saying why', async () => {
    write('lib/real.js', 'real')
    write('bin/tool', '#!/bin/sh\n')
    symlinkSync('../lib/real.js', join(dir, 'bin/link.js'))
    symlinkSync('lib', join(dir, 'lib-dir'))
    symlinkSync('missing-inside', join(dir, 'dangling'))
    symlinkSync('/etc/passwd', join(dir, 'absolute'))
    symlinkSync('../../outside', join(dir, 'bin/escape'))
    const outside = mkdtempSync(join(tmpdir(), 'tug-pack-outside-'))
    try {
      symlinkSync(outside, join(dir, 'hop-target'))
      symlinkSync('hop-target/x', join(dir, 'hop'))
      const result = await packDirectory(dir)
      assert.deepEqual(result.skipped, [
        'absolute: symlink to an absolute path (/etc/passwd) left out',
        'bin/escape: symlink to ../../outside points outside the directory, left out',
        `hop-target: symlink to an absolute path (${outside}) left out`,
      ])
      writeFileSync(join(outside, 'x'), 'outside')
      const again = await packDirectory(dir)
      assert.ok(again.skipped.includes('hop: symlink to hop-target/x points outside the directory, left out'), again.skipped.join('\n'))
      const entries = await listArchive(result.data)
      assert.deepEqual(
        entries.map(({path, type, linkpath}) => ({path, type, linkpath})),
        [
          {path: 'bin/link.js', type: 'SymbolicLink', linkpath: '../lib/real.js'},
          {path: 'bin/tool', type: 'File', linkpath: undefined},
          {path: 'dangling', type: 'SymbolicLink', linkpath: 'missing-inside'},
          {path: 'hop', type: 'SymbolicLink', linkpath: 'hop-target/x'},
          {path: 'lib/real.js', type: 'File', linkpath: undefined},
          {path: 'lib-dir', type: 'SymbolicLink', linkpath: 'lib'},
        ],
      )
      assert.equal(result.files, 6)
    } finally {
      rmSync(outside, {recursive: true, force: true})
    }
  })

  it('keeps the executable bit and drops owner and time noise', async () => {
    write('bin/start', '#!/bin/sh\n')
    chmodSync(join(dir, 'bin/start'), 0o775)
    write('data.txt')
    chmodSync(join(dir, 'data.txt'), 0o664)
    const entries = await listArchive((await packDirectory(dir)).data)
    assert.deepEqual(
      entries.map(({path, mode, uid, gid, uname, mtime}) => ({path, mode, uid, gid, uname, mtime})),
      [
        {path: 'bin/start', mode: 0o755, uid: undefined, gid: undefined, uname: '', mtime: undefined},
        {path: 'data.txt', mode: 0o644, uid: undefined, gid: undefined, uname: '', mtime: undefined},
      ],
    )
  })

  it('packs the same tree to the same bytes', async () => {
    write('a.txt')
    write('b/c.txt')
    const first = await packDirectory(dir)
    writeFileSync(join(dir, 'a.txt'), 'a.txt') // same content, new mtime
    const second = await packDirectory(dir)
    assert.ok(first.data.equals(second.data))
  })

  it('stores hard-linked files in full, not as links', async () => {
    write('a.txt', 'shared')
    linkSync(join(dir, 'a.txt'), join(dir, 'b.txt'))
    const entries = await listArchive((await packDirectory(dir)).data)
    assert.deepEqual(
      entries.map(({path, type, content}) => ({path, type, content})),
      [
        {path: 'a.txt', type: 'File', content: 'shared'},
        {path: 'b.txt', type: 'File', content: 'shared'},
      ],
    )
  })

  it('skips FIFOs and other special files, saying so', async function () {
    write('index.js')
    try {
      execFileSync('mkfifo', [join(dir, 'pipe')], {stdio: 'ignore'})
    } catch {
      this.skip() // no mkfifo here
    }
    const result = await packDirectory(dir)
    assert.deepEqual(result.skipped, ['pipe: not a regular file, directory or symlink'])
    assert.deepEqual((await listArchive(result.data)).map((entry) => entry.path), ['index.js'])
  })

  it('packs through a symlinked directory argument', async () => {
    write('real/index.js')
    symlinkSync(join(dir, 'real'), join(dir, 'alias'))
    assert.deepEqual(await paths(join(dir, 'alias')), ['index.js'])
  })

  it('packs an empty directory as a valid empty archive', async () => {
    write('.gitignore', '*\n')
    const result = await packDirectory(dir)
    assert.equal(result.files, 0)
    assert.deepEqual(await listArchive(result.data), [])
    assert.ok(gunzipSync(result.data).length > 0)
  })

  it('fails clearly for something that is not a directory', async () => {
    write('file.txt')
    await assert.rejects(packDirectory(join(dir, 'file.txt')), (error: unknown) => {
      assert.ok(error instanceof RuntimeError)
      assert.equal(error.message, `${join(dir, 'file.txt')} is not a directory.`)
      return true
    })
    await assert.rejects(packDirectory(join(dir, 'missing')), /ENOENT/)
  })

  it('fails, naming the file, when a file cannot be read', async function () {
    if (process.getuid?.() === 0) this.skip() // root reads everything
    write('secret.txt')
    chmodSync(join(dir, 'secret.txt'), 0o000)
    await assert.rejects(packDirectory(dir), (error: unknown) => {
      assert.ok(error instanceof RuntimeError)
      assert.match(error.message, /^Cannot read secret\.txt: EACCES/)
      return true
    })
  })
})
