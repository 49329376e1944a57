// Everything bin/compile and bin/release need to know about the app and the installed Node.js and
// npm, in one node process (each one costs a build time), printed as shell assignments
// (`name='value'`), so that the bash scripts never parse JSON themselves.
//
//   node inspect.mjs BUILD_DIR [NPM_DIR]
//
// NPM_DIR is npm's install directory: npm's version is read from its package.json (running
// `npm --version` costs a quarter of a second), and engines ranges are checked with the semver
// module npm itself uses, so that `>=18`, `20.x`, `^20.1.0` or `18 || 20` mean what npm says. Each
// engines_*_check is `ok`, `unsatisfied`, `invalid` (not a range), `unchecked` (no semver module)
// or empty (no range given). Exit 1 with a message on stderr when package.json cannot be read.
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'

const [buildDir = '.', npmDir = ''] = process.argv.slice(2)
let pkg
try {
  pkg = JSON.parse(readFileSync(join(buildDir, 'package.json'), 'utf8'))
} catch (error) {
  const why = error.code === 'ENOENT' ? 'it does not exist' : `it is not valid JSON (${error.message})`
  process.stderr.write(`package.json cannot be read: ${why}. Fix it and deploy again.\n`)
  process.exit(1)
}
if (pkg === null || typeof pkg !== 'object' || Array.isArray(pkg)) {
  process.stderr.write('package.json must hold a JSON object ({"name": ..., "dependencies": ...}). Fix it and deploy again.\n')
  process.exit(1)
}

const object = (value) => (value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {})
const text = (value) => (typeof value === 'string' ? value : '')
const scripts = object(pkg.scripts)
const engines = object(pkg.engines)
const hasScript = (name) => typeof scripts[name] === 'string'

let npmVersion = ''
let semver
if (npmDir !== '') {
  try {
    npmVersion = text(JSON.parse(readFileSync(join(npmDir, 'package.json'), 'utf8')).version)
  } catch {
    // bin/compile asks npm itself
  }
  try {
    semver = createRequire(join(npmDir, 'package.json'))('semver')
  } catch {
    // reported as unchecked
  }
}

function check(version, range) {
  if (range === '') return ''
  if (!semver || version === '') return 'unchecked'
  if (semver.validRange(range) === null) return 'invalid'
  return semver.satisfies(version, range) ? 'ok' : 'unsatisfied'
}

// Single quotes survive everything but a single quote, which is closed, escaped and reopened.
const quote = (value) => `'${String(value).replaceAll("'", "'\\''")}'`
const values = {
  pkg_has_build: hasScript('build'),
  pkg_has_heroku_prebuild: hasScript('heroku-prebuild'),
  pkg_has_heroku_postbuild: hasScript('heroku-postbuild'),
  pkg_has_heroku_cleanup: hasScript('heroku-cleanup'),
  pkg_has_start: hasScript('start'),
  pkg_has_dev_deps: Object.keys(object(pkg.devDependencies)).length > 0,
  pkg_engines_node: text(engines.node),
  pkg_engines_npm: text(engines.npm),
  node_version: process.version,
  node_path: process.execPath,
  npm_version: npmVersion,
  engines_node_check: check(process.version, text(engines.node)),
  engines_npm_check: check(npmVersion, text(engines.npm)),
}
for (const [name, value] of Object.entries(values)) process.stdout.write(`${name}=${quote(value)}\n`)
