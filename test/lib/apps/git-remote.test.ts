// The remotes tug manages (issue 15, item 5), against a real git repository in a temp directory.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {addGitRemote, appFromTugUrl, remoteUrlFor, removeAppRemotes, setGitRemote} from '../../../src/lib/apps/git-remote.js'
import {helperEnv} from '../../../src/lib/apps/remote-helper.js'
import {appFromRemoteUrl} from '../../../src/lib/cli/app-resolution.js'

describe('lib/apps/git-remote', () => {
  let dir: string
  const remotes = (): string => execFileSync('git', ['remote', '-v'], {cwd: dir, encoding: 'utf8'})

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tug-remote-'))
    execFileSync('git', ['init', '-q'], {cwd: dir})
  })

  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  it('uses tug://APP for the embedded control plane and git_url otherwise', () => {
    const app = {name: 'shop', git_url: 'https://tug.example.com/shop.git'}
    assert.equal(remoteUrlFor(app, 'local'), 'tug://shop')
    assert.equal(remoteUrlFor(app, 'netrc'), 'https://tug.example.com/shop.git')
    assert.equal(remoteUrlFor(app, 'env'), 'https://tug.example.com/shop.git')
    assert.equal(appFromTugUrl('tug://shop'), 'shop')
    assert.equal(appFromTugUrl('https://tug.example.com/shop.git'), undefined)
    assert.equal(appFromRemoteUrl('tug://shop'), 'shop')
  })

  it('git:remote adds, then points an existing remote at the app', () => {
    assert.equal(setGitRemote(dir, 'tug', 'tug://shop'), 'added')
    assert.equal(setGitRemote(dir, 'tug', 'tug://shop'), 'unchanged')
    assert.equal(setGitRemote(dir, 'tug', 'tug://other'), 'updated')
    assert.match(remotes(), /^tug\ttug:\/\/other \(push\)$/m)
    assert.equal(setGitRemote(tmpdir(), 'tug', 'tug://shop'), 'not-a-repo')
    assert.equal(addGitRemote(dir, 'tug', 'tug://shop'), 'exists')
  })

  it('removes only the remotes that point at the app', () => {
    const app = {name: 'shop', git_url: 'http://127.0.0.1:5055/shop.git'}
    addGitRemote(dir, 'tug', 'tug://shop')
    addGitRemote(dir, 'plain', app.git_url)
    addGitRemote(dir, 'other', 'tug://shopping')
    addGitRemote(dir, 'origin', 'https://github.com/me/shop.git')
    assert.deepEqual(removeAppRemotes(dir, app).sort(), ['plain', 'tug'])
    assert.deepEqual(remotes().split('\n').filter(Boolean).map((line) => line.split('\t')[0]).sort(), ['origin', 'origin', 'other', 'other'])
  })

  it("gives git remote-http the token as a header in git's environment configuration, after what is there", () => {
    const env = helperEnv({GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'core.pager', GIT_CONFIG_VALUE_0: 'cat'}, 'secret')
    assert.equal(env.GIT_CONFIG_COUNT, '2')
    assert.equal(env.GIT_CONFIG_KEY_0, 'core.pager')
    assert.equal(env.GIT_CONFIG_KEY_1, 'http.extraHeader')
    assert.equal(env.GIT_CONFIG_VALUE_1, `Authorization: Basic ${Buffer.from('tug:secret').toString('base64')}`)
    assert.deepEqual(helperEnv({PATH: '/bin'}, undefined), {PATH: '/bin'})
  })
})
