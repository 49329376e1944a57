// `git push` deploys (issue 15, item 5), with the real `git`, the real `tug` binary and real control
// planes: the embedded local one (remotes are tug://APP, resolved by git-remote-tug, which must
// survive a restart of the plane on another port) and one reached through `tug login` (remotes are
// the app's git_url, and git finds the token in the netrc entry login wrote).
//
// A checkout is made by `checkout(files)` and pushed by `push(dir, ...args)`: a case for another
// kind of app (the Node buildpack's example) is one more `it` with its files.
import assert from 'node:assert/strict'
import {execFile, spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {Release} from '../../src/shared/api-types.js'
import {probeFreePort} from '../../src/server/runtime/ports.js'
import {killServerOf, killStragglers, ROOT, runTug, startControlPlane, type ControlPlane, type RunResult} from '../helpers/control-plane.js'
import {waitFor} from '../helpers/wait-for.js'

interface GitResult {
  code: number
  stdout: string
  stderr: string
}

const WEB_APP = {
  Procfile: 'web: node server.js\n',
  'server.js': "require('http').createServer((q, s) => s.end('hi')).listen(process.env.PORT)\n",
}

describe('e2e: git push deploys', function () {
  this.timeout(240_000)
  let home: string
  /** Holds `git-remote-tug`, as npm's bin directory would. */
  let binDir: string
  let count = 0

  before(() => {
    home = mkdtempSync(join(tmpdir(), 'tug-e2e-git-'))
    binDir = join(home, 'bin')
    mkdirSync(binDir)
    symlinkSync(join(ROOT, 'bin', 'git-remote-tug.js'), join(binDir, 'git-remote-tug'))
  })

  after(() => {
    rmSync(home, {recursive: true, force: true})
  })

  const gitEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = {}
    for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('TUG_') && !key.startsWith('GIT_')) env[key] = value
    return {
      ...env,
      HOME: home,
      PATH: `${binDir}:${process.env.PATH ?? ''}`,
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'T',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 'T',
      GIT_COMMITTER_EMAIL: 't@example.com',
      LANG: 'C',
      LC_ALL: 'C',
      ...extra,
    }
  }

  const git = (cwd: string, args: string[], extra: Record<string, string> = {}): Promise<GitResult> =>
    new Promise((resolve) => {
      execFile('git', args, {cwd, env: gitEnv(extra), timeout: 180_000}, (error, stdout, stderr) => {
        resolve({code: error ? Number((error as {code?: number}).code ?? 1) : 0, stdout, stderr})
      })
    })

  /** A fresh git checkout with these files committed on main. */
  async function checkout(files: Record<string, string>): Promise<string> {
    const dir = join(home, `app-${++count}`)
    mkdirSync(dir)
    assert.equal((await git(dir, ['init', '-q', '-b', 'main'])).code, 0)
    await commit(dir, files, 'first')
    return dir
  }

  async function commit(dir: string, files: Record<string, string>, message: string): Promise<string> {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
    assert.equal((await git(dir, ['add', '-A'])).code, 0)
    const made = await git(dir, ['commit', '-q', '-m', message])
    assert.equal(made.code, 0, made.stderr)
    return (await git(dir, ['rev-parse', 'HEAD'])).stdout.trim()
  }

  const push = (dir: string, ...args: string[]): Promise<GitResult> => git(dir, ['push', ...args])

  describe('with the embedded local control plane', () => {
    const tugHome = (): string => join(home, '.local', 'share', 'tug')
    const tug = (args: string[], cwd: string): Promise<RunResult> => runTug(args, {cwd, env: {HOME: home, PATH: gitEnv().PATH}, timeoutMs: 60_000})

    after(async () => {
      await runTug(['server:stop'], {env: {HOME: home}})
      killServerOf(tugHome())
      killStragglers(tugHome())
    })

    const releases = async (dir: string): Promise<Release[]> => {
      const listed = await tug(['releases', '--json'], dir)
      assert.equal(listed.code, 0, listed.stderr)
      return JSON.parse(listed.stdout) as Release[]
    }

    it('apps:create adds a tug:// remote; a push deploys; a broken one and another branch are rejected; it survives a restart on another port; apps:destroy removes the remote', async () => {
      const dir = await checkout(WEB_APP)
      const created = await tug(['apps:create', 'gitshop'], dir)
      assert.equal(created.code, 0, created.stderr)
      assert.match(created.stderr, /^Git remote tug added: tug:\/\/gitshop$/m)
      assert.equal((await git(dir, ['remote', 'get-url', 'tug'])).stdout.trim(), 'tug://gitshop')

      const sha = (await git(dir, ['rev-parse', 'HEAD'])).stdout.trim()
      const pushed = await push(dir, 'tug', 'main')
      assert.equal(pushed.code, 0, pushed.stderr)
      assert.match(pushed.stderr, new RegExp(`^remote: -----> Building main \\(${sha.slice(0, 8)}\\) on gitshop`, 'm'))
      assert.match(pushed.stderr, /^remote: +Released v2/m)
      assert.match(pushed.stderr, /^To tug:\/\/gitshop$/m)
      // Commands run in the checkout find the app from the tug:// remote.
      const deployed = (await releases(dir)).find((release) => release.version === 2)
      assert.equal(deployed?.description, `Deploy ${sha.slice(0, 8)}`)

      // A build that fails rejects the push: the ref and the release stay.
      await commit(dir, {Procfile: 'not a procfile\n'}, 'broken')
      const broken = await push(dir, 'tug', 'main')
      assert.notEqual(broken.code, 0)
      assert.match(broken.stderr, /^remote: !.*Procfile/m)
      assert.match(broken.stderr, /pre-receive hook declined/)
      assert.equal((await git(dir, ['ls-remote', 'tug', 'refs/heads/main'])).stdout.split('\t')[0], sha)
      assert.deepEqual(
        (await releases(dir)).map((r) => [r.version, r.current]).sort(),
        [
          [1, false],
          [2, true],
        ],
      )

      // Another branch is refused with what to type instead.
      await git(dir, ['checkout', '-q', '-b', 'feature'])
      const fixed = await commit(dir, WEB_APP, 'fixed')
      const other = await push(dir, 'tug', 'feature')
      assert.notEqual(other.code, 0)
      assert.match(other.stderr, /^remote: ! {6}Push your branch to main instead: git push tug feature:main/m)

      // The plane restarts on another port (its last one is taken): the remote still works.
      const before = JSON.parse(readFileSync(join(tugHome(), 'server.json'), 'utf8')) as {url: string}
      assert.equal((await tug(['server:stop'], dir)).code, 0)
      const blocker: Server = createServer()
      await new Promise<void>((resolve) => blocker.listen(Number(new URL(before.url).port), '127.0.0.1', resolve))
      try {
        const again = await push(dir, 'tug', 'feature:main')
        assert.equal(again.code, 0, again.stderr)
        assert.match(again.stderr, /Starting the local tug control plane/)
        assert.match(again.stderr, new RegExp(`^remote: -----> Deployed ${fixed.slice(0, 8)} to gitshop as v3`, 'm'))
        const after = JSON.parse(readFileSync(join(tugHome(), 'server.json'), 'utf8')) as {url: string}
        assert.notEqual(after.url, before.url)
      } finally {
        await new Promise((resolve) => blocker.close(resolve))
      }

      const destroyed = await tug(['apps:destroy', 'gitshop', '--confirm', 'gitshop'], dir)
      assert.equal(destroyed.code, 0, destroyed.stderr)
      assert.match(destroyed.stderr, /^Git remote tug removed$/m)
      assert.equal((await git(dir, ['remote'])).stdout, '')
    })

    it('git:remote links an existing checkout; apps:destroy leaves remotes of other apps alone', async () => {
      const dir = await checkout(WEB_APP)
      assert.equal((await tug(['apps:create', 'gitlinked', '--no-remote'], dir)).code, 0)
      assert.equal((await tug(['apps:create', 'gitother', '--no-remote'], dir)).code, 0)
      const linked = await tug(['git:remote', '-a', 'gitlinked'], dir)
      assert.equal(linked.code, 0, linked.stderr)
      assert.equal(linked.stderr, 'Git remote tug added: tug://gitlinked\n')
      const other = await tug(['git:remote', '-a', 'gitother', '-r', 'staging'], dir)
      assert.equal(other.code, 0, other.stderr)
      const pushed = await push(dir, 'staging', 'main')
      assert.equal(pushed.code, 0, pushed.stderr)
      assert.match(pushed.stderr, /on gitother/)

      assert.equal((await tug(['apps:destroy', 'gitlinked', '--confirm', 'gitlinked'], dir)).code, 0)
      assert.equal((await git(dir, ['remote'])).stdout, 'staging\n')
      // Without git-remote-tug on PATH, git could not use the remote: said at once.
      const noHelper = await runTug(['git:remote', '-a', 'gitother', '-r', 'nohelper'], {cwd: dir, env: {HOME: home}})
      assert.equal(noHelper.code, 0, noHelper.stderr)
      assert.match(noHelper.stderr, /^Warning: git push to this remote needs git-remote-tug on your PATH/m)
      assert.doesNotMatch(other.stderr, /Warning/)
      const notRepo = await tug(['git:remote', '-a', 'gitother'], home)
      assert.equal(notRepo.code, 2)
      assert.match(notRepo.stderr, /is not in a git repository/)
    })
  })

  describe('with a control plane reached through tug login', () => {
    let plane: ControlPlane

    before(async () => {
      plane = await startControlPlane({home})
      const login = await plane.run(['login', plane.url, '--token', plane.token], {env: {TUG_API_URL: undefined, TUG_API_KEY: undefined}})
      assert.equal(login.code, 0, login.stderr)
    })

    after(async () => {
      await plane?.run(['logout'], {env: {TUG_API_URL: undefined, TUG_API_KEY: undefined}})
      await plane?.close()
    })

    // No TUG_API_URL or TUG_API_KEY: the saved login, as a person at a terminal has it.
    const tug = (args: string[], cwd: string): Promise<RunResult> => plane.run(args, {cwd, env: {TUG_API_URL: undefined, TUG_API_KEY: undefined}})

    it("the remote is the app's git_url, and git authenticates with the netrc entry tug login wrote; a wrong token changes nothing", async () => {
      const dir = await checkout(WEB_APP)
      const created = await tug(['apps:create', 'netrcshop'], dir)
      assert.equal(created.code, 0, created.stderr)
      assert.match(created.stderr, new RegExp(`^Git remote tug added: ${plane.url}/netrcshop\\.git$`, 'm'))

      const pushed = await push(dir, 'tug', 'main')
      assert.equal(pushed.code, 0, pushed.stderr)
      assert.match(pushed.stderr, /^remote: -----> Deployed \S+ to netrcshop as v2/m)

      const netrc = join(home, '.netrc')
      const saved = readFileSync(netrc, 'utf8')
      writeFileSync(netrc, saved.replaceAll(plane.token, 'not-the-token'), {mode: 0o600})
      try {
        await commit(dir, {'server.js': WEB_APP['server.js'] + '// 2\n'}, 'second')
        const refused = await push(dir, 'tug', 'main')
        assert.notEqual(refused.code, 0)
        // curl sent the wrong token, got 401 and gave up; git had nothing else to ask.
        assert.match(refused.stderr, /Authentication failed|could not read Username/)
      } finally {
        writeFileSync(netrc, saved, {mode: 0o600})
      }
      const listed = await tug(['releases', '--json'], dir)
      assert.equal((JSON.parse(listed.stdout) as Release[]).length, 2)
    })

    it('relays the build output to git as the build runs, not at its end', async () => {
      // A buildpack that says one line, then waits until the test, having seen that line in git's
      // output, listens on a port (the network is shared with the build's sandbox; files may not be).
      const pack = join(home, 'waiting-buildpack')
      mkdirSync(join(pack, 'bin'), {recursive: true})
      writeFileSync(join(pack, 'bin', 'detect'), '#!/bin/sh\necho Waiting\n', {mode: 0o755})
      writeFileSync(join(pack, 'bin', 'release'), '#!/bin/sh\necho "--- {}"\n', {mode: 0o755})
      const compile = [
        '#!/bin/bash',
        'port=$(cat "$3/GO_PORT")',
        'echo "-----> Before the wait"',
        'for i in $(seq 600); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done',
        // Never reached the test's listener: fail, so that the test cannot pass without it.
        '(exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null || { echo "!      the test never listened"; exit 1; }',
        'echo "-----> After the wait"',
      ]
      writeFileSync(join(pack, 'bin', 'compile'), compile.join('\n') + '\n', {mode: 0o755})
      const port = await probeFreePort()
      const dir = await checkout(WEB_APP)
      assert.equal((await tug(['apps:create', 'waitshop'], dir)).code, 0)
      assert.equal((await tug(['buildpacks:set', pack], dir)).code, 0)
      assert.equal((await tug(['config:set', `GO_PORT=${port}`], dir)).code, 0)

      const child = spawn('git', ['push', 'tug', 'main'], {cwd: dir, env: gitEnv()})
      let stderr = ''
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
      const listener = createServer((socket) => socket.destroy())
      try {
        await waitFor(() => stderr.includes('remote: -----> Before the wait'), {what: () => `the build's first line in git's output: ${stderr}`, timeoutMs: 60_000})
        assert.doesNotMatch(stderr, /After the wait/)
        await new Promise<void>((resolve) => listener.listen(port, '127.0.0.1', resolve))
        assert.equal(await exited, 0, stderr)
        assert.match(stderr, /remote: -----> After the wait/)
      } finally {
        child.kill()
        await new Promise((resolve) => listener.close(resolve))
      }
    })
  })
})
