import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {appFromRemoteUrl, parseGitRemotes, readGitRemotes, requireApp, resolveApp} from '../../../src/lib/cli/app-resolution.js'
import {UsageError} from '../../../src/lib/errors.js'

const cwd = '/work/project'

function remotes(map: Record<string, string>): {calls: string[]; gitRemotes: (dir: string) => Record<string, string>} {
  const calls: string[] = []
  return {
    calls,
    gitRemotes: (dir) => {
      calls.push(dir)
      return map
    },
  }
}

function usageError(fn: () => unknown): UsageError {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${String(error)}`)
    return error
  }
  assert.fail('expected a UsageError')
}

describe('app resolution', () => {
  describe('resolveApp', () => {
    it('takes the flag first, without asking git', () => {
      const git = remotes({tug: 'https://tug.example/from-git.git'})
      assert.equal(resolveApp({flag: 'shop', env: {TUG_APP: 'from-env'}, remote: 'missing', cwd, gitRemotes: git.gitRemotes}), 'shop')
      assert.deepEqual(git.calls, [])
    })

    it('takes TUG_APP second', () => {
      const git = remotes({tug: 'https://tug.example/from-git.git'})
      assert.equal(resolveApp({env: {TUG_APP: 'from-env'}, cwd, gitRemotes: git.gitRemotes}), 'from-env')
      assert.deepEqual(git.calls, [])
    })

    it('treats an empty flag or TUG_APP as unset', () => {
      const git = remotes({tug: 'https://tug.example/from-git.git'})
      assert.equal(resolveApp({flag: '', env: {TUG_APP: ''}, cwd, gitRemotes: git.gitRemotes}), 'from-git')
    })

    it('then the git remote named tug, read in cwd', () => {
      const git = remotes({origin: 'git@github.com:me/shop.git', tug: 'https://tug.example:5055/shop-staging.git'})
      assert.equal(resolveApp({env: {}, cwd, gitRemotes: git.gitRemotes}), 'shop-staging')
      assert.deepEqual(git.calls, [cwd])
    })

    it('or the remote named by -r', () => {
      const git = remotes({tug: 'https://tug.example/shop.git', production: 'ssh://git@tug.example/shop-prod.git'})
      assert.equal(resolveApp({env: {}, remote: 'production', cwd, gitRemotes: git.gitRemotes}), 'shop-prod')
    })

    it('is undefined with no flag, no TUG_APP and no tug remote', () => {
      assert.equal(resolveApp({env: {}, cwd, gitRemotes: remotes({origin: 'git@github.com:me/shop.git'}).gitRemotes}), undefined)
      assert.equal(resolveApp({env: {}, cwd, gitRemotes: remotes({}).gitRemotes}), undefined)
    })

    it('rejects a -r remote that does not exist, listing the ones that do', () => {
      const error = usageError(() =>
        resolveApp({env: {}, remote: 'staging', cwd, gitRemotes: remotes({origin: 'x', tug: 'https://h/a.git'}).gitRemotes}),
      )
      assert.equal(error.message, 'Git remote "staging" does not exist in /work/project.')
      assert.equal(error.hint, 'Remotes here: origin, tug.')
      const none = usageError(() => resolveApp({env: {}, remote: 'staging', cwd, gitRemotes: remotes({}).gitRemotes}))
      assert.equal(none.hint, 'There are no git remotes here.')
    })

    it('does not read inherited properties as remotes', () => {
      assert.throws(() => resolveApp({env: {}, remote: 'constructor', cwd, gitRemotes: remotes({}).gitRemotes}), UsageError)
    })

    it('rejects a remote whose URL names no app', () => {
      const error = usageError(() => resolveApp({env: {}, cwd, gitRemotes: remotes({tug: 'https://tug.example/'}).gitRemotes}))
      assert.equal(error.message, 'Cannot tell the app from git remote "tug" (https://tug.example/).')
      assert.equal(error.hint, 'Use -a APP, or point the remote at https://HOST/APP.git.')
    })
  })

  describe('requireApp', () => {
    it('returns the app', () => {
      assert.equal(requireApp({flag: 'shop', env: {}, cwd, gitRemotes: remotes({}).gitRemotes}), 'shop')
    })

    it('says how to name one when there is none', () => {
      const error = usageError(() => requireApp({env: {}, cwd, gitRemotes: remotes({}).gitRemotes}))
      assert.equal(error.message, 'No app specified. Use -a APP or set TUG_APP.')
    })
  })

  describe('appFromRemoteUrl', () => {
    const cases: Array<[string, string | undefined]> = [
      ['https://git.heroku.com/shop.git', 'shop'],
      ['https://tug.example.com/shop.git', 'shop'],
      ['https://tug.example.com:5055/shop.git', 'shop'],
      ['http://127.0.0.1:5055/shop-staging.git', 'shop-staging'],
      ['https://user:token@tug.example.com/shop.git', 'shop'],
      ['https://tug.example.com/apps/shop', 'shop'],
      ['https://tug.example.com/apps/shop/', 'shop'],
      ['git@heroku.com:shop.git', 'shop'],
      ['git@tug.example.com:shop.git', 'shop'],
      ['tug.example.com:shop.git', 'shop'],
      ['ssh://git@tug.example.com/shop.git', 'shop'],
      ['ssh://git@tug.example.com:2222/shop.git', 'shop'],
      ['https://tug.example.com/01234567-89ab-cdef-0123-456789abcdef.git', '01234567-89ab-cdef-0123-456789abcdef'],
      ['https://tug.example.com/', undefined],
      ['https://tug.example.com', undefined],
      ['git@tug.example.com:', undefined],
      ['https://tug.example.com/.git', undefined],
      ['https://tug.example.com/%E0%A4%A.git', undefined],
      ['/local/path/without/colon', undefined],
      ['', undefined],
    ]
    for (const [url, app] of cases) {
      it(`${JSON.stringify(url)} -> ${String(app)}`, () => {
        assert.equal(appFromRemoteUrl(url), app)
      })
    }
  })

  describe('parseGitRemotes', () => {
    it('reads names with dots, keeps the first URL of a remote, and ignores other lines', () => {
      const output = [
        'remote.origin.url git@github.com:me/shop.git',
        'remote.tug.url https://tug.example/shop.git',
        'remote.my.staging.url https://tug.example/shop-staging.git\r',
        'remote.tug.url https://tug.example/second.git',
        'garbage',
        '',
      ].join('\n')
      assert.deepEqual(parseGitRemotes(output), {
        origin: 'git@github.com:me/shop.git',
        tug: 'https://tug.example/shop.git',
        'my.staging': 'https://tug.example/shop-staging.git',
      })
    })
  })

  describe('readGitRemotes', () => {
    let dir: string

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'tug-app-resolution-'))
    })

    afterEach(() => {
      rmSync(dir, {recursive: true, force: true})
    })

    it('reads the remotes of a real repository', function () {
      try {
        execFileSync('git', ['init', '-q', dir], {stdio: 'ignore'})
      } catch {
        this.skip() // no git on this machine
      }
      execFileSync('git', ['remote', 'add', 'tug', 'https://tug.example/shop.git'], {cwd: dir})
      execFileSync('git', ['remote', 'add', 'origin', 'git@github.com:me/shop.git'], {cwd: dir})
      assert.deepEqual(readGitRemotes(dir), {tug: 'https://tug.example/shop.git', origin: 'git@github.com:me/shop.git'})
      assert.equal(resolveApp({env: {}, cwd: dir}), 'shop')
    })

    it('answers no remotes, not an error, outside a repository or in a missing directory', () => {
      // tmpdir is not inside a repository on any machine tests run on; a missing cwd fails to spawn.
      assert.deepEqual(readGitRemotes(dir), {})
      assert.deepEqual(readGitRemotes(join(dir, 'missing')), {})
      assert.equal(resolveApp({env: {}, cwd: dir}), undefined)
    })
  })
})
