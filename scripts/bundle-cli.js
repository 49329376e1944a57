// Bundles the CLI's hot path: every command and hook and src/lib/cli/hot-path.ts, with @oclif/core and the tug modules they
// import statically, into ES modules that share chunks (issue 19). Without it a command loads
// ~110 files of oclif and its dependencies plus ~60 of tug's, and resolving and compiling them
// one by one was a third of a `tug ps`.
//
// The input is tsc's output (so the code is what tsc emitted) and the bundle replaces its
// commands/ and hooks/ files in place, with the shared chunks in lib/chunks/. What stays out:
// - the control plane (src/server), which `tug server` and the local autostart import lazily: it
//   keeps running from tsc's files, and its import stays a relative path that is as valid from
//   lib/chunks/ as it was from lib/cli/ or commands/server/;
// - every other package (ora, cli-table3, @inquirer/prompts, undici...), imported at run time
//   from node_modules as before, often lazily.
// The chunks sit three levels below the package root, as the modules they come from did, so that
// a `new URL('../../../package.json', import.meta.url)` still finds the root; bundleCli fails the
// build if such a URL ends up in a file at another depth.
import {readdirSync, readFileSync, renameSync, rmSync, mkdirSync} from 'node:fs'
import {dirname, join, relative, sep} from 'node:path'

/** The entry bin/run.js and bin/git-remote-tug.js import instead of '@oclif/core' (from dist/). */
export const OCLIF_ENTRY = 'lib/chunks/oclif-core.js'

/** The hot path bin/run.js takes for a command of tug's own (src/lib/cli/hot-path.ts), from dist/. */
export const HOT_PATH_ENTRY = 'lib/cli/hot-path.js'

function jsFiles(dir) {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return jsFiles(path)
    return entry.name.endsWith('.js') ? [path] : []
  })
}

// oclif's CommonJS calls require (node: built-ins; a user's CommonJS plugins), which an ES module
// does not have: each output file gets one. It also reads __dirname, its own directory (for its
// package.json), in a few functions: that becomes a getter that resolves it once, when asked.
const BANNER = [
  "import {createRequire as __tugCreateRequire} from 'node:module'",
  'const require = __tugCreateRequire(import.meta.url)',
  "if (!Object.hasOwn(globalThis, '__tugOclifDir')) { let dir; Object.defineProperty(globalThis, '__tugOclifDir', {get: () => (dir ??= require.resolve('@oclif/core').replace(/[\\\\/][^\\\\/]*$/, ''))}) }",
].join('; ')

// oclif's CommonJS (as tsc emits it) requires every module it may need at the top of each file,
// so that loading @oclif/core evaluates its help, ux, spinners, globbing and more for every command.
// Each such `const x_1 = require("...")` becomes a proxy that requires the module on first use:
// tsc's output only ever reads a required module's properties (`(0, x_1.fn)()`, `x_1.Class`) or
// calls it, and those the proxy forwards.
const LAZY_REQUIRE = /^(const|var) (\w+) = ((?:__importDefault\(|__importStar\()?require\("[^"]+"\)\)?);$/gm
const LAZY_HELPER = `function __tugLazy(load) {
  let loaded = false, value
  const real = () => (loaded ? value : ((loaded = true), (value = load())))
  return new Proxy(() => {}, {
    get: (_, key) => real()[key],
    set: (_, key, v) => ((real()[key] = v), true),
    has: (_, key) => key in real(),
    apply: (_, self, args) => Reflect.apply(real(), self, args),
    ownKeys: () => [...new Set([...Reflect.ownKeys(real()), 'length', 'name'])],
    getOwnPropertyDescriptor: (_, key) => {
      const d = Reflect.getOwnPropertyDescriptor(real(), key)
      return d ? {...d, configurable: true} : key === 'length' || key === 'name' ? {value: undefined, writable: false, enumerable: false, configurable: true} : undefined
    },
  })
}
`

/** Bundles `compiled` (tsc's output directory, the future dist/) in place. */
export async function bundleCli(root, compiled) {
  let esbuild
  try {
    esbuild = await import('esbuild')
  } catch {
    throw new Error('scripts/bundle-cli.js needs esbuild (installed with tsx); run `npm install`')
  }
  // The hot path (bin/run.js runs a command of tug's own through it) shares the chunks too.
  const entries = [...jsFiles(join(compiled, 'commands')), ...jsFiles(join(compiled, 'hooks')), join(compiled, HOT_PATH_ENTRY)]
  const serverDir = join(compiled, 'server') + sep
  const out = `${compiled}.bundle`
  rmSync(out, {recursive: true, force: true})
  try {
    await esbuild.build({
      entryPoints: [...entries, {in: join(root, 'node_modules', '@oclif', 'core', 'lib', 'index.js'), out: OCLIF_ENTRY.replace(/\.js$/, '')}],
      outbase: compiled,
      outdir: out,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      chunkNames: 'lib/chunks/[name]-[hash]',
      sourcemap: true,
      minifyWhitespace: true,
      minifySyntax: true,
      banner: {js: BANNER},
      define: {__dirname: 'globalThis.__tugOclifDir'},
      logLevel: 'warning',
      plugins: [
        {
          name: 'tug-hot-path',
          setup(build) {
            build.onLoad({filter: /[\\/]node_modules[\\/]@oclif[\\/]core[\\/]lib[\\/].*\.js$/}, (args) => {
              const text = readFileSync(args.path, 'utf8')
              const lazy = text.replace(LAZY_REQUIRE, (_, kind, name, expression) => `${kind} ${name} = __tugLazy(() => ${expression});`)
              return {contents: lazy === text ? text : `${LAZY_HELPER}${lazy}`, loader: 'js'}
            })
            build.onResolve({filter: /.*/}, (args) => {
              if (args.kind === 'entry-point') return undefined
              const inPackages = args.importer.includes(`${sep}node_modules${sep}`)
              if (args.path.startsWith('.')) {
                const target = join(args.resolveDir, args.path)
                return !inPackages && target.startsWith(serverDir) ? {path: args.path, external: true} : undefined
              }
              if (args.path.startsWith('node:')) return {path: args.path, external: true}
              // oclif loads these only to run TypeScript sources in development.
              if (args.path === 'typescript' || args.path === 'ts-node') return {path: args.path, external: true}
              // @oclif/core and what it requires go in; tug's other packages stay in node_modules.
              if (inPackages || args.path === '@oclif/core' || args.path.startsWith('@oclif/core/')) return undefined
              return {path: args.path, external: true}
            })
          },
        },
      ],
    })
    for (const file of jsFiles(out)) {
      const path = relative(out, file)
      if (path.split(sep).length !== 3 && /new URL\([^)]*import\.meta\.url/.test(readFileSync(file, 'utf8'))) {
        throw new Error(`the bundle put a URL relative to import.meta.url into dist/${path}, which is not three levels below the package root as its source was`)
      }
    }
    for (const file of [...jsFiles(out), ...jsFiles(out).map((f) => `${f}.map`)]) {
      const target = join(compiled, relative(out, file))
      mkdirSync(dirname(target), {recursive: true})
      renameSync(file, target)
    }
  } finally {
    rmSync(out, {recursive: true, force: true})
  }
}
