// An attached one-off dyno's copy of its output for the app's log. The attached client gets every
// byte at the speed of the pipe; the log takes the same bytes as lines behind it, at most ~1 ms of
// splitting per turn of the event loop, so that `tug run -- 'yes | head -c 50000000'` is not slowed
// to the log's pace (its 25 million lines cost the log router ~20 s; the client needs ~1 s). Chunks
// wait in a bounded queue; when the log falls further behind, whole chunks are left out, counted by
// their lines, and one `Error L10 (output buffer overflow)` line says how many, as a slow log
// reader is told. Once the output has ended, what is queued goes to the log at once.

/** Bytes in, lines out (local-backend's LineSplitter): `end()` emits a last line without a newline. */
export interface Splitter {
  push(chunk: Buffer): void
  end(): void
}

export interface LogTapOptions {
  /** Bytes that may wait for the log before chunks are left out (default 1 MiB). */
  maxQueuedBytes?: number
  /** Milliseconds of splitting per turn of the event loop while the output runs (default 1). */
  sliceMs?: number
  /** Bytes split between two looks at the clock (default 4 KiB). */
  pieceBytes?: number
  now?: () => Date
}

const NEWLINE = 0x0a

function countLines(chunk: Buffer): number {
  let count = 0
  for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, at + 1)) count++
  return count
}

/** Where chunks were left out: how many lines they held, and when the first was. */
interface Gap {
  lines: number
  since: Date
  /** The last chunk left out stopped inside a line, whose rest the next chunk starts with. */
  cutsLine: boolean
}

export class LogTap {
  private splitter: Splitter
  private readonly queue: Array<Buffer | Gap> = []
  private queued = 0
  /** After a gap, the rest of the line the gap cut into is left out too. */
  private skipToNewline = false
  private scheduled = false
  private ended = false
  private readonly done: Promise<void>
  private finish!: () => void
  private readonly maxQueuedBytes: number
  private readonly sliceMs: number
  private readonly pieceBytes: number
  private readonly now: () => Date

  /** `newSplitter` makes a splitter that emits lines to the log; `emit` takes the L10 notices. */
  constructor(
    private readonly newSplitter: () => Splitter,
    private readonly emit: (line: string) => void,
    options: LogTapOptions = {},
  ) {
    this.maxQueuedBytes = options.maxQueuedBytes ?? 1024 * 1024
    this.sliceMs = options.sliceMs ?? 1
    this.pieceBytes = options.pieceBytes ?? 4096
    this.now = options.now ?? (() => new Date())
    this.splitter = this.newSplitter()
    this.done = new Promise((resolve) => (this.finish = resolve))
  }

  push(chunk: Buffer): void {
    if (this.ended || chunk.length === 0) return
    if (this.queued + chunk.length > this.maxQueuedBytes) {
      const last = this.queue.at(-1)
      const cutsLine = chunk[chunk.length - 1] !== NEWLINE
      if (last !== undefined && !Buffer.isBuffer(last)) {
        last.lines += countLines(chunk)
        last.cutsLine = cutsLine
      } else {
        this.queue.push({lines: countLines(chunk), since: this.now(), cutsLine})
      }
    } else {
      this.queue.push(chunk)
      this.queued += chunk.length
    }
    this.schedule()
  }

  /** The output has ended: resolves once every queued line has gone to the log. */
  end(): Promise<void> {
    if (!this.ended) {
      this.ended = true
      this.schedule()
    }
    return this.done
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => this.run())
  }

  private run(): void {
    this.scheduled = false
    // While the output runs, a slice of time; after its end, everything that is left.
    const until = this.ended ? Number.POSITIVE_INFINITY : performance.now() + this.sliceMs
    while (this.queue.length > 0) {
      const entry = this.queue[0] as Buffer | Gap
      if (!Buffer.isBuffer(entry)) {
        this.queue.shift()
        this.gap(entry)
        continue
      }
      const piece = entry.length <= this.pieceBytes ? entry : entry.subarray(0, this.pieceBytes)
      if (piece === entry) this.queue.shift()
      else this.queue[0] = entry.subarray(this.pieceBytes)
      this.queued -= piece.length
      this.take(piece)
      if (performance.now() >= until) break
    }
    if (this.queue.length > 0) return this.schedule()
    if (this.ended) {
      this.splitter.end()
      this.finish()
    }
  }

  private take(chunk: Buffer): void {
    if (this.skipToNewline) {
      const newline = chunk.indexOf(NEWLINE)
      if (newline === -1) return
      this.skipToNewline = false
      chunk = chunk.subarray(newline + 1)
    }
    this.splitter.push(chunk)
  }

  /**
   * Chunks were left out here: the line they cut into is ended as it stands, the notice takes
   * their place, and when the last chunk left out stopped inside a line, the rest of that line
   * (at the start of the next chunk) is skipped.
   */
  private gap(gap: Gap): void {
    if (!this.skipToNewline) {
      this.splitter.end()
      this.splitter = this.newSplitter()
    }
    this.skipToNewline = gap.cutsLine
    this.emit(`Error L10 (output buffer overflow): ${Math.max(1, gap.lines)} messages dropped since ${gap.since.toISOString()}`)
  }
}
