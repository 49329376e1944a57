// An attached one-off dyno's copy of its output for the app's log. The attached client gets every
// byte at the speed of the pipe; the log takes the same bytes as lines behind it, at most ~1 ms of
// splitting per turn of the event loop, so that `tug run -- 'yes | head -c 50000000'` is not slowed
// to the log's pace (its 25 million lines cost the log router ~20 s; the client needs ~1 s). Chunks
// wait in a bounded queue; when the log falls further behind, whole chunks are left out, counted by
// their lines, and one `Error L10 (output buffer overflow)` line says how many, as a slow log
// reader is told. Once the output has ended, what is queued goes to the log at once. stdout and
// stderr share the one queue, so that the log has their lines in the order the pipes gave them.
import {formatTimestamp, overflowNotice} from '../../shared/log-line.js'

/** Bytes in, lines out (src/shared/line-splitter.ts): `end()` emits a last line without a newline. */
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

type Entry<S> = {stream: S; chunk: Buffer} | {stream: S; gap: Gap} | {stream: S; ended: () => void}

/** One output stream's state: its splitter, and whether the rest of a cut line is being skipped. */
interface Lane {
  splitter: Splitter
  skipToNewline: boolean
}

export class LogTap<S extends string = string> {
  private readonly lanes = new Map<S, Lane>()
  private readonly queue: Array<Entry<S>> = []
  private queued = 0
  private scheduled = false
  /** Set once a stream has ended: the queue then goes to the log without a time limit. */
  private ending = false
  private readonly maxQueuedBytes: number
  private readonly sliceMs: number
  private readonly pieceBytes: number
  private readonly now: () => Date

  /** `newSplitter` makes a stream's splitter (it emits that stream's lines); `emit` takes the L10 notices. */
  constructor(
    private readonly newSplitter: (stream: S) => Splitter,
    private readonly emit: (stream: S, line: string) => void,
    options: LogTapOptions = {},
  ) {
    this.maxQueuedBytes = options.maxQueuedBytes ?? 1024 * 1024
    this.sliceMs = options.sliceMs ?? 1
    this.pieceBytes = options.pieceBytes ?? 4096
    this.now = options.now ?? (() => new Date())
  }

  push(stream: S, chunk: Buffer): void {
    if (chunk.length === 0) return
    if (this.queued + chunk.length > this.maxQueuedBytes) {
      const last = this.queue.at(-1)
      const cutsLine = chunk[chunk.length - 1] !== NEWLINE
      if (last !== undefined && last.stream === stream && 'gap' in last) {
        last.gap.lines += countLines(chunk)
        last.gap.cutsLine = cutsLine
      } else {
        this.queue.push({stream, gap: {lines: countLines(chunk), since: this.now(), cutsLine}})
      }
    } else {
      this.queue.push({stream, chunk})
      this.queued += chunk.length
    }
    this.schedule()
  }

  /** The stream has ended: resolves once its queued lines (and its last partial line) are in the log. */
  end(stream: S): Promise<void> {
    this.ending = true
    return new Promise((resolve) => {
      this.queue.push({stream, ended: resolve})
      this.schedule()
    })
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => this.run())
  }

  private run(): void {
    this.scheduled = false
    // While the output runs, a slice of time; once it ends, everything that is left.
    const until = this.ending ? Number.POSITIVE_INFINITY : performance.now() + this.sliceMs
    while (this.queue.length > 0) {
      const entry = this.queue[0] as Entry<S>
      if ('gap' in entry) {
        this.queue.shift()
        this.gap(entry.stream, entry.gap)
        continue
      }
      if ('ended' in entry) {
        this.queue.shift()
        this.lane(entry.stream).splitter.end()
        entry.ended()
        continue
      }
      const {chunk} = entry
      const piece = chunk.length <= this.pieceBytes ? chunk : chunk.subarray(0, this.pieceBytes)
      if (piece === chunk) this.queue.shift()
      else this.queue[0] = {stream: entry.stream, chunk: chunk.subarray(this.pieceBytes)}
      this.queued -= piece.length
      this.take(entry.stream, piece)
      if (performance.now() >= until) break
    }
    if (this.queue.length > 0) this.schedule()
  }

  private lane(stream: S): Lane {
    let lane = this.lanes.get(stream)
    if (!lane) {
      lane = {splitter: this.newSplitter(stream), skipToNewline: false}
      this.lanes.set(stream, lane)
    }
    return lane
  }

  private take(stream: S, chunk: Buffer): void {
    const lane = this.lane(stream)
    if (lane.skipToNewline) {
      const newline = chunk.indexOf(NEWLINE)
      if (newline === -1) return
      lane.skipToNewline = false
      chunk = chunk.subarray(newline + 1)
    }
    lane.splitter.push(chunk)
  }

  /**
   * Chunks were left out here: the line they cut into is ended as it stands, the notice takes
   * their place, and when the last chunk left out stopped inside a line, the rest of that line
   * (at the start of the stream's next chunk) is skipped.
   */
  private gap(stream: S, gap: Gap): void {
    const lane = this.lane(stream)
    if (!lane.skipToNewline) {
      lane.splitter.end()
      lane.splitter = this.newSplitter(stream)
    }
    lane.skipToNewline = gap.cutsLine
    this.emit(stream, overflowNotice(Math.max(1, gap.lines), formatTimestamp(gap.since)))
  }
}
