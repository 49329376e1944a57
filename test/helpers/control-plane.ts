// A REAL control plane for end-to-end tests: `node bin/run.js server --port 0 --data-dir <tmp>`
// as a child process in its own process group, and `run()` to drive the real `tug` binary at it.
// Nothing may outlive a test: `close()` and `kill()` signal the whole group, and every started
// group is also killed when the test process exits, whatever the hooks did.
import assert from 'node:assert/strict'
import {execFileSync, spawn, type ChildProcess, type ChildProcessByStdio, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Readable} from 'node:stream'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const BIN = join(ROOT, 'bin', 'run.js')

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface RunOptions {
  /** Added to (and overriding) the environment; a value of `undefined` removes a variable. */
  env?: Record<string, string | undefined>
  cwd?: string
  /** Written to stdin, a pipe (default ''); null: stdin is /dev/null, as with `</dev/null`. */
  input?: string | null
  timeoutMs?: number
}

export interface ControlPlane {
  url: string
  token: string
  dataDir: string
  /** A temp HOME for the CLIs this control plane's `run` starts. */
  home: string
  pid: number
  /** The server's stdout and stderr so far. */
  output(): string
  /** Resolves when the server process has exited, with how. */
  exited: Promise<{code: number | null; signal: NodeJS.Signals | null}>
  run(args: string[], options?: RunOptions): Promise<RunResult>
  /** Signals the server's process group and waits until the server has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Stops the server (SIGTERM, then SIGKILL) and removes the temp dirs it created. */
  close(): Promise<void>
}

/**
 * One Platform API request to a control plane with its admin token; the parsed JSON answer. A
 * status other than 2xx fails the test with the method, path and body.
 */
export async function apiCall<T>(plane: Pick<ControlPlane, 'url' | 'token'>, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(plane.url + path, {
    method,
    headers: {Accept: 'application/vnd.heroku+json; version=3', Authorization: `Bearer ${plane.token}`, 'Content-Type': 'application/json'},
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  assert.ok(response.ok, `${method} ${path} answered ${response.status}: ${text}`)
  return JSON.parse(text) as T
}

const live = new Set<ChildProcess>()
const dataDirs = new Set<string>()

/**
 * Dynos run in process groups of their own (so that the dyno manager can stop each one), which a
 * kill of the server's group does not reach. Whatever still runs with its cwd inside a test's data
 * directory is a dyno of that test's control plane: Linux shows it in /proc/<pid>/cwd. A sandboxed
 * dyno's cwd is /app of its own mount namespace, so its processes are found by the control plane's
 * tag in their environment (TUG_PLANE, from the data directory's plane-id); the overlays such a
 * dyno leaves mounted under the data directory are unmounted.
 */
export function killStragglers(dataDir: string): number[] {
  const killed: number[] = []
  let entries: string[]
  let root: string
  try {
    root = realpathSync(dataDir)
    entries = readdirSync('/proc')
  } catch {
    return killed
  }
  let plane: string | undefined
  try {
    plane = readFileSync(join(root, 'plane-id'), 'utf8').split('\n')[0]
  } catch {
    plane = undefined
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`)
      const ours = cwd === root || cwd.startsWith(root + '/') || (plane !== undefined && readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`TUG_PLANE=${plane}`))
      if (ours) {
        process.kill(Number(entry), 'SIGKILL')
        killed.push(Number(entry))
      }
    } catch {
      // gone, or not ours to read
    }
  }
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const point = line.split(' ')[1]
    if (point === undefined || !point.startsWith(root + '/')) continue
    try {
      execFileSync('umount', ['-l', point], {stdio: 'ignore'})
    } catch {
      // gone meanwhile
    }
  }
  return killed
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    try {
      child.kill(signal)
    } catch {
      // already gone
    }
  }
}

process.on('exit', () => {
  for (const child of live) killGroup(child, 'SIGKILL')
  for (const dir of dataDirs) killStragglers(dir)
})

let built = false

/** The real binary runs from dist/: build it once per test process if the sources are newer. */
export function ensureBuilt(): void {
  if (built) return
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.js'), '--if-needed'], {cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit']})
  built = true
}

/** The environment of a CLI under test: no TUG_* or HEROKU_* from the developer's shell. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('TUG_') || key.startsWith('HEROKU_') || key === 'XDG_CONFIG_HOME' || key === 'DEBUG') continue
    env[key] = value
  }
  env.NO_COLOR = '1'
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key]
    else env[key] = value
  }
  return env
}

/** Runs the real `tug` binary and collects its output. */
export function runTug(args: string[], options: RunOptions & {env?: Record<string, string | undefined>} = {}): Promise<RunResult> {
  ensureBuilt()
  const what = `tug ${args.join(' ')}`
  const spawnOptions = {cwd: options.cwd ?? ROOT, env: cleanEnv(options.env)}
  // spawn's 'ignore' opens /dev/null for the child's fd.
  if (options.input === null) return collectOutput(spawn(process.execPath, [BIN, ...args], {...spawnOptions, stdio: ['ignore', 'pipe', 'pipe']}), what, options.timeoutMs ?? 30_000)
  const child = spawn(process.execPath, [BIN, ...args], {...spawnOptions, stdio: ['pipe', 'pipe', 'pipe']})
  child.stdin.end(options.input ?? '')
  return collectOutput(child, what, options.timeoutMs ?? 30_000)
}

/**
 * A child's stdout and stderr until it closes; past `timeoutMs` it is killed and the promise
 * rejects with what it had printed.
 */
export function collectOutput(child: ChildProcessWithoutNullStreams | ChildProcessByStdio<null, Readable, Readable>, what: string, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${what} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, timeoutMs)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stdout, stderr})
    })
  })
}

export interface StartOptions {
  /** Reuse a data directory (a restart); otherwise a fresh temp one is made. */
  dataDir?: string
  home?: string
  env?: Record<string, string | undefined>
  startTimeoutMs?: number
  /** Listen on this port (a restart on the same URL); default 0, any free port. */
  port?: number
  /** More `tug server` arguments (`--no-sandbox`). */
  args?: string[]
}

export async function startControlPlane(options: StartOptions = {}): Promise<ControlPlane> {
  ensureBuilt()
  const made: string[] = []
  const temp = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'tug-e2e-'))
    made.push(dir)
    return dir
  }
  const dataDir = options.dataDir ?? join(temp(), 'data')
  const home = options.home ?? join(temp(), 'home')
  mkdirSync(home, {recursive: true})
  mkdirSync(dataDir, {recursive: true})
  dataDirs.add(dataDir)

  const child = spawn(process.execPath, [BIN, 'server', '--port', String(options.port ?? 0), '--data-dir', dataDir, ...(options.args ?? [])], {
    cwd: ROOT,
    env: cleanEnv({HOME: home, ...options.env}),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  live.add(child)
  let output = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => {
    child.on('exit', (code, signal) => {
      live.delete(child)
      resolve({code, signal})
    })
  })

  const cleanup = (): void => {
    for (const dir of made) rmSync(dir, {recursive: true, force: true})
  }

  let url: string
  try {
    url = await new Promise<string>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`tug server did not start within ${options.startTimeoutMs ?? 20_000} ms:\n${output}`)), options.startTimeoutMs ?? 20_000)
      const check = (): void => {
        const match = /tug server listening on (http:\/\/\S+)/.exec(output)
        if (match) {
          clearTimeout(deadline)
          resolve(match[1] as string)
        }
      }
      child.stdout?.on('data', check)
      child.on('exit', (code, signal) => {
        clearTimeout(deadline)
        reject(new Error(`tug server exited before listening (${signal ?? code}):\n${output}`))
      })
    })
  } catch (error) {
    killGroup(child, 'SIGKILL')
    await exited
    cleanup()
    throw error
  }
  const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()

  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    killGroup(child, signal)
    await exited
  }
  // A server stopped by kill() leaves its data for a restart; close() still removes it.

  return {
    url,
    token,
    dataDir,
    home,
    pid: child.pid as number,
    output: () => output,
    exited,
    run: (args, runOptions = {}) =>
      runTug(args, {...runOptions, env: {HOME: home, TUG_API_URL: url, TUG_API_KEY: token, ...runOptions.env}}),
    kill,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        killGroup(child, 'SIGTERM')
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000)
        await exited
        clearTimeout(timer)
      }
      killStragglers(dataDir)
      cleanup()
    },
  }
}

/** Kills whatever server a test's autostart left on `tugHome` (per its server.json). */
export function killServerOf(tugHome: string): void {
  const file = join(tugHome, 'server.json')
  if (!existsSync(file)) return
  try {
    const {pid} = JSON.parse(readFileSync(file, 'utf8')) as {pid: number}
    process.kill(pid, 'SIGKILL')
  } catch {
    // not running, or not ours to find
  }
}
