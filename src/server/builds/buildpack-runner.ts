// Runs buildpacks over a build directory, per Heroku's classic buildpack API (issue 15):
// `bin/detect BUILD_DIR` (exit 0: it applies; its stdout's first line names it),
// `bin/compile BUILD_DIR CACHE_DIR ENV_DIR` (its output streamed as it comes), and
// `bin/release BUILD_DIR` (YAML whose `default_process_types` name commands for types the Procfile
// lacks). The processes themselves run through the runtime (`Runtime.openBuild`): nothing of a
// buildpack is spawned here, so a backend decides where and in what sandbox they run.
//
// Two modes, as on Heroku. The built-ins (no buildpack set): the first that detects runs alone.
// A set list (the app's installations or the build's `buildpacks`): every one runs, in order, each
// must detect, and the LAST one's `default_process_types` are used (Heroku: "the last buildpack in
// the list will be used to determine the process types"); a buildpack sees the `export` file each
// earlier one left in its directory, sourced (Heroku's multi-buildpack rule). So that a buildpack
// may write that file, each runs from a copy private to the build: the original (the resolver's)
// is never written.
import {cpSync, lstatSync, mkdirSync, realpathSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import type {BuildSession, BuildSpec, OutputStream} from '../runtime/index.js'
import type {ResolvedBuildpack} from './buildpack-contract.js'
import {redactBuildpackUrl} from './buildpack-url.js'
import {parseReleaseYaml, type ReleaseInfo} from './release-yaml.js'

/** Heroku's build time limit: 15 minutes. */
export const DEFAULT_BUILD_TIMEOUT_MS = 15 * 60 * 1000

/** A reason the buildpacks failed, shown in the build output as it is. */
export class BuildpackError extends Error {}

export interface BuildpackRunOptions {
  /** The runtime's `openBuild`. */
  openBuild: (spec: BuildSpec) => Promise<BuildSession>
  appId: string
  buildId: string
  buildDir: string
  /** The app's cache (CACHE_DIR), kept across builds; made when missing. */
  cacheDir: string
  /** Scratch space for ENV_DIR and the buildpacks' copies; removed when the run ends. */
  workDir: string
  /** The app's config vars: ENV_DIR's files. */
  config: Record<string, string>
  /** The platform's variables for every step (STACK, SOURCE_VERSION). */
  env: Record<string, string>
  buildpacks: readonly ResolvedBuildpack[]
  /** `all`: a set list, every one must apply and runs; `first`: the built-ins, the first that applies runs. */
  mode: 'all' | 'first'
  timeoutMs: number
  say: (line: string) => void
  /** Aborted: what runs is killed and the run fails (the control plane is stopping). */
  signal?: AbortSignal
}

export interface BuildpackRunResult {
  /** The buildpacks that ran, in order (none: no built-in applied). */
  used: ResolvedBuildpack[]
  /** The last buildpack's `default_process_types`. */
  defaultProcessTypes: Record<string, string>
}

export async function runBuildpacks(options: BuildpackRunOptions): Promise<BuildpackRunResult> {
  rmSync(options.workDir, {recursive: true, force: true})
  mkdirSync(options.workDir, {recursive: true, mode: 0o700})
  try {
    const envDir = writeEnvDir(join(options.workDir, 'env'), options.config)
    const buildpackDirs = options.buildpacks.map((buildpack, index) => {
      const copy = join(options.workDir, 'buildpacks', String(index))
      // From its real path: a link named as the buildpack would be copied as that link, and the
      // build's uid given (and bound read-write) whatever it points at.
      cpSync(realpathSync(buildpack.dir), copy, {recursive: true, verbatimSymlinks: true})
      if (!lstatSync(copy).isDirectory()) throw new Error(`the buildpack ${redactBuildpackUrl(buildpack.url)} is not a directory`)
      return copy
    })
    const session = await options.openBuild({
      appId: options.appId,
      buildId: options.buildId,
      buildDir: options.buildDir,
      cacheDir: options.cacheDir,
      envDir,
      buildpackDirs,
      env: options.env,
    })
    let ended: string | undefined
    const end = (why: string): void => {
      ended ??= why
      void session.kill()
    }
    const timer = setTimeout(() => end(`Build timed out after ${formatDuration(options.timeoutMs)}.`), options.timeoutMs)
    const onAbort = (): void => end('The control plane stopped during the build.')
    options.signal?.addEventListener('abort', onAbort, {once: true})
    if (options.signal?.aborted) onAbort()
    try {
      const result = await steps(session, options, () => ended)
      if (ended !== undefined) throw new BuildpackError(ended)
      return result
    } catch (error) {
      // A step cut short by the kill fails in its own words; the kill's reason is the one to give.
      if (ended !== undefined) throw new BuildpackError(ended)
      throw error
    } finally {
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      await session.close()
    }
  } finally {
    rmSync(options.workDir, {recursive: true, force: true})
  }
}

async function steps(session: BuildSession, options: BuildpackRunOptions, ended: () => string | undefined): Promise<BuildpackRunResult> {
  const {say, buildpacks} = options
  const chosen: Array<{index: number; buildpack: ResolvedBuildpack; name: string}> = []
  for (const [index, buildpack] of buildpacks.entries()) {
    const detected = await detect(session, index)
    if (ended() !== undefined) return {used: [], defaultProcessTypes: {}}
    if (detected.applies) {
      chosen.push({index, buildpack, name: detected.name ?? buildpack.name})
      if (options.mode === 'first') break
    } else if (options.mode === 'all') {
      throw new BuildpackError(`App not compatible with buildpack: ${redactBuildpackUrl(buildpack.url)} (its bin/detect ${exitText(detected.exit)}).`)
    }
  }
  let defaultProcessTypes: Record<string, string> = {}
  for (const {index, buildpack, name} of chosen) {
    say(`-----> ${name} app detected`)
    const exit = await session.run(index, 'compile', (_stream, line) => say(line))
    if (ended() !== undefined) return {used: [], defaultProcessTypes: {}}
    if (exit.code !== 0) throw new BuildpackError(`Failed to compile ${name} app: bin/compile of ${redactBuildpackUrl(buildpack.url)} ${exitText(exit)}.`)
    const released = await release(session, index, buildpack, say)
    if (ended() !== undefined) return {used: [], defaultProcessTypes: {}}
    // Heroku: only the last buildpack's process types count.
    defaultProcessTypes = released
  }
  return {used: chosen.map((c) => c.buildpack), defaultProcessTypes}
}

async function detect(session: BuildSession, index: number): Promise<{applies: boolean; name?: string; exit: {code: number | null; signal: string | null}}> {
  let name: string | undefined
  const exit = await session.run(index, 'detect', (stream, line) => {
    if (stream === 'stdout' && name === undefined) name = line.trim()
  })
  return {applies: exit.code === 0, ...(name ? {name} : {}), exit}
}

async function release(session: BuildSession, index: number, buildpack: ResolvedBuildpack, say: (line: string) => void): Promise<Record<string, string>> {
  const stdout: string[] = []
  const exit = await session.run(index, 'release', (stream: OutputStream, line) => {
    if (stream === 'stdout') stdout.push(line)
    else say(line)
  })
  if (exit.code !== 0) throw new BuildpackError(`bin/release of ${redactBuildpackUrl(buildpack.url)} ${exitText(exit)}.`)
  let parsed: ReleaseInfo
  try {
    parsed = parseReleaseYaml(stdout.join('\n'))
  } catch (error) {
    throw new BuildpackError(`bin/release of ${redactBuildpackUrl(buildpack.url)} printed YAML tug cannot read: ${(error as Error).message}.`)
  }
  // Heroku applied these once, on an app's first build, and calls them deprecated; tug leaves config to the user.
  const ignored = [...parsed.configVars, ...parsed.addons.map((addon) => `add-on ${addon}`)]
  if (ignored.length > 0) say(`       bin/release also asks for ${ignored.join(', ')}: tug ignores these (use tug config:set and add-ons).`)
  return parsed.defaultProcessTypes
}

function exitText(exit: {code: number | null; signal: string | null}): string {
  if (exit.code !== null) return `exited with status ${exit.code}`
  return `was killed by ${exit.signal ?? 'a signal'}`
}

/** `15 minutes`, `1 minute`, `90 seconds`. */
export function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} ${ms === 60_000 ? 'minute' : 'minutes'}`
  const seconds = Math.round(ms / 100) / 10
  return `${seconds} ${seconds === 1 ? 'second' : 'seconds'}`
}

/** ENV_DIR: one file per config var, named by it, holding its value (no newline added). */
export function writeEnvDir(dir: string, config: Record<string, string>): string {
  mkdirSync(dir, {mode: 0o700})
  for (const [name, value] of Object.entries(config)) {
    // A name that is not one file name cannot be a file of ENV_DIR (and must not escape it).
    if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) continue
    writeFileSync(join(dir, name), value, {mode: 0o600})
  }
  return dir
}
