#!/usr/bin/env node
// A bare `tug --version` is answered here, in oclif's own format, without loading oclif: it is
// what scripts and shells call most often just to see that tug is there.
const args = process.argv.slice(2)
if (args.length === 1 && args[0] === '--version') {
  const {readFileSync} = process.getBuiltinModule('node:fs')
  const {version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`tug/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // fetch (log streams; API requests through a proxy) parses HTTP with llhttp compiled to
  // WebAssembly. V8 compiles it at once with Liftoff and then again with TurboFan on a background
  // thread, and a process that is done waits for that second compile before it exits: ~120 ms of
  // a short command, on a core the control plane could use. Liftoff's code is ample for a CLI's HTTP; the long-lived
  // control plane keeps V8's default.
  // The flag is set at the first call of fetch, before undici compiles anything: loading node:v8
  // to set it costs ~16M instructions (~4 ms), and most commands never call fetch (their API
  // requests go through node:http).
  if (args[0] !== 'server') {
    const fetch = globalThis.fetch
    let liftoff = false
    globalThis.fetch = async function (...fetchArgs) {
      if (!liftoff) {
        liftoff = true
        ;(await import('node:v8')).setFlagsFromString('--liftoff-only')
      }
      return fetch.apply(this, fetchArgs)
    }
  }
  // The package root and its package.json, read here at once, spare oclif looking for the root
  // and reading the file again (each an asynchronous read on a short command's critical path).
  // Built-ins from process.getBuiltinModule, not import(): importing node:fs makes an ES module
  // facade that reads every export, and its ReadStream getter loads fs's streams (~1.5 ms).
  const {existsSync, readFileSync} = process.getBuiltinModule('node:fs')
  const {fileURLToPath} = process.getBuiltinModule('node:url')
  const root = fileURLToPath(new URL('..', import.meta.url))
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  // A command of tug's own runs through the hot path (src/lib/cli/hot-path.ts, issue 19), with the
  // command index the build derives from the manifest; anything else through oclif, as bundled by
  // scripts/bundle-cli.js.
  const hot = await withoutEngineCheck(() => hotPath(args, root, pjson, readFileSync))
  if (!hot || !(await hot.run())) {
    // Anything else (`tug help`, --help, a typo, an alias, DEBUG) takes oclif's usual path.
    // A command of tug's own, with no help asked for, needs neither core plugin (help,
    // autocomplete): not loading their package and manifest files saves ~45M instructions (~5 %).
    if (ownCommand(args, existsSync)) pjson.oclif = {...pjson.oclif, plugins: []}
    // Without DEBUG, oclif's logger writes nothing, but making it loads the debug package (~10 ms):
    // a logger that does nothing is what oclif would have had. With DEBUG, oclif's own.
    const logger = process.env.DEBUG ? undefined : quietLogger('oclif')
    const {execute: run} = (await withoutEngineCheck(() => import('../dist/lib/chunks/oclif-core.js'))).default
    await run({loadOptions: {root, pjson, ...(logger ? {logger} : {})}})
  }
}

/** The hot path's runner when argv can take it, or undefined. */
async function hotPath(argv, root, pjson, readFileSync) {
  let index
  try {
    index = JSON.parse(readFileSync(new URL('../dist/lib/cli/command-index.json', import.meta.url), 'utf8'))
  } catch {
    return undefined // not built by scripts/build.js: oclif finds the commands itself
  }
  const input = {root, pjson, argv, env: process.env, index}
  // TUG_NO_HOT_PATH=1 runs every command through oclif's usual path (to compare the two, or to
  // rule the hot path out when something looks wrong).
  if (!Object.hasOwn(index, argv[0] ?? '') || process.env.TUG_NO_HOT_PATH === '1') return undefined
  // oclif, tug's modules and the commands as one CommonJS file with its V8 code cache (scripts/bundle-cli.js).
  const {loadHotCli} = await import('../dist/lib/chunks/hot-cli.js')
  const cli = loadHotCli()
  return cli.hotPathAllowed(input) ? {run: () => cli.runHotPath(input)} : undefined
}

// oclif checks its own engines range with semver (~20 ms, 48 files) on import; tug's package.json
// already requires a newer Node than oclif does. The variable is set for that import only, so
// that the control plane and dynos started from here do not inherit it.
async function withoutEngineCheck(load) {
  const engineWarning = process.env.OCLIF_DISABLE_ENGINE_WARNING
  process.env.OCLIF_DISABLE_ENGINE_WARNING = '1'
  try {
    return await load()
  } finally {
    if (engineWarning === undefined) delete process.env.OCLIF_DISABLE_ENGINE_WARNING
    else process.env.OCLIF_DISABLE_ENGINE_WARNING = engineWarning
  }
}

function ownCommand(argv, existsSync) {
  const id = argv[0]
  if (!id || !/^[a-z][\w-]*(:[\w-]+)*$/.test(id) || argv.includes('--help') || argv.includes('-h')) return false
  const file = (path) => new URL(`../dist/commands/${path}.js`, import.meta.url)
  const path = id.split(':').join('/')
  return existsSync(file(path)) || existsSync(file(`${path}/index`))
}

function quietLogger(namespace) {
  const nothing = () => {}
  const child = (name, delimiter = ':') => quietLogger(`${namespace}${delimiter}${name}`)
  return {namespace, child, debug: nothing, error: nothing, info: nothing, trace: nothing, warn: nothing}
}
