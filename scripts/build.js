#!/usr/bin/env node
// Compiles src/ to dist/ and generates oclif.manifest.json (never committed: it would go stale).
// With --if-needed it does nothing when dist/ is newer than every source file, so `npm test`
// stays fast on a second run.
import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

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
  if (!existsSync(stamp) || !existsSync(join(root, 'oclif.manifest.json'))) return false
  const built = statSync(stamp).mtimeMs
  const inputs = [join(root, 'package.json'), join(root, 'tsconfig.json')].map((f) => statSync(f).mtimeMs)
  return Math.max(newestMtime(join(root, 'src')), ...inputs) < built
}

if (process.argv.includes('--if-needed') && upToDate()) process.exit(0)

const bin = (name) => join(root, 'node_modules', '.bin', name)
rmSync(join(root, 'dist'), {recursive: true, force: true})
execFileSync(bin('tsc'), ['-p', join(root, 'tsconfig.json')], {cwd: root, stdio: 'inherit'})
execFileSync(bin('oclif'), ['manifest'], {cwd: root, stdio: ['ignore', 'ignore', 'inherit']})
writeFileSync(stamp, new Date().toISOString() + '\n')
