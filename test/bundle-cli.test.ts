// scripts/bundle-cli.js makes the same bundles from the same sources, whatever the name of the
// temporary directory the build compiles into (scripts/build.js: dist.next-<pid>): esbuild's module
// ids once carried that name, so every build changed hot-cli.cjs and, with it, its code cache.
// The code caches are not compared (bundleCli does not write them; the build does, from a run):
// V8 writes a different one on every run.
// The input is src/ compiled by esbuild, file by file (0.5 s where tsc takes 10-20 s): what is
// tested is that the output does not depend on where the input sits.
import assert from 'node:assert/strict'
import {cpSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

type BundleCli = (root: string, compiled: string) => Promise<void>

function sources(dir: string): string[] {
  return files(dir).filter((file) => file.endsWith('.ts'))
}

function files(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true})
    .flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)]))
    .sort()
}

describe('scripts/bundle-cli.js', function () {
  this.timeout(180_000)
  // Inside the package root (its node_modules) and ignored by git, as the build's own directory is.
  const first = join(ROOT, `dist.next-repro-${process.pid}`)
  const second = join(ROOT, `dist.next-repro-${process.pid}-elsewhere`)
  after(() => {
    for (const dir of [first, second, `${first}.bundle`, `${second}.bundle`]) rmSync(dir, {recursive: true, force: true})
  })

  it('bundles the same compiled sources into the same files, byte for byte, in directories of other names', async () => {
    const esbuild = await import('esbuild')
    await esbuild.build({entryPoints: sources(join(ROOT, 'src')), outbase: join(ROOT, 'src'), outdir: first, format: 'esm', platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning'})
    cpSync(first, second, {recursive: true})
    const {bundleCli} = (await import(pathToFileURL(join(ROOT, 'scripts', 'bundle-cli.js')).href)) as {bundleCli: BundleCli}
    await bundleCli(ROOT, first)
    await bundleCli(ROOT, second)
    const names = files(first).map((file) => relative(first, file))
    assert.deepEqual(files(second).map((file) => relative(second, file)), names)
    assert.ok(names.includes(join('lib', 'chunks', 'hot-cli.cjs')) && names.includes(join('lib', 'chunks', 'oclif-core.cjs')), 'the CommonJS bundles were written')
    const differ = names.filter((name) => !readFileSync(join(first, name)).equals(readFileSync(join(second, name))))
    assert.deepEqual(differ, [], 'these files differ between the two directories')
    assert.ok(!readFileSync(join(second, 'lib', 'chunks', 'hot-cli.cjs'), 'latin1').includes('dist.next-repro'), "hot-cli.cjs names the build's directory")
  })
})
