// The hot path of a command of tug's own (issue 19): bin/run.js hands a command id found in the
// build's command index here, and the command runs as oclif's `execute` would run it, but without
// oclif's Config.load. That load reads the whole 140 KB manifest, builds every command, topic and
// plugin, reads the theme, probes for WSL, and runs twice per command (Command.run reloads the
// Config it is given): it was a third of the instructions of a `tug ps` above `node -e 0`.
//
// What a TugCommand reads from `this.config` (and what oclif's Command, parser and error handler
// read of it on this path) is built here from the package.json bin/run.js has read already.
// Everything else (help, topics, aliases, plugins, hooks, --version, DEBUG) never gets here:
// hotPathAllowed says no and bin/run.js takes oclif's usual path.
import {Command, type Config, flush, handle, type Interfaces} from '@oclif/core'
import {setLogger} from '@oclif/core/logger'
import {fstatSync, statSync} from 'node:fs'
import type * as Os from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {TugCommand} from './base-command.js'

// node:os only when HOME is not set or the shell is asked for: nothing else on the hot path loads it.
const os = (): typeof Os => process.getBuiltinModule('node:os') as typeof Os

/** Hooks oclif runs around every command: a package declaring one of them takes oclif's path. */
const COMMAND_HOOKS = ['init', 'prerun', 'preparse', 'postrun', 'finally']

export interface HotPathInput {
  /** The package root, as oclif's loadOptions would take it. */
  root: string
  pjson: Interfaces.PJSON
  argv: string[]
  env: NodeJS.ProcessEnv
  /** Command id → its module's path relative to the root (dist/lib/cli/command-index.json). */
  index: Record<string, string>
  /** Loads a command's module by that path (default: import() of the file; the hot CLI bundle has its own). */
  load?: (path: string) => Promise<{default?: unknown}>
}

/**
 * Whether argv can take the hot path: a command id of tug's own, no help asked for before `--`,
 * no oclif debugging, and no hook the package would expect oclif to run around the command.
 */
export function hotPathAllowed({argv, env, index, pjson}: HotPathInput): boolean {
  const id = argv[0]
  if (id === undefined || !Object.hasOwn(index, id)) return false
  const helpFlags = new Set(['--help', ...(pjson.oclif.additionalHelpFlags ?? [])])
  for (const arg of argv) {
    if (arg === '--') break
    if (helpFlags.has(arg)) return false
  }
  if (env.DEBUG || scopedEnvVar(pjson, env, 'DEBUG')) return false
  if (pjson.oclif.topicSeparator !== undefined && pjson.oclif.topicSeparator !== ':') return false
  return !COMMAND_HOOKS.some((event) => pjson.oclif.hooks?.[event] !== undefined)
}

/**
 * Runs argv's command through the hot path, setting the process's exit code as oclif's execute
 * does. False, with nothing run, when the command is not a TugCommand: the caller takes oclif's path.
 */
export async function runHotPath(input: HotPathInput): Promise<boolean> {
  const [id, ...argv] = input.argv as [string, ...string[]]
  // Without DEBUG (hotPathAllowed), oclif's logger writes nothing: a logger that does nothing is
  // what oclif would have had, without loading the debug package (~10 ms).
  setLogger({logger: quietLogger('oclif'), root: input.root})
  try {
    const path = input.index[id]!
    const module = await (input.load ? input.load(path) : (import(pathToFileURL(join(input.root, path)).href) as Promise<{default?: unknown}>))
    const CommandClass = module.default as typeof Command | undefined
    // TugCommand.catch turns every error into an exit, so no error reaches oclif's handler needing
    // the full Config (it shows help from it after a parse error); another kind of command could.
    if (CommandClass === undefined || !(CommandClass.prototype instanceof TugCommand)) return false
    // What oclif's plugin sets on a command class it loads.
    CommandClass.id = id
    const command = new (CommandClass as unknown as new (argv: string[], config: Config) => Command)(argv, hotConfig(input))
    const restoreArgs = skipStdinRead(CommandClass)
    try {
      // Command.run would do this after loading a Config again; `_run` is the rest of it.
      await (command as unknown as {_run(): Promise<unknown>})._run()
    } finally {
      restoreArgs()
    }
    await flush()
  } catch (error) {
    await handle(error as Error)
  }
  return true
}

/**
 * oclif's parser reads stdin for an argument missing from argv when stdin is not a terminal (so
 * `echo web | tug ps` lists the web dynos): node:readline and node:os loaded, an interface over
 * process.stdin, up to a 10 ms timeout. From /dev/null (CI runners, `</dev/null`) that read gives
 * nothing ('' at EOF, null on the timeout), and on nothing the parser goes on as if it had not read.
 * So, when stdin is /dev/null, the command's arguments are given oclif's own `ignoreStdin` for this
 * run (the parser's first check before reading): same arguments, without the read. The function
 * returned puts the class's arguments back. (What is left out too: oclif's read replaced
 * globalThis.oclif with a copy holding `stdinCache: ''`, which nothing reads as anything but empty.)
 * Only a class's own `args` are given it: a command inheriting its arguments from a parent class
 * keeps oclif's read (slower, same answer).
 */
function skipStdinRead(CommandClass: typeof Command): () => void {
  // The parser takes the arguments of the class a command parses with, its own `args` (a spread).
  const args = Object.hasOwn(CommandClass, 'args') ? CommandClass.args : undefined
  if (args === undefined || Object.values(args).every((arg) => arg.ignoreStdin) || !stdinIsDevNull()) return () => {}
  CommandClass.args = Object.fromEntries(Object.entries(args).map(([name, arg]) => [name, {...arg, ignoreStdin: true}]))
  return () => {
    CommandClass.args = args
  }
}

/** Whether fd 0 is /dev/null: a character device with /dev/null's device number (a terminal has another). */
function stdinIsDevNull(): boolean {
  try {
    const stdin = fstatSync(0)
    return stdin.isCharacterDevice() && stdin.rdev === statSync('/dev/null').rdev
  } catch {
    return false // no fd 0, or no /dev/null: oclif reads as it would
  }
}

/**
 * The Config fields and methods that oclif's Command (constructor, init, parse, jsonEnabled,
 * removeEnvVar), its parser and TugCommand use, with the values Config.load computes for them.
 * `platform` is Node's: oclif would say `wsl` on WSL, which only its user agent shows, and tug
 * builds its own (`tug/<version>`).
 */
export function hotConfig({root, pjson, env}: Pick<HotPathInput, 'root' | 'pjson' | 'env'>): Config {
  const bin = pjson.oclif.bin ?? pjson.name
  const dirname = pjson.oclif.dirname ?? pjson.name
  const version = pjson.version ?? '0.0.0'
  const platform = process.platform
  const arch = process.arch === 'ia32' ? 'x86' : process.arch
  const home = env.HOME || os().homedir() || os().tmpdir()
  const dir = (category: 'cache' | 'config' | 'data') =>
    join(env[`XDG_${category.toUpperCase()}_HOME`] || join(home, category === 'data' ? '.local/share' : `.${category}`), dirname)
  const scoped = (key: string) => scopedEnvVar(pjson, env, key)
  const config = {
    root,
    pjson,
    name: pjson.name,
    version,
    channel: 'stable',
    valid: true,
    bin,
    binAliases: pjson.oclif.binAliases,
    dirname,
    topicSeparator: ':',
    flexibleTaxonomy: false,
    isSingleCommandCLI: false,
    arch,
    platform,
    windows: false,
    // Asked of the system only when read (nothing on the hot path does).
    get shell() {
      return (env.SHELL ?? os().userInfo().shell?.split('/').pop() ?? 'unknown').split('/').at(-1) ?? 'unknown'
    },
    home,
    cacheDir: scoped('CACHE_DIR') || (platform === 'darwin' ? join(home, 'Library', 'Caches', dirname) : dir('cache')),
    configDir: scoped('CONFIG_DIR') || dir('config'),
    dataDir: scoped('DATA_DIR') || dir('data'),
    userAgent: `${pjson.name}/${version} ${platform}-${arch} node-${process.version}`,
    theme: undefined,
    scopedEnvVar: scoped,
    scopedEnvVarKey: (key: string) => scopedEnvVarKeys(pjson, key)[0],
    scopedEnvVarKeys: (key: string) => scopedEnvVarKeys(pjson, key),
    scopedEnvVarTrue: (key: string) => ['1', 'true'].includes(scoped(key) ?? ''),
    // hotPathAllowed let no command hook through; oclif's runHook answers this with no hook.
    runHook: async () => ({failures: [], successes: []}),
  }
  return config as unknown as Config
}

function scopedEnvVarKeys(pjson: Interfaces.PJSON, key: string): string[] {
  return [pjson.oclif.bin ?? pjson.name, ...(pjson.oclif.binAliases ?? [])]
    .filter(Boolean)
    .map((alias) => [alias.replaceAll('@', '').replaceAll(/[/-]/g, '_'), key].join('_').toUpperCase())
}

function scopedEnvVar(pjson: Interfaces.PJSON, env: NodeJS.ProcessEnv, key: string): string | undefined {
  const found = scopedEnvVarKeys(pjson, key).find((k) => env[k])
  return found === undefined ? undefined : env[found]
}

function quietLogger(namespace: string): Interfaces.Logger {
  const nothing = () => {}
  return {
    namespace,
    child: (name: string, delimiter = ':') => quietLogger(`${namespace}${delimiter}${name}`),
    debug: nothing,
    error: nothing,
    info: nothing,
    trace: nothing,
    warn: nothing,
  }
}
