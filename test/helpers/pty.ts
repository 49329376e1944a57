// A program on a real pseudo-terminal (node-pty), for the e2e tests that need a terminal: usually
// the real `tug` binary. What the terminal shows is collected as it comes, and every terminal still
// open is killed when the test process exits.
import {createRequire} from 'node:module'

import {BIN, cleanEnv, ensureBuilt, ROOT} from './control-plane.js'

/** The part of node-pty's IPty the tests use (node-pty is an optional dependency: no import of its types). */
interface NodePty {
  pid: number
  onData(listener: (data: string) => void): void
  onExit(listener: (event: {exitCode: number; signal?: number}) => void): void
  write(data: string): void
  resize(cols: number, rows: number): void
  kill(signal?: string): void
}

const nodePty = createRequire(import.meta.url)('node-pty') as {
  spawn(file: string, args: string[], options: {cols: number; rows: number; cwd: string; env: NodeJS.ProcessEnv; name: string}): NodePty
}

export interface Pty {
  pid: number
  /** Everything the terminal has shown so far. */
  output(): string
  /** Resolves when the program has exited, with its status (and the signal that ended it, if one did). */
  exited: Promise<{exitCode: number; signal?: number}>
  /** Types on the terminal (`\r` is Enter, `\x03` Ctrl-C). */
  write(data: string): void
  resize(cols: number, rows: number): void
  /** Sends a signal to the program (SIGHUP when none is named); nothing happens once it is gone. */
  kill(signal?: string): void
}

export interface PtyOptions {
  cols: number
  rows: number
  /** The whole environment of the program. */
  env: NodeJS.ProcessEnv
}

const open = new Set<NodePty>()
process.on('exit', () => {
  for (const term of open) term.kill('SIGKILL')
})

/** Starts `file` with `args` on a terminal of `cols` by `rows` (TERM=xterm), in the project's root. */
export function spawnPty(file: string, args: string[], options: PtyOptions): Pty {
  const term = nodePty.spawn(file, args, {cols: options.cols, rows: options.rows, cwd: ROOT, env: options.env, name: 'xterm'})
  open.add(term)
  let output = ''
  term.onData((data) => {
    output += data
  })
  const exited = new Promise<{exitCode: number; signal?: number}>((resolve) =>
    term.onExit((event) => {
      open.delete(term)
      resolve(event)
    }),
  )
  return {
    pid: term.pid,
    output: () => output,
    exited,
    write: (data) => term.write(data),
    resize: (cols, rows) => term.resize(cols, rows),
    // node-pty's kill swallows the error of a process already gone.
    kill: (signal) => term.kill(signal),
  }
}

/** The real `tug` binary with `args` on a terminal, its environment `cleanEnv(env)`. */
export function tugOnPty(args: string[], options: {cols: number; rows: number; env: Record<string, string | undefined>}): Pty {
  ensureBuilt()
  return spawnPty(process.execPath, [BIN, ...args], {cols: options.cols, rows: options.rows, env: cleanEnv(options.env)})
}
