// The built-in Python buildpack (buildpacks/python, issue 15), run as a build runs it: the real
// bin/detect, bin/compile and bin/release over fixture apps whose dependency is a local wheel
// (no package index is asked), with the machine's own Python 3.
import assert from 'node:assert/strict'
import {existsSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {run, Workspace} from './buildpack-harness.js'

describe('buildpacks/python', function () {
  this.timeout(180_000)
  let ws: Workspace
  /** The Python the buildpack finds: python3 on PATH, asked from / as the buildpack does. */
  let python: {path: string; version: string}

  before(async () => {
    const found = await run('python3', ['-c', 'import sys, platform; print(sys.executable); print(platform.python_version())'], {cwd: '/'})
    assert.equal(found.code, 0, `these tests need python3 on PATH: ${found.output}`)
    const [path = '', version = ''] = found.output.trim().split('\n')
    python = {path, version}
  })

  beforeEach(() => {
    ws = new Workspace('python')
  })

  afterEach(() => ws.remove())

  it('detects requirements.txt and pyproject.toml apps, not a Node.js app nor one with only a Procfile', async () => {
    assert.deepEqual(await ws.detect(ws.app('python-app')), {code: 0, output: 'Python\n'})
    assert.deepEqual(await ws.detect(ws.app('python-pyproject')), {code: 0, output: 'Python\n'})
    assert.equal((await ws.detect(ws.app('node-express'))).code, 1)
    const procfileOnly = ws.app('python-app')
    rmSync(join(procfileOnly, 'requirements.txt'))
    assert.equal((await ws.detect(procfileOnly)).code, 1)
  })

  it('makes a virtual environment in the slug with the local wheel installed, and a profile that puts it on PATH', async () => {
    const app = ws.app('python-app')
    const built = await ws.compile(app)
    assert.equal(built.code, 0, built.output)
    assert.match(built.output, /^-----> Using the installed Python$/m)
    assert.match(built.output, new RegExp(`^ {7}Using Python ${python.version.replaceAll('.', '\\.')} \\(${python.path}\\)$`, 'm'))
    assert.match(built.output, /^ {7}\.python-version: 3\.11$/m)
    assert.match(built.output, /^ {7}Successfully installed greeter-1\.0\.0$/m)

    const imported = await run(join(app, '.venv', 'bin', 'python'), ['-c', 'import greeter; print(greeter.greet("test"))'], {cwd: '/'})
    assert.deepEqual(imported, {code: 0, output: 'hello, test, from greeter\n'})

    // What a dyno sources before its command, from the slug's root: the venv's python first on PATH.
    const profile = await run('bash', ['--norc', '-c', 'source .profile.d/python.sh && command -v python && echo "$VIRTUAL_ENV" && python -c "import greeter"'], {
      cwd: app,
      env: {PATH: '/usr/bin:/bin'},
    })
    assert.deepEqual(profile, {code: 0, output: `${app}/.venv/bin/python\n${app}/.venv\n`})
  })

  it('a second build with the same cache reuses the virtual environment; a changed requirements.txt does not', async () => {
    const firstApp = ws.app('python-app')
    const first = await ws.compile(firstApp)
    assert.equal(first.code, 0, first.output)
    assert.match(first.output, /^-----> Restoring cache\n {7}The cache is empty/m)
    // Unsandboxed, each build has its own directory, and the previous one may be pruned.
    rmSync(firstApp, {recursive: true})

    const app = ws.app('python-app')
    const second = await ws.compile(app)
    assert.equal(second.code, 0, second.output)
    assert.match(second.output, /^-----> Restoring cache\n {7}Using the virtual environment of the previous build \(same Python, same requirements\.txt\)$/m)
    assert.doesNotMatch(second.output, /Creating the virtual environment/)
    assert.equal((await run(join(app, '.venv', 'bin', 'python'), ['-c', 'import greeter'])).code, 0)
    const pip = await run(join(app, '.venv', 'bin', 'pip'), ['--version'], {cwd: '/'})
    assert.equal(pip.code, 0, `the reused environment's scripts name its new place: ${pip.output}`)
    assert.match(pip.output, new RegExp(`from ${app}/\\.venv/lib/`))

    // A third build reuses it again, from the cache the first one wrote, wherever it is built.
    rmSync(app, {recursive: true})
    const again = ws.app('python-app')
    const third = await ws.compile(again)
    assert.equal(third.code, 0, third.output)
    assert.match(third.output, /Using the virtual environment of the previous build/)
    assert.equal((await run(join(again, '.venv', 'bin', 'pip'), ['--version'], {cwd: '/'})).code, 0)

    const changed = ws.app('python-app')
    writeFileSync(join(changed, 'requirements.txt'), '--no-index\n--find-links wheels\ngreeter\n')
    const fourth = await ws.compile(changed)
    assert.equal(fourth.code, 0, fourth.output)
    assert.match(fourth.output, /^ {7}Using the pip cache from the previous build/m)
    assert.match(fourth.output, /^-----> Creating the virtual environment \(\.venv\)$/m)
  })

  it('.python-version or runtime.txt that the installed Python does not match fails, naming the installed version', async () => {
    const app = ws.app('python-app')
    writeFileSync(join(app, '.python-version'), '3.99\n')
    const failed = await ws.compile(app)
    assert.equal(failed.code, 1, failed.output)
    assert.match(failed.output, new RegExp(`^ ! {5}This app asks for Python 3\\.99 \\(\\.python-version\\), but the installed Python is ${python.version.replaceAll('.', '\\.')} \\(`, 'm'))
    assert.equal(existsSync(join(app, '.venv')), false)

    const runtime = ws.app('python-app')
    rmSync(join(runtime, '.python-version'))
    writeFileSync(join(runtime, 'runtime.txt'), 'python-3.1\n')
    const refused = await ws.compile(runtime)
    assert.equal(refused.code, 1)
    assert.match(refused.output, /This app asks for Python 3\.1 \(runtime\.txt\)/)
    assert.match(refused.output, new RegExp(`or change runtime\\.txt to python-${python.version.split('.').slice(0, 2).join('\\.')},`))

    const garbled = ws.app('python-app')
    writeFileSync(join(garbled, '.python-version'), 'latest\n')
    const garbledRun = await ws.compile(garbled)
    assert.equal(garbledRun.code, 1)
    assert.match(garbledRun.output, /\.python-version does not name a Python version: 'latest'/)
  })

  it('installs a pyproject.toml project with pip install ., with the app\'s PIP_* config vars', async () => {
    ws.config('PIP_NO_INDEX', '1')
    ws.config('PIP_FIND_LINKS', 'wheels')
    const app = ws.app('python-pyproject')
    const built = await ws.compile(app)
    assert.equal(built.code, 0, built.output)
    assert.match(built.output, /^ {7}pip install \. \(pyproject\.toml\)$/m)
    const imported = await run(join(app, '.venv', 'bin', 'python'), ['-c', 'import hello; print(hello.message())'], {cwd: '/'})
    assert.deepEqual(imported, {code: 0, output: 'hello, python-pyproject, from greeter\n'})
  })

  it('a requirement pip cannot find fails the build with pip\'s reason', async () => {
    const app = ws.app('python-app')
    writeFileSync(join(app, 'requirements.txt'), '--no-index\n--find-links wheels\nnot-a-package==9\n')
    const failed = await ws.compile(app)
    assert.equal(failed.code, 1)
    assert.match(failed.output, /No matching distribution found for not-a-package==9/)
    assert.match(failed.output, /^ ! {5}pip install -r requirements\.txt failed \(its output is above\)/m)
  })

  it('bin/release adds no process type', async () => {
    assert.deepEqual(await ws.release(ws.app('python-app')), {code: 0, output: '---\n'})
  })
})
