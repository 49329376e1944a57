#!/usr/bin/env node
// A bare `tug --version` is answered here, in oclif's own format, without loading oclif: it is
// what scripts and shells call most often just to see that tug is there.
const args = process.argv.slice(2)
if (args.length === 1 && args[0] === '--version') {
  const {readFileSync} = await import('node:fs')
  const {version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`tug/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
