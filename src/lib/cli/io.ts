// The process edges a command touches (streams, environment, cwd, clock), behind one seam so that
// command tests run in-process with captured streams, a fixed clock and no real sleeping.

export interface InStream extends NodeJS.ReadableStream {
  isTTY?: boolean
  setRawMode?(mode: boolean): unknown
}

export interface OutStream extends NodeJS.WritableStream {
  isTTY?: boolean
  columns?: number
  rows?: number
}

export interface CliIo {
  stdin: InStream
  stdout: OutStream
  stderr: OutStream
  env: NodeJS.ProcessEnv
  cwd(): string
  now(): number
  sleep(ms: number): Promise<void>
}

function defaultIo(): CliIo {
  return {
    // process.stdin makes the stream on first read (a tty.ReadStream, an fs.ReadStream, a socket:
    // modules and a handle a command that reads no input does not need), so only when asked.
    get stdin() {
      return process.stdin
    },
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: () => process.cwd(),
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  }
}

let current: CliIo | undefined

export function io(): CliIo {
  return current ?? defaultIo()
}

/** For tests: replace the process edges; `undefined` restores the real ones. */
export function setIo(replacement: CliIo | undefined): void {
  current = replacement
}

/** Colour only on a terminal, never with NO_COLOR (any non-empty value) or TERM=dumb. */
export function colorEnabled(stream: OutStream, env: NodeJS.ProcessEnv = io().env): boolean {
  if (!stream.isTTY) return false
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  return env.TERM !== 'dumb'
}

export function isCI(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false'
}
