// Ctrl-C while a command waits on the server stops the waiting, not the work: a release phase, a
// build, dynos coming up go on there. A step that waits says what goes on (`whileOnServer`), and
// the base command's signal handler (`exitOnSignals`) prints it in one line and ends the command:
// 130 for SIGINT, 143 for SIGTERM, as a shell reports a process killed by them.

/** What goes on on the server now, innermost last; one entry per step that waits. */
const onServer: Array<{what: string}> = []

/** Hooks that close what a step has open on the terminal (a spinner, a `Title... ` line). */
const closers: Array<() => void> = []

/**
 * Runs `work` while `what` goes on on the server, a whole clause naming it and how to follow it:
 * `the release phase of v6 goes on on the server; follow it with …`.
 */
export async function whileOnServer<R>(what: string, work: () => Promise<R>): Promise<R> {
  const entry = {what}
  onServer.push(entry)
  try {
    return await work()
  } finally {
    onServer.splice(onServer.indexOf(entry), 1)
  }
}

/** Until the returned function is called, `close` runs before the interrupted line is printed. */
export function onInterruptClose(close: () => void): () => void {
  closers.push(close)
  return () => {
    const at = closers.indexOf(close)
    if (at >= 0) closers.splice(at, 1)
  }
}

/** The line a signal prints now: `Interrupted: <what goes on>.`, or nothing when nothing does. */
export function interruptedLine(): string | undefined {
  const what = onServer.at(-1)?.what
  return what === undefined ? undefined : `Interrupted: ${what}.`
}

export const SIGNAL_EXIT_CODES = {SIGINT: 130, SIGTERM: 143} as const

type Signal = keyof typeof SIGNAL_EXIT_CODES

export interface SignalSource {
  on(signal: Signal, listener: () => void): unknown
  removeListener(signal: Signal, listener: () => void): unknown
}

/**
 * Makes SIGINT and SIGTERM end the command at once, with the interrupted line when something goes
 * on on the server. Returns the function that removes the handlers.
 */
export function exitOnSignals(options: {signals?: SignalSource; stderr: {write(text: string): unknown}; exit(code: number): void}): () => void {
  const signals = options.signals ?? process
  const handlers = (Object.keys(SIGNAL_EXIT_CODES) as Signal[]).map((signal) => {
    const handler = (): void => {
      // A close that throws must not keep the command from ending.
      for (const close of closers.splice(0).reverse()) {
        try {
          close()
        } catch {
          // the terminal is going away; the line and the exit matter more
        }
      }
      const line = interruptedLine()
      if (line) options.stderr.write(line + '\n')
      options.exit(SIGNAL_EXIT_CODES[signal])
    }
    signals.on(signal, handler)
    return [signal, handler] as const
  })
  return () => {
    for (const [signal, handler] of handlers) signals.removeListener(signal, handler)
  }
}
