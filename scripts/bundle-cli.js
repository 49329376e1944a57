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
import {createHash} from 'node:crypto'
import {createRequire} from 'node:module'
import {readdirSync, readFileSync, renameSync, rmSync, mkdirSync, writeFileSync} from 'node:fs'
import {dirname, join, relative, sep} from 'node:path'

/** The entry bin/run.js and bin/git-remote-tug.js import instead of '@oclif/core' (from dist/). */
export const OCLIF_ENTRY = 'lib/chunks/oclif-core.js'

/** @oclif/core and the packages it requires, as one CommonJS file, and its V8 code cache (from dist/). */
export const OCLIF_CJS = 'lib/chunks/oclif-core.cjs'
export const OCLIF_CODE_CACHE = `${OCLIF_CJS}.cache`

/**
 * bin/run.js's hot path for a command of tug's own (src/lib/cli/hot-path.ts): one CommonJS file
 * with oclif, tug's modules and every command (each evaluated only when run), its code cache, and
 * the ES module bin/run.js imports to load it (from dist/).
 */
export const HOT_CLI = 'lib/chunks/hot-cli.cjs'
export const HOT_CLI_CODE_CACHE = `${HOT_CLI}.cache`
export const HOT_CLI_ENTRY = 'lib/chunks/hot-cli.js'

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
  "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url)",
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

// The loader of the two CommonJS bundles in lib/chunks: oclif-core.cjs (what the commands' chunks
// import as '@oclif/core' on oclif's path) and hot-cli.cjs (bin/run.js's hot path: oclif with the
// commands and tug's modules, one file). Each is run once per process through a vm.Script with its
// V8 code cache. A file's first line names its build (a hash of the rest); the cache file starts
// with the same hash, so that a cache is only ever used with the source it was made from. V8 checks
// its own version and flags and rejects a cache that does not fit (a newer Node): then the file is
// compiled as usual. TUG_WRITE_CODE_CACHE=1 (the build) writes the caches when the process exits.
//
// The built-ins come from process.getBuiltinModule (Node 20.16+; package.json requires 20.18.1):
// importing them would make an ES module facade of each (a few million instructions for these).
const OCLIF_LOADER = `const {readFileSync, writeFileSync} = process.getBuiltinModule('node:fs')
const {createRequire} = process.getBuiltinModule('node:module')
const {dirname} = process.getBuiltinModule('node:path')
const {fileURLToPath, pathToFileURL} = process.getBuiltinModule('node:url')
const {Script} = process.getBuiltinModule('node:vm')
const HASH_LENGTH = 64
const loaded = new Map()
function loadCached(name) {
  if (loaded.has(name)) return loaded.get(name)
  const file = fileURLToPath(new URL('./' + name, import.meta.url))
  // ASCII (writeCachedBundle): latin1 is the same text, without UTF-8 decoding's cost.
  const source = readFileSync(file, 'latin1')
  const hash = source.slice(3, 3 + HASH_LENGTH)
  let cachedData
  try {
    const cache = readFileSync(file + '.cache')
    if (cache.toString('latin1', 0, HASH_LENGTH) === hash) cachedData = cache.subarray(HASH_LENGTH)
  } catch {}
  const script = new Script('(function (exports, require, module, __filename, __dirname, __tugImport, __tugImportMetaUrl) {' + source + '\\n})', {filename: file, cachedData})
  const module = {exports: {}}
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file), (specifier) => import(specifier), pathToFileURL(file).href)
  if (process.env.TUG_WRITE_CODE_CACHE === '1') {
    process.on('exit', () => writeFileSync(file + '.cache', Buffer.concat([Buffer.from(hash, 'latin1'), script.createCachedData()])))
  }
  loaded.set(name, module.exports)
  return module.exports
}
export function loadOclif() {
  return loadCached('oclif-core.cjs')
}
export function loadHotCli() {
  return loadCached('hot-cli.cjs')
}
`

// The options of all three builds. __dirname is oclif's own directory (BANNER).
const SHARED_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  define: {__dirname: 'globalThis.__tugOclifDir'},
  logLevel: 'warning',
}

/** Bundles `compiled` (tsc's output directory, the future dist/) in place. */
export async function bundleCli(root, compiled) {
  let esbuild
  try {
    esbuild = await import('esbuild')
  } catch {
    throw new Error('scripts/bundle-cli.js needs esbuild (installed with tsx); run `npm install`')
  }
  const entries = [...jsFiles(join(compiled, 'commands')), ...jsFiles(join(compiled, 'hooks'))]
  const out = `${compiled}.bundle`
  rmSync(out, {recursive: true, force: true})
  try {
    await esbuild.build({
      entryPoints: [
        ...entries,
        {in: 'tug-oclif:entry', out: OCLIF_ENTRY.replace(/\.js$/, '')},
      ],
      outbase: compiled,
      outdir: out,
      absWorkingDir: compiled,
      ...SHARED_OPTIONS,
      splitting: true,
      format: 'esm',
      chunkNames: 'lib/chunks/[name]-[hash]',
      sourcemap: true,
      banner: {js: BANNER},
      plugins: [tugResolver({root, compiled, oclif: 'loader'})],
    })
    for (const file of jsFiles(out)) {
      const path = relative(out, file)
      const text = readFileSync(file, 'utf8')
      if (path.split(sep).length !== 3 && /new URL\([^)]*import\.meta\.url/.test(text)) {
        throw new Error(`the bundle put a URL relative to import.meta.url into dist/${path}, which is not three levels below the package root as its source was`)
      }
      if (text.includes('function loadCached(') && dirname(path) !== dirname(OCLIF_CJS)) {
        throw new Error(`the bundle put the loader of ${OCLIF_CJS} and ${HOT_CLI} into dist/${path}, not beside them`)
      }
    }
    await bundleOclif(esbuild, root, join(out, OCLIF_CJS))
    await bundleHotCli(esbuild, root, compiled, join(out, HOT_CLI))
    for (const file of [...jsFiles(out), ...jsFiles(out).map((f) => `${f}.map`), join(out, OCLIF_CJS), join(out, HOT_CLI)]) {
      const target = join(compiled, relative(out, file))
      mkdirSync(dirname(target), {recursive: true})
      renameSync(file, target)
    }
    // bin/run.js's hot path imports one ES module that imports nothing: the loader on its own
    // (with the banner's __tugOclifDir, which hot-cli.cjs reads), not an entry importing the
    // shared loader and runtime chunks (each ES module is resolved, read, compiled and linked).
    writeFileSync(join(compiled, HOT_CLI_ENTRY), `${BANNER}\n${OCLIF_LOADER}`)
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
    ...SHARED_OPTIONS,
    // Module ids relative to the package root, whatever the build's working directory.
    absWorkingDir: root,
    write: false,
    format: 'cjs',
    // oclif loads these only to run TypeScript sources in development.
    external: ['typescript', 'ts-node'],
    outfile,
    plugins: [
      {
        name: 'tug-oclif-lazy',
        setup(build) {
          loadOclifLazily(build)
        },
      },
    ],
  })
  writeCachedBundle(outfile, result.outputFiles[0].text)
}

// oclif's modules with their rarely used requires made lazy (LAZY_REQUIRE, LAZY_HELPER).
function loadOclifLazily(build) {
  build.onLoad({filter: /[\\/]node_modules[\\/]@oclif[\\/]core[\\/]lib[\\/].*\.js$/}, (args) => {
    const text = readFileSync(args.path, 'utf8')
    const lazy = text.replace(LAZY_REQUIRE, (_, kind, name, expression) => `${kind} ${name} = __tugLazy(() => ${expression});`)
    return {contents: lazy === text ? text : `${LAZY_HELPER}${lazy}`, loader: 'js'}
  })
}

// A function a vm.Script compiled with a code cache made by another process cannot import():
// V8 keeps the import callback's id of the process that made the cache, and Node finds no such
// callback (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING). Each import() goes to the loader's own, in
// lib/chunks: oclif imports only absolute file URLs (ESM commands, hooks, plugins), and tug's
// relative ones (the control plane, lazily) were written for files three levels deep, as lib/chunks is.
//
// The file is pure ASCII, which the loader reads as latin1: reading 800 KB as UTF-8 (validating
// and decoding each byte) costs ~17M instructions, as latin1 ~3M. esbuild escapes non-ASCII
// characters in strings but leaves them in regular expression literals (ansis has \x9b in one);
// there, and wherever else, an escape means the same character.
function writeCachedBundle(outfile, bundled) {
  const text = escapeNonAscii(bundled.replace(/(?<![\w$."'`])import\(/g, '__tugImport('))
  const hash = createHash('sha256').update(text).digest('hex')
  mkdirSync(dirname(outfile), {recursive: true})
  writeFileSync(outfile, `// ${hash}\n${text}`)
}

function escapeNonAscii(text) {
  // Each UTF-16 unit on its own: a character beyond the BMP becomes its surrogate pair's escapes.
  return text.replace(/[^\p{ASCII}]/gu, (char) =>
    Array.from({length: char.length}, (_, i) => {
      const code = char.charCodeAt(i)
      return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
    }).join(''),
  )
}

// Packages oclif requires (lazily, LAZY_REQUIRE) only off the hot path: help and its templates,
// plugin discovery and globbing, its engines check, DEBUG output, the WSL probe. Left out of
// hot-cli.cjs, they are required from node_modules if ever needed; in, they were a third of the
// file, parsed and code-cached for every command (with what they pull in: picomatch, fdir, brace-expansion, ms).
const OFF_HOT_PATH = new Set(['cli-spinners', 'debug', 'ejs', 'lilconfig', 'minimatch', 'semver', 'tinyglobby', 'wsl-utils'])

/** Whether `specifier` required from `fromDir` is the file that a require from `file` would load. */
function sameModule(specifier, fromDir, file) {
  try {
    return createRequire(join(fromDir, 'index.js')).resolve(specifier) === createRequire(file).resolve(specifier)
  } catch {
    return false
  }
}

/** What the loader's virtual modules stand for (`tug-oclif:<name>`): tug imports only these of oclif. */
const OCLIF_MODULES = {'@oclif/core': 'core', '@oclif/core/logger': 'logger'}

/**
 * The resolver of both bundles of tug's modules (tsc's output in `compiled`), which differ only in
 * where @oclif/core comes from:
 * - `oclif: 'loader'` (the ES module chunks of commands/ and hooks/): '@oclif/core' is a virtual
 *   module that takes oclif-core.cjs from the loader (OCLIF_LOADER), and bin/run.js imports the
 *   same (OCLIF_ENTRY, the entry `tug-oclif:entry`), so no file of node_modules gets in;
 * - `oclif: 'bundled'` (hot-cli.cjs): oclif's files and the packages they require go in, lazily
 *   required (loadOclifLazily), less those it needs only off the hot path (OFF_HOT_PATH) and the
 *   TypeScript compilers it loads only to run TypeScript sources in development.
 * Both leave out the control plane (src/server: a relative import stays one, as valid from
 * lib/chunks as from its source's directory), Node's built-ins and tug's other packages.
 */
function tugResolver({root, compiled, oclif}) {
  const serverDir = join(compiled, 'server') + sep
  const external = (path) => ({path, external: true})
  return {
    name: `tug-oclif-${oclif}`,
    setup(build) {
      if (oclif === 'bundled') loadOclifLazily(build)
      else build.onLoad({filter: /.*/, namespace: 'tug-oclif'}, ({path}) => ({contents: oclifModule(path), loader: 'js', resolveDir: root}))
      build.onResolve({filter: /.*/}, (args) => {
        if (args.path.startsWith('tug-oclif:')) return {path: args.path.slice('tug-oclif:'.length), namespace: 'tug-oclif'}
        if (args.kind === 'entry-point') return undefined
        const inPackages = args.importer.includes(`${sep}node_modules${sep}`)
        if (args.path.startsWith('.')) return !inPackages && join(args.resolveDir, args.path).startsWith(serverDir) ? external(args.path) : undefined
        if (args.path.startsWith('node:')) return external(args.path)
        if (!inPackages) {
          if (args.path !== '@oclif/core' && !args.path.startsWith('@oclif/core/')) return external(args.path)
          if (oclif === 'bundled') return undefined
          if (Object.hasOwn(OCLIF_MODULES, args.path)) return {path: OCLIF_MODULES[args.path], namespace: 'tug-oclif'}
          return {errors: [{text: `${args.path}: the loader has only ${Object.keys(OCLIF_MODULES).join(' and ')}`}]}
        }
        // Only with oclif bundled does a file of node_modules get in: what oclif requires.
        if (args.path === 'typescript' || args.path === 'ts-node') return external(args.path)
        if (OFF_HOT_PATH.has(args.path) && sameModule(args.path, args.resolveDir, join(compiled, HOT_CLI))) return external(args.path)
        return undefined
      })
    },
  }
}

/** The loader's virtual modules: the loader, bin/run.js's entry, and oclif's two modules tug imports. */
function oclifModule(name) {
  if (name === 'loader') return OCLIF_LOADER
  if (name === 'entry') return "import {loadOclif} from 'tug-oclif:loader'\nexport default loadOclif().core\n"
  return `module.exports = require('tug-oclif:loader').loadOclif().${name}\n`
}

// The hot path as one CommonJS file: src/lib/cli/hot-path.ts and every command (each evaluated when
// run), with oclif (lazy requires, as in oclif-core.cjs) and the tug modules they import; other
// packages, Node's built-ins and the control plane stay outside, as in the chunks. import.meta.url
// becomes the file's own URL, in lib/chunks, three levels below the root as the sources were.
async function bundleHotCli(esbuild, root, compiled, outfile) {
  const commands = jsFiles(join(compiled, 'commands')).map((file) => relative(compiled, file).split(sep).join('/'))
  const contents = [
    'const commands = {',
    ...commands.map((path) => `  ${JSON.stringify(`dist/${path}`)}: () => require(${JSON.stringify(`./${path}`)}),`),
    '}',
    "const hot = require('./lib/cli/hot-path.js')",
    'module.exports = {',
    '  hotPathAllowed: hot.hotPathAllowed,',
    '  runHotPath: (input) => hot.runHotPath({...input, load: async (file) => (Object.hasOwn(commands, file) ? commands[file]() : {})}),',
    '}',
  ].join('\n')
  const result = await esbuild.build({
    stdin: {contents, resolveDir: compiled, sourcefile: 'tug-hot-cli.cjs', loader: 'js'},
    ...SHARED_OPTIONS,
    write: false,
    format: 'cjs',
    define: {...SHARED_OPTIONS.define, 'import.meta.url': '__tugImportMetaUrl'},
    absWorkingDir: compiled,
    metafile: true,
    outfile,
    plugins: [tugResolver({root, compiled, oclif: 'bundled'})],
  })
  // A URL relative to import.meta.url is the bundle's own (in lib/chunks): right only for a source
  // three levels below the root, as the chunks check above requires of theirs.
  for (const input of Object.keys(result.metafile.inputs)) {
    const path = join(compiled, input)
    if (!path.startsWith(compiled + sep) || input.endsWith('tug-hot-cli.cjs')) continue
    const depth = relative(compiled, path).split(sep).length
    if (depth !== 3 && /new URL\([^)]*import\.meta\.url/.test(readFileSync(path, 'utf8'))) {
      throw new Error(`${relative(compiled, path)} has a URL relative to import.meta.url, which ${HOT_CLI} (three levels below the root) would resolve elsewhere`)
    }
  }
  writeCachedBundle(outfile, result.outputFiles[0].text)
}

/**
 * Writes the V8 code caches of dist/lib/chunks/hot-cli.cjs and oclif-core.cjs, each from a run of
 * `tug config:get` through its path against a stand-in API on a local port (command, flags, parser,
 * API client, output, exit), made by the same Node and V8 flags as the commands that will read them.
 */
export async function writeCodeCaches(root) {
  const {createServer} = await import('node:http')
  const {execFile} = await import('node:child_process')
  const {mkdtempSync} = await import('node:fs')
  const {tmpdir} = await import('node:os')
  const server = createServer((_request, response) => response.writeHead(200, {'Content-Type': 'application/json'}).end('{"FOO":"bar"}'))
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const home = mkdtempSync(join(tmpdir(), 'tug-code-cache-'))
  try {
    for (const [cache, hotPath] of [[HOT_CLI_CODE_CACHE, ''], [OCLIF_CODE_CACHE, '1']]) {
      rmSync(join(root, 'dist', cache), {force: true})
      const env = {...process.env, HOME: home, TUG_API_URL: `http://127.0.0.1:${server.address().port}`, TUG_API_KEY: 'code-cache', TUG_WRITE_CODE_CACHE: '1', TUG_NO_HOT_PATH: hotPath, DEBUG: '', TUG_DEBUG: ''}
      await new Promise((resolve, reject) => {
        execFile(process.execPath, [join(root, 'bin', 'run.js'), 'config:get', 'FOO', '-a', 'code-cache'], {cwd: root, env}, (error, stdout, stderr) =>
          error || stdout !== 'bar\n' ? reject(new Error(`the run that makes ${cache} failed: ${error?.message ?? ''}\n${stdout}${stderr}`)) : resolve(),
        )
      })
    }
  } finally {
    server.close()
    rmSync(home, {recursive: true, force: true})
  }
}
