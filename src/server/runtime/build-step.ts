// A build's buildpack steps as local processes (issue 15): each `bin/detect`, `bin/compile` and
// `bin/release` is one process group, inside the build's cgroup and, with the sandbox on, inside a
// bubblewrap sandbox made like a dyno's (sandbox.ts isolationArgs and dropPrivilegesArgs).
//
// Sandboxed, a step sees the build directory read-write at /app (so that the absolute paths a
// buildpack writes, a virtual environment's shebangs, are where the slug later runs), the app's
// cache at /cache, ENV_DIR read-only at /env and each buildpack at /buildpacks/<n>, runs as the
// app's unprivileged uid (what it needs to write is chowned to it first, and the slug's files stay
// that uid's: a dyno may change its own copy-up of one) and sees nothing of the data directory.
// Unsandboxed, it runs as the control plane's user with the host's paths as arguments.
//
// Nothing of a step outlives it: when its main process exits, what it left (its group, its
// cgroup, anything carrying its tag in its environment, even after setsid) is killed, as a build
// container ends on Heroku. A kill (the time limit) ends the running step the same way.
import {spawn as nodeSpawn, type ChildProcess, type SpawnOptions} from 'node:child_process'
import {lchownSync, lstatSync, mkdirSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

import {LineSplitter} from '../../shared/line-splitter.js'
import {DYNO_SIZES, type DynoLimits} from '../domain/catalog.js'
import type {BuildScript, BuildSession, BuildSpec, BuildStepExit, OutputListener, OutputStream} from './backend.js'
import type {Cgroups, DynoCgroup} from './cgroups.js'
import {DYNO_ID_ENV, PLANE_ENV} from './plane-tag.js'
import {signalGroup} from './process-groups.js'
import {DEFAULT_PROC_ROOT, liveProcesses, readEnviron} from './process-tree.js'
import {appUid, dropPrivilegesArgs, isolationArgs} from './sandbox.js'

/** After a step's main process exited, how long its pipes may take to close (what held them was killed). */
const DRAIN_TIMEOUT_MS = 1000
/** A line longer than this is cut into pieces (a bound on what one unfinished line may hold). */
const MAX_LINE_LENGTH = 64 * 1024

/**
 * Generous: the largest size's memory and processes, but one compute unit's CPU share, so that a
 * build does not starve the dynos that serve meanwhile.
 */
export const BUILD_LIMITS: DynoLimits = (() => {
  const largest = DYNO_SIZES.reduce((a, b) => (b.limits.memoryMaxBytes > a.limits.memoryMaxBytes ? b : a))
  return {...largest.limits, cpuShares: 1024}
})()

/** Sources the export files named first (`$1` of them), then execs the buildpack's script. */
const STEP_SCRIPT = 'n=$1; shift; while [ "$n" -gt 0 ]; do if [ -f "$1" ]; then . "$1"; fi; shift; n=$((n - 1)); done; exec "$@"'

export type BuildSpawn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess

export interface LocalBuildOptions {
  shell: string
  /** PATH, LANG...: what the control plane passes on to the processes it runs. */
  baseEnv: Record<string, string>
  /** The data directory's identity (plane-tag.ts): a build left running by a crash is found by it. */
  plane?: string
  cgroups?: Cgroups
  /** Present: every step runs in a bubblewrap sandbox as the app's uid. */
  /** Absolute paths (Sandbox.buildTools): these run as root, with the build's environment. */
  sandbox?: {bwrap: string; setpriv: string; execPath?: string}
  procRoot?: string
  spawn?: BuildSpawn
}

/** Where a step sees the build's directories. */
interface Layout {
  build: string
  cache: string
  env: string
  buildpacks: string[]
}

/** Makes the build's cgroup (and, sandboxed, gives the app's uid what it writes), then its session. */
export async function openLocalBuild(spec: BuildSpec, options: LocalBuildOptions): Promise<BuildSession> {
  mkdirSync(spec.cacheDir, {recursive: true, mode: 0o700})
  const uid = options.sandbox ? appUid(spec.appId) : undefined
  if (uid !== undefined) {
    for (const dir of [spec.buildDir, spec.envDir, ...spec.buildpackDirs]) chownTree(dir, uid)
    // The cache is the uid's already after its first sandboxed build: not walked again each time.
    if (lstatSync(spec.cacheDir).uid !== uid) chownTree(spec.cacheDir, uid)
  }
  const cgroup = options.cgroups?.create(`build-${spec.buildId}`, BUILD_LIMITS)
  return new LocalBuildSession(spec, options, uid, cgroup)
}

class LocalBuildSession implements BuildSession {
  private readonly tag: string
  private readonly layout: Layout
  private readonly spawn: BuildSpawn
  private readonly procRoot: string
  private current: {child: ChildProcess; done: Promise<BuildStepExit>} | undefined
  private killed = false

  constructor(
    private readonly spec: BuildSpec,
    private readonly options: LocalBuildOptions,
    private readonly uid: number | undefined,
    private readonly cgroup: DynoCgroup | undefined,
  ) {
    this.tag = `build-${spec.buildId}`
    this.spawn = options.spawn ?? nodeSpawn
    this.procRoot = options.procRoot ?? DEFAULT_PROC_ROOT
    this.layout = options.sandbox
      ? {build: '/app', cache: '/cache', env: '/env', buildpacks: spec.buildpackDirs.map((_, i) => `/buildpacks/${i}`)}
      : {build: spec.buildDir, cache: spec.cacheDir, env: spec.envDir, buildpacks: [...spec.buildpackDirs]}
  }

  async run(index: number, script: BuildScript, onLine: OutputListener): Promise<BuildStepExit> {
    if (this.killed) return {code: null, signal: 'SIGKILL'}
    if (this.current) throw new Error('a build runs one step at a time')
    const {layout} = this
    const buildpack = layout.buildpacks[index]
    if (buildpack === undefined) throw new RangeError(`no buildpack ${index} in this build`)
    const args = script === 'compile' ? [layout.build, layout.cache, layout.env] : [layout.build]
    const exports = layout.buildpacks.slice(0, index).map((dir) => `${dir}/export`)
    const step = [this.options.shell, '-c', STEP_SCRIPT, 'tug-build', String(exports.length), ...exports, `${buildpack}/bin/${script}`, ...args]
    let command = this.sandboxed(step)
    if (this.cgroup) command = this.cgroup.wrap(command)
    const env: Record<string, string> = {...this.options.baseEnv, ...this.spec.env, HOME: layout.build, [DYNO_ID_ENV]: this.tag}
    if (this.options.plane !== undefined) env[PLANE_ENV] = this.options.plane
    if (this.options.sandbox) delete env.TMPDIR
    const child = this.spawn(command.file, command.args, {cwd: this.spec.buildDir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe']})
    const done = this.follow(child, onLine)
    this.current = {child, done}
    try {
      return await done
    } finally {
      this.current = undefined
    }
  }

  async kill(): Promise<void> {
    this.killed = true
    const current = this.current
    if (!current) return
    this.killAll(current.child.pid)
    await current.done
  }

  async close(): Promise<void> {
    if (this.cgroup) await this.options.cgroups?.remove(this.cgroup).catch(() => {})
  }

  /** The step's command line: as it is, or inside the sandbox as the app's uid. */
  private sandboxed(step: string[]): {file: string; args: string[]} {
    const sandbox = this.options.sandbox
    if (!sandbox || this.uid === undefined) return {file: step[0] as string, args: step.slice(1)}
    const binds = [
      '--bind', this.spec.buildDir, '/app',
      '--bind', this.spec.cacheDir, '/cache',
      '--ro-bind', this.spec.envDir, '/env',
      // bwrap makes a mount point's missing parents 0700: the app's uid could not reach below.
      '--perms', '0755', '--dir', '/buildpacks',
      ...this.spec.buildpackDirs.flatMap((dir, i) => ['--bind', dir, `/buildpacks/${i}`]),
    ]
    return {
      file: sandbox.bwrap,
      args: [...isolationArgs(sandbox.execPath), ...binds, '--chdir', '/app', '--', ...dropPrivilegesArgs(sandbox.setpriv, this.uid), ...step],
    }
  }

  /** The step's lines as they come, then its exit once nothing of it is left and its pipes are read. */
  private follow(child: ChildProcess, onLine: OutputListener): Promise<BuildStepExit> {
    const drained = (['stdout', 'stderr'] as const).map((stream) => this.readLines(stream, child, onLine))
    return new Promise((resolve) => {
      child.once('error', (error) => {
        // Never spawned (no bwrap, no shell): there is no exit to wait for.
        if (child.pid !== undefined) return
        onLine('stderr', `could not start the build step: ${error.message}`)
        resolve({code: 127, signal: null})
      })
      child.once('exit', (code, signal) => {
        this.killAll(child.pid)
        let timer: NodeJS.Timeout | undefined
        const timeout = new Promise<void>((settle) => {
          timer = setTimeout(settle, DRAIN_TIMEOUT_MS)
        })
        void Promise.race([Promise.all(drained), timeout]).then(() => {
          clearTimeout(timer)
          child.stdout?.destroy()
          child.stderr?.destroy()
          resolve({code, signal})
        })
      })
    })
  }

  private readLines(stream: OutputStream, child: ChildProcess, onLine: OutputListener): Promise<void> {
    const source = stream === 'stdout' ? child.stdout : child.stderr
    if (!source) return Promise.resolve()
    const splitter = new LineSplitter((line) => onLine(stream, line), MAX_LINE_LENGTH)
    source.on('data', (chunk: Buffer) => splitter.push(chunk))
    return new Promise((resolve) => {
      source.once('close', () => {
        splitter.end()
        resolve()
      })
    })
  }

  /**
   * SIGKILL to the step's group (sandboxed, its namespace's init is in it, and every process of
   * the namespace dies with that), to what its cgroup still holds, and to any process carrying the
   * build's tag (one that called setsid, unsandboxed and without a cgroup).
   */
  private killAll(pid: number | undefined): void {
    if (pid !== undefined) signalGroup(pid, 'SIGKILL')
    const pids = new Set(this.cgroup?.pids() ?? [])
    for (const stat of liveProcesses(this.procRoot) ?? []) {
      if (stat.pid !== process.pid && readEnviron(stat.pid, this.procRoot)?.get(DYNO_ID_ENV) === this.tag) pids.add(stat.pid)
    }
    for (const found of pids) {
      try {
        process.kill(found, 'SIGKILL')
      } catch {
        // gone meanwhile
      }
    }
  }
}

/** Gives `dir` and everything under it (symbolic links themselves, not their targets) to `uid`. */
export function chownTree(dir: string, uid: number): void {
  const stat = lstatSync(dir, {throwIfNoEntry: false})
  if (!stat) return
  lchownSync(dir, uid, uid)
  // A link named as the tree (a buildpack directory that is one): never what it points at.
  if (!stat.isDirectory()) return
  let entries
  try {
    entries = readdirSync(dir, {withFileTypes: true})
  } catch {
    return
  }
  for (const entry of entries) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) chownTree(path, uid)
    else lchownSync(path, uid, uid)
  }
}
