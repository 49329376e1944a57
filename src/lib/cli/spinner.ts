// The one place tug makes an ora spinner. ora sizes what it clears by `stream.columns ?? 80`:
// a terminal that reports 0 columns (`script` without a real terminal, some CI and
// `docker exec -t` ptys) made it clear an infinite number of lines, one synchronous loop that
// wrote escape codes for ever and starved the event loop, so not even SIGINT or SIGTERM got
// through. ora therefore sees the terminal through a view whose width is never 0.
import type * as Readline from 'node:readline'

import type {Ora, Options} from 'ora'

import {colorEnabled, type OutStream} from './io.js'

// node:readline only for a stream without its own cursor methods, when a spinner draws on it:
// every command loads this module (through the base command) and most never draw a spinner.
const readline = (): typeof Readline => process.getBuiltinModule('node:readline') as typeof Readline

/** The width assumed when a terminal reports none (what ora itself assumes for `undefined`). */
export const FALLBACK_COLUMNS = 80

/** A usable terminal width: the stream's own when it is a positive number, else the fallback. */
export function usableColumns(stream: Pick<OutStream, 'columns'>): number {
  const columns = stream.columns
  return typeof columns === 'number' && Number.isFinite(columns) && columns >= 1 ? Math.floor(columns) : FALLBACK_COLUMNS
}

/**
 * What ora uses of a terminal stream, forwarded to `stream`, with `columns` always usable. A
 * separate object rather than a patch of the real stream: a resize can set the real one back to 0.
 */
export function spinnerStream(stream: OutStream): NodeJS.WritableStream & {isTTY: boolean} {
  const tty = stream as OutStream & Partial<Pick<NodeJS.WriteStream, 'cursorTo' | 'moveCursor' | 'clearLine'>>
  const view = {
    get isTTY(): boolean {
      return stream.isTTY === true
    },
    get columns(): number {
      return usableColumns(stream)
    },
    get rows(): number | undefined {
      return stream.rows
    },
    // Looked up at each call: ora replaces process.stderr.write while it spins, and this must reach it.
    write: (...args: Parameters<NodeJS.WritableStream['write']>): boolean => (stream.write as (...a: unknown[]) => boolean)(...args),
    cursorTo: (x: number, y?: number): boolean => (tty.cursorTo ? tty.cursorTo(x, y) : readline().cursorTo(stream, x, y)),
    moveCursor: (dx: number, dy: number): boolean => (tty.moveCursor ? tty.moveCursor(dx, dy) : readline().moveCursor(stream, dx, dy)),
    clearLine: (dir: -1 | 0 | 1): boolean => (tty.clearLine ? tty.clearLine(dir) : readline().clearLine(stream, dir)),
    once(event: string, listener: (...args: unknown[]) => void) {
      stream.once(event, listener)
      return view
    },
    removeListener(event: string, listener: (...args: unknown[]) => void) {
      stream.removeListener(event, listener)
      return view
    },
  }
  // ora needs only the members above; the cast is the bridge to its declared stream type.
  return view as unknown as NodeJS.WritableStream & {isTTY: boolean}
}

/** ora's options for `text` on `stream`: no colour where colour is off (NO_COLOR, TERM=dumb). */
export function spinnerOptions(stream: OutStream, text: string, env: NodeJS.ProcessEnv): Options {
  return {
    text,
    stream: spinnerStream(stream),
    discardStdin: false,
    isEnabled: true,
    color: colorEnabled(stream, env) ? 'cyan' : false,
  }
}

/** A started spinner on `stream` (a terminal: the caller decides whether one may animate). */
export async function startSpinner(stream: OutStream, text: string, env: NodeJS.ProcessEnv): Promise<Ora> {
  const {default: ora} = await import('ora')
  return ora(spinnerOptions(stream, text, env)).start()
}
