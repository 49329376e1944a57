#!/usr/bin/env node
// A bare `tug --version` is answered here, in oclif's own format, without loading oclif: it is
// what scripts and shells call most often just to see that tug is there.
const args = process.argv.slice(2)
if (args.length === 1 && args[0] === '--version') {
  const {readFileSync} = await import('node:fs')
  const {version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`tug/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // fetch (log streams; API requests through a proxy) parses HTTP with llhttp compiled to
  // WebAssembly. V8 compiles it at once with Liftoff and then again with TurboFan on a background
  // thread, and a process that is done waits for that second compile before it exits: ~120 ms of
  // a short command, on a core the control plane could use. Liftoff's code is ample for a CLI's HTTP; the long-lived
  // control plane keeps V8's default.
  if (args[0] !== 'server') (await import('node:v8')).setFlagsFromString('--liftoff-only')
  // oclif checks its own engines range with semver (~20 ms, 48 files) on import; tug's package.json
  // already requires a newer Node than oclif does. The variable is set for that import only, so
  // that the control plane and dynos started from here do not inherit it.
  const engineWarning = process.env.OCLIF_DISABLE_ENGINE_WARNING
  process.env.OCLIF_DISABLE_ENGINE_WARNING = '1'
  // @oclif/core as bundled with the commands by scripts/bundle-cli.js (one instance for both).
  const {execute} = (await import('../dist/lib/chunks/oclif-core.js')).default
  if (engineWarning === undefined) delete process.env.OCLIF_DISABLE_ENGINE_WARNING
  else process.env.OCLIF_DISABLE_ENGINE_WARNING = engineWarning
  // The package root and its package.json, read here at once, spare oclif looking for the root
  // and reading the file again (each an asynchronous read on a short command's critical path).
  const {existsSync, readFileSync} = await import('node:fs')
  const {fileURLToPath} = await import('node:url')
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  // A command of tug's own, with no help asked for, needs neither core plugin (help,
  // autocomplete): not loading their package and manifest files saves ~45M instructions (~5 %).
  // Anything else (`tug help`, `tug autocomplete`, --help, a typo, an alias) loads them as usual.
  if (ownCommand(args, existsSync)) pjson.oclif = {...pjson.oclif, plugins: []}
  // Without DEBUG, oclif's logger writes nothing, but making it loads the debug package (~10 ms):
  // a logger that does nothing is what oclif would have had. With DEBUG, oclif's own.
  const logger = process.env.DEBUG ? undefined : quietLogger('oclif')
  await execute({loadOptions: {root: fileURLToPath(new URL('..', import.meta.url)), pjson, ...(logger ? {logger} : {})}})
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
