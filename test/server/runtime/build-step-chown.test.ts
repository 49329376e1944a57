// chownTree gives a build's directories to the app's uid as root: it must never follow a link to
// what it points at (a buildpack directory that is a link, or a link an app planted in its source
// or cache), or the app's uid would own host files.
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {chownTree} from '../../../src/server/runtime/build-step.js'

describe('runtime/build-step chownTree', () => {
  let dir: string
  const UID = 123_457

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tug-chown-'))
  })

  afterEach(() => {
    rmSync(dir, {recursive: true, force: true})
  })

  it('gives the tree to the uid, links themselves but never their targets', function () {
    if (process.getuid?.() !== 0) this.skip() // only root can chown; CI runs as root
    const victim = join(dir, 'victim')
    mkdirSync(victim)
    writeFileSync(join(victim, 'passwd'), 'root:x:0:0\n')
    const tree = join(dir, 'tree')
    mkdirSync(join(tree, 'sub'), {recursive: true})
    writeFileSync(join(tree, 'sub', 'file'), 'x')
    symlinkSync(victim, join(tree, 'sub', 'to-victim'))
    symlinkSync(victim, join(dir, 'tree-link'))

    chownTree(tree, UID)
    assert.equal(statSync(join(tree, 'sub', 'file')).uid, UID)
    // A tree that is itself a link: the link may change owner, what it points at does not.
    chownTree(join(dir, 'tree-link'), UID)
    assert.equal(statSync(victim).uid, 0)
    assert.equal(statSync(join(victim, 'passwd')).uid, 0)
  })
})
