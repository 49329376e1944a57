// `tug local`'s output, as Foreman prints it: `HH:MM:SS web.1  | line`, the names padded to the
// longest, the prefix in one colour per process when colour is on. Lines are gathered and written
// in batches (one write per ~64 KiB, or per turn of the event loop), and when the output falls
// behind (a slow terminal, a pipe nobody reads yet) the writer says so through `onHold`, so that
// the caller stops reading the processes' pipes instead of holding their output in memory: the
// processes then block on their own writes, as they would on a terminal.

export interface Sink {
  write(chunk: string, callback?: (error?: Error | null) => void): boolean
  readonly writableLength?: number
  once(event: 'drain', listener: () => void): unknown
  once(event: 'error', listener: (error: Error) => void): unknown
}

export interface PrefixWriterOptions {
  /** Every name that will be written, `system` included: the prefixes are padded to the longest. */
  names: readonly string[]
  color: boolean
  /** Default: the local time now. */
  now?: () => number
  /** Bytes gathered before a write (default 64 KiB). */
  batchBytes?: number
  /** Bytes the sink may hold unwritten before `onHold(true)` (default 1 MiB). */
  maxBufferedBytes?: number
}

// Foreman's order: cyan, yellow, green, magenta, red, blue, then their bright kin.
const COLORS = [36, 33, 32, 35, 31, 34, 96, 93, 92, 95, 91, 94]
const RESET = '\u001B[0m'

export class PrefixWriter {
  private readonly width: number
  private readonly colors = new Map<string, number>()
  private readonly prefixes = new Map<string, string>()
  private second = -1
  private pending = ''
  private scheduled: NodeJS.Immediate | undefined
  private held = false
  private readonly holdListeners: Array<(held: boolean) => void> = []
  private closed: Error | undefined
  private readonly closeListeners: Array<(error: Error) => void> = []
  private readonly now: () => number
  private readonly batchBytes: number
  private readonly maxBufferedBytes: number

  constructor(
    private readonly sink: Sink,
    private readonly options: PrefixWriterOptions,
  ) {
    this.width = Math.max(0, ...options.names.map((name) => name.length))
    let next = 0
    for (const name of options.names) if (name !== 'system') this.colors.set(name, COLORS[next++ % COLORS.length] as number)
    this.now = options.now ?? Date.now
    this.batchBytes = options.batchBytes ?? 64 * 1024
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024
    // EPIPE: nobody reads the output any more (`tug local | head`); what comes after goes nowhere.
    sink.once('error', (error) => {
      this.closed = error
      this.pending = ''
      for (const listener of this.closeListeners) listener(error)
    })
  }

  /** Called once if the sink fails (its reader is gone): the caller should stop what writes to it. */
  onClose(listener: (error: Error) => void): void {
    this.closeListeners.push(listener)
  }

  /** Called with true when the sink has fallen behind, and with false once it has caught up. */
  onHold(listener: (held: boolean) => void): void {
    this.holdListeners.push(listener)
  }

  line(name: string, text: string): void {
    if (this.closed) return
    this.pending += this.prefix(name) + text + '\n'
    if (this.pending.length >= this.batchBytes) this.flush()
    else this.scheduled ??= setImmediate(() => this.flush())
  }

  /** Writes what is gathered now. */
  flush(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled)
    this.scheduled = undefined
    if (this.pending === '') return
    const chunk = this.pending
    this.pending = ''
    const ok = this.sink.write(chunk)
    if (!ok && !this.held && (this.sink.writableLength ?? 0) >= this.maxBufferedBytes) {
      this.setHeld(true)
      this.sink.once('drain', () => this.setHeld(false))
    }
  }

  /** Everything written so far has left for the sink's destination (its buffer is empty). */
  async drained(): Promise<void> {
    this.flush()
    if (this.closed || (this.sink.writableLength ?? 0) === 0) return
    // A write's callback comes once it, and so everything before it, has been handed on.
    await new Promise<void>((resolve) => void this.sink.write('', () => resolve()))
  }

  private setHeld(held: boolean): void {
    this.held = held
    for (const listener of this.holdListeners) listener(held)
  }

  private prefix(name: string): string {
    const now = this.now()
    const second = Math.floor(now / 1000)
    if (second !== this.second) {
      this.second = second
      this.prefixes.clear()
    }
    let prefix = this.prefixes.get(name)
    if (prefix === undefined) {
      const plain = `${clock(new Date(now))} ${name.padEnd(this.width)} |`
      const color = this.options.color ? this.colors.get(name) : undefined
      prefix = `${color === undefined ? plain : `\u001B[${color}m${plain}${RESET}`} `
      this.prefixes.set(name, prefix)
    }
    return prefix
  }
}

function clock(date: Date): string {
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((part) => String(part).padStart(2, '0')).join(':')
}
