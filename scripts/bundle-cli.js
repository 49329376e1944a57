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
// @oclif/core itself (with the packages it requires) is bundled apart, as one CommonJS file
// (lib/chunks/oclif-core.cjs) that the commands' chunks load through a vm.Script with V8's code
// cache (lib/chunks/oclif-core.cjs.cache, made by the build from a run of the hot path): parsing and
// compiling its 470 KB was ~90M instructions of every command, reading the cache a fraction of it.
// Node 20 has no code cache for ES modules; for a CommonJS file, vm.Script takes one.
// The chunks sit three levels below the package root, as the modules they come from did, so that
// a `new URL('../../../package.json', import.meta.url)` still finds the root; bundleCli fails the
// build if such a URL ends up in a file at another depth.
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {readdirSync, readFileSync, renameSync, rmSync, mkdirSync, writeFileSync} from 'node:fs'
import {dirname, join, relative, sep} from 'node:path'

/** The entry bin/run.js and bin/git-remote-tug.js import instead of '@oclif/core' (from dist/). */
export const OCLIF_ENTRY = 'lib/chunks/oclif-core.js'

/** @oclif/core and the packages it requires, as one CommonJS file, and its V8 code cache (from dist/). */
export const OCLIF_CJS = 'lib/chunks/oclif-core.cjs'
export const OCLIF_CODE_CACHE = `${OCLIF_CJS}.cache`

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

// What the commands' chunks import as '@oclif/core' (and '@oclif/core/logger'): oclif-core.cjs, run
// once per process. Its first line names the build (a hash of the rest); the cache file starts with
// the same hash, so that a cache is only ever used with the source it was made from. V8 checks its
// own version and flags and rejects a cache that does not fit (a newer Node): then the file is
// compiled as usual. TUG_WRITE_CODE_CACHE=1 (the build) writes the cache when the process exits.
const OCLIF_LOADER = `import {readFileSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Script} from 'node:vm'
const HASH_LENGTH = 64
let loaded
export function loadOclif() {
  if (loaded) return loaded
  const file = fileURLToPath(new URL('./oclif-core.cjs', import.meta.url))
  const source = readFileSync(file, 'utf8')
  const hash = source.slice(3, 3 + HASH_LENGTH)
  let cachedData
  try {
    const cache = readFileSync(file + '.cache')
    if (cache.toString('latin1', 0, HASH_LENGTH) === hash) cachedData = cache.subarray(HASH_LENGTH)
  } catch {}
  const script = new Script('(function (exports, require, module, __filename, __dirname, __tugImport) {' + source + '\\n})', {filename: file, cachedData})
  const module = {exports: {}}
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file), (specifier) => import(specifier))
  if (process.env.TUG_WRITE_CODE_CACHE === '1') {
    process.on('exit', () => writeFileSync(file + '.cache', Buffer.concat([Buffer.from(hash, 'latin1'), script.createCachedData()])))
  }
  loaded = module.exports
  return loaded
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
      entryPoints: [...entries, {in: 'tug-oclif:entry', out: OCLIF_ENTRY.replace(/\.js$/, '')}],
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
            // '@oclif/core' is oclif-core.cjs, through the loader; bin/run.js imports the same as OCLIF_ENTRY.
            build.onResolve({filter: /^(tug-oclif:.*|@oclif\/core(\/logger)?)$/}, (args) => {
              if (args.path === '@oclif/core' || args.path === '@oclif/core/logger') {
                if (args.importer.includes(`${sep}node_modules${sep}`)) return undefined
                return {path: args.path === '@oclif/core' ? 'core' : 'logger', namespace: 'tug-oclif'}
              }
              return {path: args.path.slice('tug-oclif:'.length), namespace: 'tug-oclif'}
            })
            build.onLoad({filter: /.*/, namespace: 'tug-oclif'}, (args) => {
              if (args.path === 'loader') return {contents: OCLIF_LOADER, loader: 'js', resolveDir: root}
              if (args.path === 'entry') return {contents: "import {loadOclif} from 'tug-oclif:loader'\nexport default loadOclif().core\n", loader: 'js', resolveDir: root}
              return {contents: `module.exports = require('tug-oclif:loader').loadOclif().${args.path}\n`, loader: 'js', resolveDir: root}
            })
            build.onResolve({filter: /.*/}, (args) => {
              if (args.kind === 'entry-point') return undefined
              if (args.namespace === 'tug-oclif') return {path: args.path, external: true}
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
      const text = readFileSync(file, 'utf8')
      if (path.split(sep).length !== 3 && /new URL\([^)]*import\.meta\.url/.test(text)) {
        throw new Error(`the bundle put a URL relative to import.meta.url into dist/${path}, which is not three levels below the package root as its source was`)
      }
      if (text.includes("'./oclif-core.cjs'") && dirname(path) !== dirname(OCLIF_CJS)) {
        throw new Error(`the bundle put oclif's loader into dist/${path}, not beside ${OCLIF_CJS}`)
      }
    }
    await bundleOclif(esbuild, root, join(out, OCLIF_CJS))
    for (const file of [...jsFiles(out), ...jsFiles(out).map((f) => `${f}.map`), join(out, OCLIF_CJS)]) {
      const target = join(compiled, relative(out, file))
      mkdirSync(dirname(target), {recursive: true})
      renameSync(file, target)
    }
  } finally {
    rmSync(out, {recursive: true, force: true})
  }
}

// oclif's CommonJS, each `require` of its own made lazy (LAZY_REQUIRE), with the packages it
// requires, as one CommonJS file whose first line is `// <sha256 of the rest>` (see OCLIF_LOADER).
async function bundleOclif(esbuild, root, outfile) {
  const result = await esbuild.build({
    stdin: {
      contents: "module.exports = {core: require('@oclif/core'), logger: require('@oclif/core/logger')}\n",
      resolveDir: root,
      sourcefile: 'tug-oclif-core.cjs',
      loader: 'js',
    },
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    define: {__dirname: 'globalThis.__tugOclifDir'},
    logLevel: 'warning',
    // oclif loads these only to run TypeScript sources in development.
    external: ['typescript', 'ts-node'],
    outfile,
    plugins: [
      {
        name: 'tug-oclif-lazy',
        setup(build) {
          build.onLoad({filter: /[\\/]node_modules[\\/]@oclif[\\/]core[\\/]lib[\\/].*\.js$/}, (args) => {
            const text = readFileSync(args.path, 'utf8')
            const lazy = text.replace(LAZY_REQUIRE, (_, kind, name, expression) => `${kind} ${name} = __tugLazy(() => ${expression});`)
            return {contents: lazy === text ? text : `${LAZY_HELPER}${lazy}`, loader: 'js'}
          })
        },
      },
    ],
  })
  // A function a vm.Script compiled with a code cache made by another process cannot import():
  // V8 keeps the import callback's id of the process that made the cache, and Node finds no such
  // callback (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING). oclif imports only absolute file URLs (ESM
  // commands, hooks, plugins; tsx in development), so the loader's own import() does the same.
  const text = result.outputFiles[0].text.replace(/(?<![\w$."'])import\(/g, '__tugImport(')
  const hash = createHash('sha256').update(text).digest('hex')
  mkdirSync(dirname(outfile), {recursive: true})
  writeFileSync(outfile, `// ${hash}\n${text}`)
}

/**
 * Writes the V8 code cache of dist/lib/chunks/oclif-core.cjs from a run of the hot path (a usage
 * error of `tug config:get`: command, flags, parser, errors, exit), made by the same Node and V8
 * flags as the commands that will read it.
 */
export function writeOclifCodeCache(root) {
  rmSync(join(root, 'dist', OCLIF_CODE_CACHE), {force: true})
  try {
    execFileSync(process.execPath, [join(root, 'bin', 'run.js'), 'config:get', '-a', 'code-cache'], {
      cwd: root,
      stdio: 'ignore',
      env: {...process.env, TUG_WRITE_CODE_CACHE: '1', TUG_NO_HOT_PATH: '', DEBUG: '', TUG_DEBUG: ''},
    })
  } catch {
    // A usage error exits with 2: expected.
  }
}
