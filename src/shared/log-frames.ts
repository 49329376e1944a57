// tug's own log stream format, which tug's CLI asks for with `Accept` and the control plane
// sends (any other client gets SSE or plain text, platform-api.md 2.5). Each batch of lines is one
// frame: a header line `<last id or -> <lines> <bytes>\n`, then exactly <bytes> bytes of text, the
// lines each ended by `\n`. A reader copies the text out without looking at a line, and resumes
// after the last id of the last whole frame it printed (sent as Last-Event-ID, as with SSE).

export const FRAMES_TYPE = 'application/vnd.tug.log-frames'

/** A frame of no lines: the keep-alive of a quiet stream. */
export const FRAMES_KEEPALIVE = '- 0 0\n'

/** The header of a frame; `lastId` undefined for a frame of notices alone (they have no id). */
export function frameHeader(lastId: number | undefined, lines: number, bytes: number): string {
  return `${lastId ?? '-'} ${lines} ${bytes}\n`
}

const HEADER = /^(-|\d{1,15}) (\d{1,9}) (\d{1,12})$/
/** Longer than any header can be: a stream without a newline by then is not a frames stream. */
const MAX_HEADER = 48

export interface FramesOut {
  /** The text of the frames completed by this push, in order (slices of the chunks: no copy when a frame lies in one). */
  bodies: Buffer[]
  lines: number
}

/**
 * An incremental frames reader: feed it the response's chunks; it gives the text of every frame
 * completed so far. A frame cut off by a dropped connection is never given in part, so the last
 * id (`lastId`) always matches what was given.
 */
export class FrameParser {
  /** The last id of the frames given so far ('' before any). */
  lastId = ''
  private chunks: Buffer[] = []
  private size = 0
  /** The header of the frame whose text is awaited. */
  private frame: {id: string; lines: number; bytes: number} | undefined

  push(chunk: Uint8Array): FramesOut {
    const out: FramesOut = {bodies: [], lines: 0}
    if (chunk.length > 0) {
      this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length))
      this.size += chunk.length
    }
    for (;;) {
      if (this.frame === undefined) {
        const header = this.takeHeader()
        if (header === undefined) break
        const match = HEADER.exec(header)
        if (!match) throw new Error(`not a log frame header: ${JSON.stringify(header.slice(0, MAX_HEADER))}`)
        this.frame = {id: match[1] as string, lines: Number(match[2]), bytes: Number(match[3])}
      }
      if (this.size < this.frame.bytes) break
      const {id, lines, bytes} = this.frame
      this.frame = undefined
      if (bytes > 0) out.bodies.push(this.take(bytes))
      out.lines += lines
      if (id !== '-') this.lastId = id
    }
    return out
  }

  /** Bytes of a frame not yet whole (a connection that ends here ended inside a frame). */
  get pendingBytes(): number {
    return this.size
  }

  private takeHeader(): string | undefined {
    for (;;) {
      const first = this.chunks[0]
      if (first === undefined) return undefined
      const newline = first.indexOf(10)
      if (newline !== -1) {
        const header = first.toString('latin1', 0, newline)
        this.take(newline + 1)
        return header
      }
      if (first.length > MAX_HEADER) throw new Error(`not a log frame header: ${JSON.stringify(first.toString('latin1', 0, MAX_HEADER))}`)
      // A header cut across chunks (rare): join the first two and look again.
      if (this.chunks.length < 2) return undefined
      this.chunks.splice(0, 2, Buffer.concat([first, this.chunks[1] as Buffer]))
    }
  }

  /** The next `n` bytes (n <= size). */
  private take(n: number): Buffer {
    const first = this.chunks[0] as Buffer
    this.size -= n
    if (first.length > n) {
      this.chunks[0] = first.subarray(n)
      return first.subarray(0, n)
    }
    if (first.length === n) {
      this.chunks.shift()
      return first
    }
    const parts: Buffer[] = []
    let left = n
    while (left > 0) {
      const chunk = this.chunks[0] as Buffer
      if (chunk.length <= left) {
        parts.push(chunk)
        this.chunks.shift()
        left -= chunk.length
      } else {
        parts.push(chunk.subarray(0, left))
        this.chunks[0] = chunk.subarray(left)
        left = 0
      }
    }
    return Buffer.concat(parts, n)
  }
}
