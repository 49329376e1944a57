// The built-in Node.js buildpack (buildpacks/nodejs, issue 15), run as a build runs it: the real
// bin/detect, bin/compile and bin/release over fixture apps whose dependencies are local tarballs
// (no registry is asked), with the machine's own Node.js and npm.
import assert from 'node:assert/strict'
import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {pathWithout, run, Workspace} from './buildpack-harness.js'

describe('buildpacks/nodejs', function () {
  this.timeout(180_000)
  let ws: Workspace

  beforeEach(() => {
    ws = new Workspace('nodejs')
  })

  afterEach(() => ws.remove())

  /** Edits an app's package.json in place. */
  function editPackage(app: string, edit: (pkg: {scripts: Record<string, string>; engines?: Record<string, string>}) => void): void {
    const file = join(app, 'package.json')
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as {scripts: Record<string, string>; engines?: Record<string, string>}
    edit(pkg)
    writeFileSync(file, JSON.stringify(pkg, null, 2))
  }

  it('detects an app with a package.json, and not a Python app nor one with only a Procfile', async () => {
    const node = await ws.detect(ws.app('node-express'))
    assert.deepEqual(node, {code: 0, output: 'Node.js\n'})
    assert.equal((await ws.detect(ws.app('python-app'))).code, 1)
    const procfileOnly = ws.app('python-app')
    for (const file of ['requirements.txt', 'app.py', 'wheels', '.python-version']) rmSync(join(procfileOnly, file), {recursive: true})
    assert.equal((await ws.detect(procfileOnly)).code, 1)
  })

  it('builds the Express-style app: npm ci of its local tarballs, the build script, devDependencies pruned, a profile for dynos', async () => {
    const app = ws.app('node-express')
    const built = await ws.compile(app)
    assert.equal(built.code, 0, built.output)
    assert.match(built.output, /^-----> Using the installed Node\.js$/m)
    assert.match(built.output, new RegExp(`^ {7}Using Node\\.js ${process.version.replaceAll('.', '\\.')} \\(/\\S+/node\\) and npm \\d+\\.\\d+\\.\\d+$`, 'm'))
    assert.match(built.output, /^ {7}engines\.node \(package\.json\): >=18$/m)
    assert.match(built.output, /^ {7}Installing node modules \(npm ci, package-lock\.json\)$/m)
    assert.match(built.output, /^ {7}wrote public\/built\.txt$/m, 'the build script ran')
    assert.match(built.output, /^-----> Pruning devDependencies$/m)
    assert.doesNotMatch(built.output, /No package-lock\.json/)

    assert.equal(readFileSync(join(app, 'public', 'built.txt'), 'utf8'), 'built by build-helper: NODE_ENV=production\n', 'the build had its devDependency')
    assert.equal(existsSync(join(app, 'node_modules', 'build-helper')), false, 'the devDependency is pruned')
    const required = await run(process.execPath, ['-e', 'process.stdout.write(typeof require("express"))'], {cwd: app})
    assert.deepEqual(required, {code: 0, output: 'function'}, 'the dependency loads from the slug')

    // What a dyno sources before its command: node_modules/.bin on PATH, NODE_ENV by default.
    const profile = await run('bash', ['--norc', '-c', 'source .profile.d/nodejs.sh && echo "$PATH" && echo "$NODE_ENV"'], {cwd: app, env: {PATH: '/usr/bin:/bin'}})
    assert.deepEqual(profile, {code: 0, output: `/usr/bin:/bin:${app}/node_modules/.bin\nproduction\n`})
  })

  it('a second build with the same cache says it used the npm cache of the first', async () => {
    const first = await ws.compile(ws.app('node-express'))
    assert.equal(first.code, 0, first.output)
    assert.match(first.output, /^-----> Restoring cache\n {7}The cache is empty/m)
    assert.ok(existsSync(join(ws.cache, 'npm')), 'npm cache is in CACHE_DIR')

    const app = ws.app('node-express')
    const second = await ws.compile(app)
    assert.equal(second.code, 0, second.output)
    assert.match(second.output, /^-----> Restoring cache\n {7}Using the npm cache from the previous build \(\S+\)$/m)
    const required = await run(process.execPath, ['-e', 'require("express")'], {cwd: app})
    assert.equal(required.code, 0, required.output)
  })

  it('NODE_MODULES_CACHE=false clears the cache instead of using it, as on Heroku', async () => {
    assert.equal((await ws.compile(ws.app('node-express'))).code, 0)
    ws.config('NODE_MODULES_CACHE', 'false')
    const second = await ws.compile(ws.app('node-express'))
    assert.equal(second.code, 0, second.output)
    assert.match(second.output, /^-----> Restoring cache\n {7}Caching is disabled \(NODE_MODULES_CACHE=false\): the cache of earlier builds is cleared$/m)
    assert.doesNotMatch(second.output, /Using the npm cache/)
  })

  it('engines.node that the installed Node.js does not satisfy fails, naming the installed version', async () => {
    const app = ws.app('node-express')
    editPackage(app, (pkg) => (pkg.engines = {node: '>=99'}))
    const failed = await ws.compile(app)
    assert.equal(failed.code, 1, failed.output)
    assert.match(failed.output, new RegExp(`^ ! {5}This app needs Node\\.js >=99 \\(engines\\.node in package\\.json\\), but the installed Node\\.js is ${process.version.replaceAll('.', '\\.')}\\.$`, 'm'))
    assert.match(failed.output, /install a Node\.js that satisfies >=99/)
    assert.equal(existsSync(join(app, 'node_modules')), false, 'nothing was installed')

    for (const [range, ok] of [['20.x', process.version.startsWith('v20.')], [`^${process.version.slice(1)}`, true], ['<18 || >=99', false]] as const) {
      const other = ws.app('node-express')
      editPackage(other, (pkg) => (pkg.engines = {node: range}))
      const result = await ws.compile(other)
      assert.equal(result.code, ok ? 0 : 1, `${range}: ${result.output}`)
    }

    const invalid = ws.app('node-express')
    editPackage(invalid, (pkg) => (pkg.engines = {node: 'the latest'}))
    const refused = await ws.compile(invalid)
    assert.equal(refused.code, 1)
    assert.match(refused.output, /engines\.node in package\.json is not a valid version range: 'the latest'/)
  })

  it('without a lockfile it warns and installs with npm install; a second build reuses node_modules', async () => {
    const app = ws.app('node-express')
    rmSync(join(app, 'package-lock.json'))
    const built = await ws.compile(app)
    assert.equal(built.code, 0, built.output)
    assert.match(built.output, /^ ! {5}No package-lock\.json: installing with npm install/m)
    assert.match(built.output, /^ {7}Installing node modules \(npm install, package\.json\)$/m)
    assert.equal((await run(process.execPath, ['-e', 'require("express")'], {cwd: app})).code, 0)

    const again = ws.app('node-express')
    rmSync(join(again, 'package-lock.json'))
    const second = await ws.compile(again)
    assert.equal(second.code, 0, second.output)
    assert.match(second.output, /^ {7}Using the cached node_modules$/m)
  })

  it('config vars from ENV_DIR reach the build; NODE_ENV other than production keeps devDependencies, as on Heroku', async () => {
    ws.config('NODE_ENV', 'staging')
    const app = ws.app('node-express')
    const built = await ws.compile(app)
    assert.equal(built.code, 0, built.output)
    assert.equal(readFileSync(join(app, 'public', 'built.txt'), 'utf8'), 'built by build-helper: NODE_ENV=staging\n')
    assert.match(built.output, /^ {7}Skipping because NODE_ENV is not 'production'$/m)
    assert.ok(existsSync(join(app, 'node_modules', 'build-helper')))

    rmSync(join(ws.env, 'NODE_ENV'))
    ws.config('NPM_CONFIG_PRODUCTION', 'false')
    const kept = ws.app('node-express')
    const second = await ws.compile(kept)
    assert.equal(second.code, 0, second.output)
    assert.match(second.output, /^ {7}Skipping because NPM_CONFIG_PRODUCTION is 'false'$/m)
    assert.ok(existsSync(join(kept, 'node_modules', 'build-helper')))
  })

  it('runs heroku-postbuild instead of build when there is one, and heroku-prebuild before installing', async () => {
    const app = ws.app('node-express')
    editPackage(app, (pkg) => {
      pkg.scripts['heroku-prebuild'] = 'node -e "require(\'fs\').writeFileSync(\'prebuild.txt\', String(require(\'fs\').existsSync(\'node_modules\')))"'
      pkg.scripts['heroku-postbuild'] = 'node -e "require(\'fs\').writeFileSync(\'postbuild.txt\', \'ran\')"'
    })
    const built = await ws.compile(app)
    assert.equal(built.code, 0, built.output)
    assert.match(built.output, /Detected both "build" and "heroku-postbuild" scripts: running heroku-postbuild/)
    assert.equal(readFileSync(join(app, 'prebuild.txt'), 'utf8'), 'false', 'heroku-prebuild ran before the install')
    assert.equal(readFileSync(join(app, 'postbuild.txt'), 'utf8'), 'ran')
    assert.equal(existsSync(join(app, 'public', 'built.txt')), false, 'build did not run')
  })

  it('a failing build script fails the build and says which script', async () => {
    const app = ws.app('node-express')
    editPackage(app, (pkg) => (pkg.scripts.build = 'node -e "process.exit(3)"'))
    const failed = await ws.compile(app)
    assert.equal(failed.code, 1)
    assert.match(failed.output, /^ ! {5}The build script of package\.json failed \(its output is above\)/m)
  })

  it('a yarn or pnpm lockfile without yarn or pnpm installed fails saying what to install; two lockfiles fail', async () => {
    const path = pathWithout(join(ws.root, 'bin'), ['yarn', 'yarnpkg', 'pnpm', 'pnpx'])
    for (const [lockfile, tool] of [['yarn.lock', 'yarn'], ['pnpm-lock.yaml', 'pnpm']] as const) {
      const app = ws.app('node-express')
      rmSync(join(app, 'package-lock.json'))
      writeFileSync(join(app, lockfile), '')
      const failed = await ws.compile(app, {...process.env, PATH: path})
      assert.equal(failed.code, 1, failed.output)
      assert.match(failed.output, new RegExp(`^ ! {5}${lockfile.replace('.', '\\.')} found, but ${tool} is not installed on this machine\\.$`, 'm'))
      assert.match(failed.output, new RegExp(`npm install -g ${tool}\\), or remove\\n ! {5}${lockfile.replace('.', '\\.')} to install the dependencies with npm`))
    }

    const both = ws.app('node-express')
    writeFileSync(join(both, 'yarn.lock'), '')
    const refused = await ws.compile(both)
    assert.equal(refused.code, 1)
    assert.match(refused.output, /Two different lockfiles found: package-lock\.json yarn\.lock/)
  })

  it('bin/release gives web: npm start when package.json has a start script, nothing otherwise', async () => {
    const app = ws.app('node-express')
    assert.deepEqual(await ws.release(app), {code: 0, output: '---\ndefault_process_types:\n  web: npm start\n'})
    editPackage(app, (pkg) => delete pkg.scripts.start)
    assert.deepEqual(await ws.release(app), {code: 0, output: '---\n'})
  })

  it('a package.json that is not JSON fails with what is wrong', async () => {
    const app = ws.app('node-express')
    writeFileSync(join(app, 'package.json'), '{"name": ')
    const failed = await ws.compile(app)
    assert.equal(failed.code, 1)
    assert.match(failed.output, /^ ! {5}package\.json cannot be read: it is not valid JSON/m)
  })
})
