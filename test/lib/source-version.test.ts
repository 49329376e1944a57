import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {gitVersion} from '../../src/lib/source-version.js'
import {deployDescription} from '../../src/shared/source-version.js'

describe('lib/source-version', () => {
  describe('gitVersion, in a real git repository', () => {
    let dir: string
    let sha: string
    const git = (...args: string[]): string => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], {cwd: dir, encoding: 'utf8'})

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'tug-source-version-'))
      git('init', '-q')
      writeFileSync(join(dir, 'Procfile'), 'web: node server.js\n')
      writeFileSync(join(dir, '.gitignore'), '*.log\n')
      mkdirSync(join(dir, 'site'))
      writeFileSync(join(dir, 'site', 'Procfile'), 'web: node site.js\n')
      git('add', '.')
      git('commit', '-q', '-m', 'first')
      sha = git('rev-parse', 'HEAD').trim()
    })
    afterEach(() => rmSync(dir, {recursive: true, force: true}))

    it('is the commit when the tree is clean, ignored files aside', () => {
      writeFileSync(join(dir, 'debug.log'), 'ignored\n')
      assert.equal(gitVersion(dir), sha)
    })

    it('is marked dirty for a changed tracked file, staged or not', () => {
      writeFileSync(join(dir, 'Procfile'), 'web: node other.js\n')
      assert.equal(gitVersion(dir), `${sha}-dirty`)
      git('add', 'Procfile')
      assert.equal(gitVersion(dir), `${sha}-dirty`)
    })

    it('is marked dirty for an untracked file git does not ignore', () => {
      writeFileSync(join(dir, 'new.js'), '\n')
      assert.equal(gitVersion(dir), `${sha}-dirty`)
    })

    it('looks only at the directory deployed, not the rest of the repository', () => {
      writeFileSync(join(dir, 'Procfile'), 'web: node other.js\n')
      assert.equal(gitVersion(join(dir, 'site')), sha)
      writeFileSync(join(dir, 'site', 'Procfile'), 'web: node changed.js\n')
      assert.equal(gitVersion(join(dir, 'site')), `${sha}-dirty`)
    })

    it('is undefined outside git, and in a repository without a commit', () => {
      const plain = mkdtempSync(join(tmpdir(), 'tug-no-git-'))
      try {
        assert.equal(gitVersion(plain), undefined)
        execFileSync('git', ['init', '-q', plain])
        assert.equal(gitVersion(plain), undefined)
      } finally {
        rmSync(plain, {recursive: true, force: true})
      }
    })
  })

  describe('deployDescription', () => {
    const sha = '84926a80c5b1f9e1d7a4b0e3f2c6d8a9b1c2d3e4'
    it('shortens a commit and says when the tree had uncommitted changes', () => {
      assert.equal(deployDescription(sha, 'b0000000-1111'), 'Deploy 84926a80')
      assert.equal(deployDescription(`${sha}-dirty`, 'b0000000-1111'), 'Deploy 84926a80 (uncommitted changes)')
    })
    it('keeps any other version as it is, and uses the build id without one', () => {
      assert.equal(deployDescription('v1.2-dirty', 'b0000000-1111'), 'Deploy v1.2-dirty')
      assert.equal(deployDescription('abc1234', 'b0000000-1111'), 'Deploy abc1234')
      assert.equal(deployDescription(null, 'b0000000-1111'), 'Deploy b0000000')
      assert.equal(deployDescription('', 'b0000000-1111'), 'Deploy b0000000')
    })
  })
})
