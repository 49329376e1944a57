#!/usr/bin/env node
// Compiles src/ to dist/, bundles the CLI's commands with @oclif/core (bundle-cli.js: the start
// of every command) and generates oclif.manifest.json (never committed: it would go stale).
// With --if-needed it does nothing when dist/ is newer than every source file, so `npm test`
// stays fast on a second run. It compiles into a fresh directory and swaps it in, so a `tug`
// process started from dist/ meanwhile (a test, a running server) never finds it half-built.
import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {bundleCli, HOT_CLI_CODE_CACHE, OCLIF_CODE_CACHE, OCLIF_ENTRY, writeCodeCaches} from './bundle-cli.js'

/** Command id → its module, from the manifest: bin/run.js finds a command of tug's own here. */
export const COMMAND_INDEX = 'lib/cli/command-index.json'

const root = new URL('..', import.meta.url).pathname
const stamp = join(root, 'dist', '.build-stamp')

function newestMtime(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }
  return newest
}

function upToDate() {
  if (!existsSync(stamp) || !existsSync(join(root, 'oclif.manifest.json')) || !existsSync(join(root, 'dist', OCLIF_ENTRY)) || !existsSync(join(root, 'dist', COMMAND_INDEX)) || !existsSync(join(root, 'dist', OCLIF_CODE_CACHE)) || !existsSync(join(root, 'dist', HOT_CLI_CODE_CACHE))) return false
  const built = statSync(stamp).mtimeMs
  const inputs = [join(root, 'package.json'), join(root, 'tsconfig.json'), join(root, 'scripts', 'build.js'), join(root, 'scripts', 'bundle-cli.js')].map((f) => statSync(f).mtimeMs)
  return Math.max(newestMtime(join(root, 'src')), ...inputs) < built
}

if (process.argv.includes('--if-needed') && upToDate()) process.exit(0)

const bin = (name) => join(root, 'node_modules', '.bin', name)
const dist = join(root, 'dist')
const next = join(root, `dist.next-${process.pid}`)
const old = join(root, `dist.old-${process.pid}`)
try {
  execFileSync(bin('tsc'), ['-p', join(root, 'tsconfig.json'), '--outDir', next], {cwd: root, stdio: 'inherit'})
  await bundleCli(root, next)
  if (existsSync(dist)) renameSync(dist, old)
  renameSync(next, dist)
} finally {
  rmSync(next, {recursive: true, force: true})
  rmSync(old, {recursive: true, force: true})
}
// The oclif dev CLI would otherwise ask the registry for a newer version of itself on every build.
execFileSync(bin('oclif'), ['manifest'], {cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true'}})
// The slice of the manifest bin/run.js needs to run a command without oclif's Config.load (issue
// 19): each id's module, as oclif's plugin would find it. Aliases are left out: they take oclif's path.
// Sorted by id: the manifest lists the commands in the order oclif happened to load them.
const {commands} = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8'))
const ids = Object.keys(commands).sort()
const index = Object.fromEntries(ids.map((id) => [id, commands[id].relativePath.join('/')]))
writeFileSync(join(dist, COMMAND_INDEX), JSON.stringify(index) + '\n')
await writeCodeCaches(root)
writeFileSync(stamp, new Date().toISOString() + '\n')
