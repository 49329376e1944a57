#!/usr/bin/env node
// Generates docs/commands.md, the command reference, from the commands themselves (`oclif
// readme`), so that it says exactly what `tug COMMAND --help` says.
//
//   node scripts/docs.js            rewrite docs/commands.md
//   node scripts/docs.js --check    exit 1 (and say how to fix it) when docs/commands.md is stale
//
// The output is kept free of anything that varies by machine: oclif's usage block (it names the
// platform and the node version) is left out, the help is wrapped at a fixed width (COLUMNS=100), and no source
// links (they would name a version) are written.
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const target = join(root, 'docs', 'commands.md')
const check = process.argv.includes('--check')

const HEADER = `# tug command reference

Generated from the commands by \`npm run docs\` (\`scripts/docs.js\`, which runs \`oclif readme\`); do
not edit by hand. \`npm test\` fails when this file differs from what the commands say.
Every command also answers \`tug COMMAND --help\`.

`

export function generate() {
  execFileSync(process.execPath, [join(root, 'scripts', 'build.js'), '--if-needed'], {cwd: root, stdio: 'inherit'})
  const dir = mkdtempSync(join(tmpdir(), 'tug-docs-'))
  try {
    const file = join(dir, 'commands.md')
    writeFileSync(file, '<!-- commands -->\n<!-- commandsstop -->\n')
    execFileSync(join(root, 'node_modules', '.bin', 'oclif'), ['readme', '--readme-path', file, '--no-source-links', '--no-aliases'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {...process.env, COLUMNS: '100', OCLIF_COLUMNS: '100', OCLIF_SKIP_NEW_VERSION_CHECK: 'true', NO_COLOR: '1'},
    })
    const body = readFileSync(file, 'utf8')
      .replace(/^<!-- commands -->\n/, '')
      .replace(/<!-- commandsstop -->\n?$/, '')
      .replace(/[ \t]+$/gm, '')
    return `${HEADER}${body.trimEnd()}\n`
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

const fresh = generate()
if (check) {
  const committed = existsSync(target) ? readFileSync(target, 'utf8') : ''
  if (committed !== fresh) {
    process.stderr.write('docs/commands.md is out of date with the commands: run `npm run docs` and commit the result.\n')
    process.exit(1)
  }
  process.stdout.write('docs/commands.md matches the commands.\n')
} else {
  writeFileSync(target, fresh)
  process.stdout.write(`Wrote ${target.slice(root.length)}\n`)
}
