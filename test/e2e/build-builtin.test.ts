// The built-in buildpacks end to end (issue 15): a real control plane (with its sandbox where this
// machine has one), the real `tug`, fixture apps whose dependencies are local tarballs and a local
// wheel (no registry is asked). The Node.js app deploys, answers through the router, and its
// second build says it used the cache; engines.node ">=99" fails naming the installed Node.js and
// keeps the release; the Python app runs from its virtual environment.
import assert from 'node:assert/strict'
import {execFile, execFileSync} from 'node:child_process'
import {cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {Release} from '../../src/shared/api-types.js'
import {ROOT, startControlPlane, type ControlPlane} from '../helpers/control-plane.js'
import {getThroughRouter, routerPortOf, type RouterAnswer} from '../helpers/router-client.js'
import {waitFor} from '../helpers/wait-for.js'

const FIXTURES = join(ROOT, 'test', 'fixtures', 'apps')
const ACCEPT = 'application/vnd.heroku+json; version=3'
/** Generous: builds and dyno boots on a loaded 2-core machine. */
const BOOT = {timeoutMs: 90_000, intervalMs: 250}

describe('e2e: the built-in Node.js and Python buildpacks, through a real control plane', function () {
  this.timeout(300_000)
  let plane: ControlPlane
  let routerPort: number
  let temp: string

  before(async () => {
    plane = await startControlPlane({env: {TUG_ROUTER_PORT: '0'}})
    routerPort = routerPortOf(plane)
    temp = mkdtempSync(join(tmpdir(), 'tug-e2e-builtin-'))
  })

  after(async () => {
    await plane?.close()
    rmSync(temp, {recursive: true, force: true})
  })

  /** A GET through the router to APP's web dynos: its status and body, or undefined when it did not answer. */
  function get(app: string, path = '/'): Promise<RouterAnswer | undefined> {
    return getThroughRouter(routerPort, `${app}.localhost:${routerPort}`, {path, timeoutMs: 10_000}).catch(() => undefined)
  }

  /** Waits until the router answers 200 with a body matching `expected`. */
  function answers(app: string, expected: RegExp): Promise<string> {
    let last = 'nothing yet'
    return waitFor(
      async () => {
        const answer = await get(app)
        last = answer ? `${answer.status} ${answer.body}` : 'no answer'
        return answer?.status === 200 && expected.test(answer.body) ? answer.body : undefined
      },
      {...BOOT, what: () => `${app} to answer ${expected} through the router (last: ${last})`},
    )
  }

  async function releases(app: string): Promise<Release[]> {
    const response = await fetch(`${plane.url}/apps/${app}/releases`, {headers: {Accept: ACCEPT, Authorization: `Bearer ${plane.token}`}})
    assert.equal(response.status, 200)
    return (await response.json()) as Release[]
  }

  it('the Express-style app deploys with tug deploy, answers through the router, and its second build says it used the cache', async () => {
    const app = join(FIXTURES, 'node-express')
    assert.equal((await plane.run(['apps:create', 'shop', '--no-remote'])).code, 0)

    const first = await plane.run(['deploy', app, '-a', 'shop'], {timeoutMs: 240_000})
    assert.equal(first.code, 0, `${first.stdout}\n${first.stderr}`)
    assert.match(first.stdout, /^-----> Node\.js app detected$/m)
    assert.match(first.stdout, new RegExp(`^ {7}Using Node\\.js ${process.version.replaceAll('.', '\\.')} \\(`, 'm'))
    assert.match(first.stdout, /^ {7}The cache is empty/m)
    assert.match(first.stdout, /^ {7}Installing node modules \(npm ci, package-lock\.json\)$/m)
    assert.match(first.stdout, /^ {7}wrote public\/built\.txt$/m)
    assert.match(first.stdout, /web \(npm start\)/, 'web: npm start comes from the buildpack')
    assert.match(first.stderr, /Released v2 on shop/)
    await answers('shop', /^hello from node-express; built by build-helper: NODE_ENV=production\n$/)

    const second = await plane.run(['deploy', app, '-a', 'shop'], {timeoutMs: 240_000})
    assert.equal(second.code, 0, `${second.stdout}\n${second.stderr}`)
    assert.match(second.stdout, /^-----> Restoring cache\n {7}Using the npm cache from the previous build \(\S+\)$/m)
    assert.match(second.stderr, /Released v3 on shop/)
    await answers('shop', /^hello from node-express; /)
  })

  it('the Express-style app deploys with git push too: the build shows as remote: lines, and the app answers', async () => {
    const dir = join(temp, 'node-git')
    cpSync(join(FIXTURES, 'node-express'), dir, {recursive: true})
    const env = {...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com'}
    const git = (...args: string[]): string => execFileSync('git', args, {cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
    git('init', '-q', '-b', 'main')
    git('add', '-A')
    git('commit', '-q', '-m', 'first')
    assert.equal((await plane.run(['apps:create', 'gitnode', '--no-remote'])).code, 0)
    // The API token as the HTTP password, as the netrc entry `tug login` writes gives it to git.
    const remote = new URL(`${plane.url}/gitnode.git`)
    remote.username = 'git'
    remote.password = plane.token
    const pushed = await new Promise<{code: number | null; stderr: string}>((resolve) => {
      execFile('git', ['push', remote.href, 'main'], {cwd: dir, env, timeout: 240_000}, (error, _stdout, stderr) => resolve({code: error ? ((error as {code?: number}).code ?? 1) : 0, stderr}))
    })
    assert.equal(pushed.code, 0, pushed.stderr)
    assert.match(pushed.stderr, /^remote: -----> Node\.js app detected/m)
    assert.match(pushed.stderr, /^remote: {8}Installing node modules \(npm ci, package-lock\.json\)/m)
    await answers('gitnode', /^hello from node-express; built by build-helper: NODE_ENV=production\n$/)
  })

  it('engines.node ">=99" fails the deploy naming the installed Node.js, and the current release stays', async () => {
    const before = (await releases('shop')).find((r) => r.current)
    assert.ok(before, 'the previous test deployed shop')
    const app = join(temp, 'node-99')
    cpSync(join(FIXTURES, 'node-express'), app, {recursive: true})
    const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as {engines: Record<string, string>}
    pkg.engines.node = '>=99'
    writeFileSync(join(app, 'package.json'), JSON.stringify(pkg, null, 2))

    const failed = await plane.run(['deploy', app, '-a', 'shop'], {timeoutMs: 240_000})
    assert.notEqual(failed.code, 0, `${failed.stdout}\n${failed.stderr}`)
    assert.match(failed.stdout, new RegExp(`This app needs Node\\.js >=99 \\(engines\\.node in package\\.json\\), but the installed Node\\.js is ${process.version.replaceAll('.', '\\.')}\\.`))
    assert.equal((await releases('shop')).find((r) => r.current)?.version, before.version, 'no new release')
    await answers('shop', /^hello from node-express; /)
  })

  it('the Python app deploys; its web dyno and a tug run import the dependency from the virtual environment', async () => {
    assert.equal((await plane.run(['apps:create', 'pyapp', '--no-remote'])).code, 0)
    const deployed = await plane.run(['deploy', join(FIXTURES, 'python-app'), '-a', 'pyapp'], {timeoutMs: 240_000})
    assert.equal(deployed.code, 0, `${deployed.stdout}\n${deployed.stderr}`)
    assert.match(deployed.stdout, /^-----> Python app detected$/m)
    assert.match(deployed.stdout, /^ {7}Using Python 3\.\d+\.\d+ \(\S+\)$/m)
    assert.match(deployed.stdout, /^ {7}Successfully installed greeter-1\.0\.0$/m)
    await answers('pyapp', /^hello, python-app, from greeter \(python 3\.\d+\.\d+, \S+\/\.venv\)\n$/)

    const ran = await plane.run(['run', '-a', 'pyapp', '--', 'python -c "import greeter, sys; print(greeter.greet(\'run\')); print(sys.prefix)"'], {timeoutMs: 120_000})
    assert.equal(ran.code, 0, `${ran.stdout}\n${ran.stderr}`)
    assert.match(ran.stdout, /^hello, run, from greeter\n\S+\/\.venv\r?\n?$/m)
  })
})
