#!/usr/bin/env node
// Makes the example's local dependencies: vendor/*.tgz, packed with npm pack from generated
// sources, so that `npm ci` installs them with no registry at all. There are many (and with many
// files each) on purpose: bench/build compares tug's build of this app with a bare `npm ci`, which
// must take long enough to measure. The contents are generated the same way on every run; a
// change here means `npm install` again to update package-lock.json.
//
//   node vendor/make-packages.mjs [COUNT] [FILES]
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const vendor = dirname(fileURLToPath(import.meta.url))
const count = Number(process.argv[2] ?? 40)
const files = Number(process.argv[3] ?? 40)
const work = mkdtempSync(join(tmpdir(), 'node-app-vendor-'))

/** A module of plain functions, different for each package and file, about 3 KB. */
function moduleText(pkg, file) {
  const lines = [`'use strict'`, `// ${pkg}/lib/part-${file}.js: generated filler for tug's build benchmark.`]
  for (let i = 0; i < 24; i++) {
    lines.push(`exports.f${i} = function f${i}(x) {`, `  const k = ${(pkg.length * 31 + file * 17 + i * 7) % 997}`, `  return typeof x === 'number' ? (x * k + ${i}) % ${1009 + file} : String(x) + '-${pkg}-${file}-${i}'`, '}')
  }
  return `${lines.join('\n')}\n`
}

try {
  const names = []
  for (let n = 1; n <= count; n++) {
    const name = `example-lib-${String(n).padStart(2, '0')}`
    const dir = join(work, name)
    mkdirSync(join(dir, 'lib'), {recursive: true})
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify({name, version: '1.0.0', description: 'Generated filler package of tug\'s examples/node-app', main: 'index.js', license: 'MIT'}, null, 2)}\n`)
    const parts = Array.from({length: files}, (_, f) => f)
    for (const f of parts) writeFileSync(join(dir, 'lib', `part-${f}.js`), moduleText(name, f))
    writeFileSync(join(dir, 'index.js'), `'use strict'\nmodule.exports = {name: '${name}', parts: ${files}, load: (i) => require('./lib/part-' + i + '.js')}\n`)
    names.push(dir)
  }
  execFileSync('npm', ['pack', '--loglevel', 'error', '--pack-destination', vendor, ...names], {stdio: ['ignore', 'ignore', 'inherit']})
  console.log(`packed ${count} packages of ${files} files into ${vendor}`)
} finally {
  rmSync(work, {recursive: true, force: true})
}
