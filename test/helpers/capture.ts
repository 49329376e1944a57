// Runs a tug command in-process with captured stdout/stderr, a scripted stdin, a fixed clock and
// no real sleeping, and reports the exit code the base command chose.
import assert from 'node:assert/strict'
import {Config, Errors} from '@oclif/core'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {PassThrough, Writable} from 'node:stream'
import {fileURLToPath} from 'node:url'
import {after, afterEach, before} from 'mocha'
import nock from 'nock'

import {setIo, type InStream, type OutStream} from '../../src/lib/cli/io.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
let configPromise: Promise<Config> | undefined

export function loadConfig(): Promise<Config> {
  configPromise ??= Config.load(root)
  return configPromise
}

export class Collector extends Writable implements OutStream {
  isTTY?: boolean
  columns?: number
  text = ''

  constructor(tty = false) {
    super()
    if (tty) {
      this.isTTY = true
      this.columns = 100
      this.rows = 40
    }
  }

  rows?: number

  // What a terminal stream offers and ora uses; the capture records no cursor movement.
  cursorTo(): boolean {
    return true
  }

  moveCursor(): boolean {
    return true
  }

  clearLine(): boolean {
    return true
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.text += chunk.toString()
    callback()
  }
}

export interface RunOptions {
  env?: Record<string, string | undefined>
  /** Text piped to stdin (then EOF); omit for a stdin that never sends anything. */
  stdin?: string
  stdinStream?: InStream
  tty?: {stdin?: boolean; stdout?: boolean; stderr?: boolean}
  /** The clock: milliseconds since the epoch, advanced by every `sleep`. */
  now?: number
  cwd?: string
  stdout?: OutStream
}

export interface RunResult {
  stdout: string
  stderr: string
  code: number
  result: unknown
  error?: unknown
  /** The total time the command asked to sleep, in ms. */
  slept: number
}

interface Runnable {
  run(argv: string[], config: Config): Promise<unknown>
}

export const API = 'http://api.test'

let home: string | undefined

export function testHome(): string {
  home ??= mkdtempSync(join(tmpdir(), 'tug-cmd-test-'))
  return home
}

export function removeTestHome(): void {
  if (home) rmSync(home, {recursive: true, force: true})
  home = undefined
}

export async function runCommand(command: Runnable, argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const config = await loadConfig()
  const stdout = options.stdout ?? new Collector(options.tty?.stdout)
  const stderr = new Collector(options.tty?.stderr)
  let stdin: InStream
  if (options.stdinStream) {
    stdin = options.stdinStream
  } else {
    const pass = new PassThrough() as PassThrough & InStream
    if (options.tty?.stdin) pass.isTTY = true
    if (options.stdin !== undefined) pass.end(options.stdin)
    stdin = pass
  }
  const base: Record<string, string | undefined> = {HOME: testHome(), TUG_API_URL: API, TUG_API_KEY: 'test-key'}
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries({...base, ...options.env})) if (value !== undefined) env[key] = value
  let now = options.now ?? Date.parse('2026-11-27T11:20:29Z')
  let slept = 0
  setIo({
    stdin,
    stdout,
    stderr,
    env,
    cwd: () => options.cwd ?? testHome(),
    now: () => now,
    sleep: async (ms) => {
      slept += ms
      now += ms
    },
  })
  let code = 0
  let result: unknown
  let error: unknown
  try {
    result = await command.run(argv, config)
  } catch (thrown) {
    error = thrown
    code = thrown instanceof Errors.ExitError ? (thrown.oclif.exit ?? 1) : -1
  } finally {
    setIo(undefined)
  }
  const out = stdout instanceof Collector ? stdout.text : ''
  return {stdout: out, stderr: stderr.text, code, result, error, slept}
}

/**
 * The nock lifecycle every command suite shares: no real network, every interceptor a test set up
 * must have been used by its end, and the test HOME removed after the suite.
 */
export function useNock(): void {
  before(() => nock.disableNetConnect())
  afterEach(() => {
    const pending = nock.pendingMocks()
    nock.cleanAll()
    assert.deepEqual(pending, [], 'every expected request was made')
  })
  after(() => {
    nock.enableNetConnect()
    removeTestHome()
  })
}
