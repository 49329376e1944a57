// The client's terminal during an attached session: raw mode (restored on every way out, the
// process's own exit included), Ctrl-C handling, and the terminal's size.
import type {InStream, OutStream} from '../cli/io.js'

/** A second Ctrl-C within this long detaches. */
export const DETACH_WINDOW_MS = 1000

/** Counts interrupts: the first is forwarded, a second within the window detaches. */
export class InterruptTracker {
  private last = -Infinity

  constructor(
    private readonly now: () => number = Date.now,
    private readonly windowMs: number = DETACH_WINDOW_MS,
  ) {}

  hit(): 'forward' | 'detach' {
    const at = this.now()
    const detach = at - this.last <= this.windowMs
    this.last = detach ? -Infinity : at
    return detach ? 'detach' : 'forward'
  }
}

/** Puts a TTY stdin in raw mode; the returned function restores it (at most once). */
export function enterRawMode(stdin: InStream): () => void {
  if (!stdin.isTTY || !stdin.setRawMode) return () => {}
  stdin.setRawMode(true)
  let restored = false
  const restore = (): void => {
    if (restored) return
    restored = true
    process.off('exit', restore)
    try {
      stdin.setRawMode?.(false)
    } catch {
      // the terminal is gone
    }
  }
  // However the process ends (an uncaught error, process.exit), the user's terminal comes back.
  process.once('exit', restore)
  return restore
}

export function terminalSize(stdout: OutStream): {cols: number; rows: number} | undefined {
  return stdout.isTTY && stdout.columns && stdout.rows ? {cols: stdout.columns, rows: stdout.rows} : undefined
}

/** Resolves once everything written to the stream so far has been handed to the system. */
export function flushed(stream: OutStream): Promise<void> {
  const writable = stream as OutStream & {writableNeedDrain?: boolean}
  if (!writable.writableNeedDrain) return Promise.resolve()
  return new Promise((resolve) => stream.once('drain', () => resolve()))
}
