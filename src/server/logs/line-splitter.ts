// Turns a dyno's raw output (chunks cut anywhere, possibly invalid UTF-8) into whole lines.
import {CONTINUATION_MARKER} from './format.js'

/** A line longer than this without a line break is cut, so one dyno cannot grow memory at will. */
export const MAX_PENDING_BYTES = 64 * 1024

/**
 * Chunks are cut on `\n` bytes, which never occur inside a UTF-8 sequence, so each line is
 * decoded whole: a character split across chunks survives, invalid bytes become U+FFFD. The part
 * after the last `\n` waits for the next chunk (or `end()`); if it outgrows `maxPendingBytes` it
 * is emitted, cut between characters, and the rest carries CONTINUATION_MARKER.
 */
export class LineSplitter {
  private pending: Buffer[] = []
  private pendingBytes = 0
  private continued = false

  constructor(private readonly maxPendingBytes: number = MAX_PENDING_BYTES) {}

  push(chunk: Uint8Array | string): string[] {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    const lines: string[] = []
    let start = 0
    for (let newline = bytes.indexOf(10, start); newline !== -1; newline = bytes.indexOf(10, start)) {
      this.pending.push(bytes.subarray(start, newline))
      lines.push(this.take(this.pendingBytes + newline - start))
      start = newline + 1
    }
    if (start < bytes.length) {
      // A copy: keeping a slice would pin the caller's whole chunk for as long as the line waits.
      this.pending.push(Buffer.from(bytes.subarray(start)))
      this.pendingBytes += bytes.length - start
      while (this.pendingBytes > this.maxPendingBytes) lines.push(this.cut())
    }
    return lines
  }

  /** The unfinished last line, if any (the stream ended without a final line break). */
  end(): string[] {
    return this.pendingBytes > 0 || this.continued ? [this.take(this.pendingBytes)] : []
  }

  private take(size: number): string {
    const bytes = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, size)
    this.pending = []
    this.pendingBytes = 0
    const text = bytes.toString('utf8')
    const line = this.continued ? CONTINUATION_MARKER + text : text
    this.continued = false
    return line
  }

  private cut(): string {
    const bytes = Buffer.concat(this.pending, this.pendingBytes)
    let end = this.maxPendingBytes
    while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--
    if (end === 0) end = this.maxPendingBytes
    const head = bytes.toString('utf8', 0, end)
    const line = this.continued ? CONTINUATION_MARKER + head : head
    this.pending = [bytes.subarray(end)]
    this.pendingBytes = bytes.length - end
    this.continued = true
    return line
  }
}
