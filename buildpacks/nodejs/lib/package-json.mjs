// Reads an app's package.json once and prints what bin/compile and bin/release need as shell
// assignments (`name='value'`), so the bash scripts never parse JSON themselves.
//
//   node package-json.mjs BUILD_DIR
//
// Exit 1 with a message on stderr when package.json is missing or not a JSON object.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

const file = join(process.argv[2] || '.', 'package.json')
let pkg
try {
  pkg = JSON.parse(readFileSync(file, 'utf8'))
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
const scripts = object(pkg.scripts)
const engines = object(pkg.engines)
const hasScript = (name) => typeof scripts[name] === 'string'
const text = (value) => (typeof value === 'string' ? value : '')
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
}
for (const [name, value] of Object.entries(values)) process.stdout.write(`${name}=${quote(value)}\n`)
