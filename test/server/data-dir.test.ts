// The data directory is private to the control plane's user: tightened at every start, refused
// when it belongs to someone else (issue 14, item 4).
import assert from 'node:assert/strict'
import {chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {DataDirError, secureDataDir} from '../../src/server/data-dir.js'
import {startServer} from '../../src/server/index.js'
import {StoreOnlyRuntime} from '../helpers/store-only-runtime.js'

const mode = (path: string): number => statSync(path).mode & 0o7777

/** Every path under `dir` (links not followed) with its mode, to compare before and after. */
function modes(dir: string): Record<string, number> {
  const out: Record<string, number> = {[dir]: mode(dir)}
  for (const name of readdirSync(dir, {recursive: true}) as string[]) {
    const path = join(dir, name)
    // lstat's mode for a link is 0777 on Linux whatever happens: only the link's target's matters.
    out[path] = statSync(path, {throwIfNoEntry: false}) ? mode(path) : -1
  }
  return out
}

describe('server/data-dir', function () {
  this.timeout(20_000)
  let root: string
  let dataDir: string
  let outside: string

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tug-data-dir-'))
    dataDir = join(root, 'srv-tug')
    // As `mkdir /srv/tug` makes it under the usual umask.
    mkdirSync(dataDir)
    chmodSync(dataDir, 0o755)
    outside = join(root, 'outside.txt')
    writeFileSync(outside, 'not tug\'s')
    chmodSync(outside, 0o644)
  })
  afterEach(() => rmSync(root, {recursive: true, force: true}))

  async function startAndStop(): Promise<void> {
    const server = await startServer({dataDir, port: 0, runtime: (store) => new StoreOnlyRuntime(store)})
    await server.close()
  }

  it('makes a directory made with mkdir (0755) and the files tug wrote in it private, at every start', async () => {
    await startAndStop()
    assert.equal(mode(dataDir), 0o700)
    assert.equal(mode(join(dataDir, 'tug.db')), 0o600)
    assert.equal(mode(join(dataDir, 'admin-token')), 0o600)

    // What an older tug (or a permissive umask) left: world-readable database and logs. An
    // operator's own file and the sandbox's layers beside them are not tug's to change.
    mkdirSync(join(dataDir, 'logs'), {recursive: true})
    mkdirSync(join(dataDir, 'sandboxes', 'dyno'), {recursive: true})
    writeFileSync(join(dataDir, 'logs', 'app-id.log'), 'line\n')
    writeFileSync(join(dataDir, 'notes.txt'), 'mine')
    for (const path of [dataDir, join(dataDir, 'logs'), join(dataDir, 'sandboxes'), join(dataDir, 'sandboxes', 'dyno')]) chmodSync(path, 0o755)
    for (const path of [join(dataDir, 'tug.db'), join(dataDir, 'logs', 'app-id.log'), join(dataDir, 'notes.txt')]) chmodSync(path, 0o644)

    await startAndStop()
    assert.equal(mode(dataDir), 0o700)
    assert.equal(mode(join(dataDir, 'tug.db')), 0o600)
    assert.equal(mode(join(dataDir, 'logs')), 0o700)
    for (const name of readdirSync(join(dataDir, 'logs'))) assert.equal(mode(join(dataDir, 'logs', name)), 0o600, name)
    assert.equal(mode(join(dataDir, 'notes.txt')), 0o644)
    assert.equal(mode(join(dataDir, 'sandboxes')), 0o755)
    assert.equal(mode(join(dataDir, 'sandboxes', 'dyno')), 0o755)
  })

  it("tightens the release directories, not the code in them (a sandboxed dyno reads it as its app's uid), without following links", () => {
    const release = join(dataDir, 'releases', 'app-id', 'build-id')
    mkdirSync(join(release, 'bin'), {recursive: true})
    writeFileSync(join(release, 'Procfile'), 'web: bin/start\n')
    writeFileSync(join(release, 'bin', 'start'), '#!/bin/sh\n')
    symlinkSync(outside, join(release, 'link-out'))
    symlinkSync('..', join(release, 'bin', 'up'))
    for (const dir of ['releases', 'releases/app-id', 'releases/app-id/build-id', 'releases/app-id/build-id/bin']) chmodSync(join(dataDir, dir), 0o755)
    chmodSync(join(release, 'Procfile'), 0o644)
    chmodSync(join(release, 'bin', 'start'), 0o755)

    const {tightened} = secureDataDir(dataDir)
    for (const dir of ['releases', 'releases/app-id', 'releases/app-id/build-id']) assert.equal(mode(join(dataDir, dir)), 0o700, dir)
    assert.equal(mode(join(release, 'bin')), 0o755)
    assert.equal(mode(join(release, 'Procfile')), 0o644)
    assert.equal(mode(join(release, 'bin', 'start')), 0o755)
    assert.equal(mode(outside), 0o644, 'a link in release code is not followed')
    assert.equal(tightened.length, 4, "the data directory and the three release directories")
    assert.deepEqual(secureDataDir(dataDir).tightened, [], 'nothing to do the second time')
  })

  it('refuses a data directory that belongs to another user, and changes nothing', async () => {
    writeFileSync(join(dataDir, 'tug.db'), '')
    chmodSync(join(dataDir, 'tug.db'), 0o644)
    const before = modes(dataDir)
    const uid = process.getuid?.() ?? 0
    const other = uid === 65_534 ? 65_533 : 65_534
    const message = new RegExp(
      `^The data directory ${dataDir} belongs to uid ${other}, not to the user running the control plane \\(uid ${uid}\\): its owner could read the admin token`,
    )
    // As root (CI, this machine), the directory really changes hands; otherwise the check is
    // asked about another uid, the same comparison.
    if (uid === 0) {
      chownSync(dataDir, other, other)
      await assert.rejects(startServer({dataDir, port: 0, runtime: (store) => new StoreOnlyRuntime(store)}), (error: unknown) => {
        assert.ok(error instanceof DataDirError)
        assert.match(error.message, message)
        return true
      })
    } else {
      assert.throws(() => secureDataDir(dataDir, other), message)
    }
    assert.deepEqual(modes(dataDir), before)
    assert.deepEqual(readdirSync(dataDir), ['tug.db'], 'no admin token, no logs')
    assert.equal(statSync(join(dataDir, 'tug.db')).size, 0, 'the database was not opened')
  })

  it('refuses a data directory path that is a file', () => {
    const file = join(root, 'file')
    writeFileSync(file, '')
    assert.throws(() => secureDataDir(file), new DataDirError(`The data directory ${file} is not a directory.`))
    assert.equal(existsSync(file), true)
  })
})
