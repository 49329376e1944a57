// The one line splitter: a dyno's output in the local backend and its log tap (bytes), and the
// plain-text log stream `tug logs` reads (text). Lines go to a callback one by one, or, from
// `LineSplitter.batched`, as one array per chunk: a busy dyno's 64 KiB read holds ~500 lines, and
// the log router takes them in one call.
import {StringDecoder} from 'node:string_decoder'

/**
 * Splits a stream into lines: bytes are UTF-8 decoded across chunk boundaries (invalid bytes
 * become U+FFFD), `\n` or `\r\n` ends a line, a line longer than `maxLength` characters is
 * emitted in pieces rather than buffered without bound (never between the halves of a surrogate
 * pair), and `end()` emits a last line that had no newline. Without `maxLength`, lines are whole.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8')
  private partial = ''
  /** Set by `LineSplitter.blocks`: a push's complete lines may be emitted as one string. */
  private joined = false

  constructor(
    private readonly emit: (line: string) => void,
    private readonly maxLength: number = Number.POSITIVE_INFINITY,
  ) {
    if (!(maxLength >= 2)) throw new RangeError('maxLength must be at least 2')
  }

  /**
   * The same lines, in order, but given as one array per `push` or `end` that completed any (never
   * an empty one): the array is the caller's to keep.
   */
  static batched(emitLines: (lines: string[]) => void, maxLength?: number): LineSplitter {
    let lines: string[] = []
    const splitter = new LineSplitter((line) => lines.push(line), maxLength)
    splitter.flush = () => {
      if (lines.length === 0) return
      const out = lines
      lines = []
      emitLines(out)
    }
    return splitter
  }

  /**
   * Like `batched`, but the lines a push completed usually come as ONE string, joined by `\n`
   * (no final one): what the log router takes whole (`writeLines`' messages may hold several
   * lines), so that a busy dyno's read costs no string and no array slot per line. A push whose
   * text holds a `\r` or a line longer than `maxLength` gives its lines one by one, as `batched`.
   */
  static blocks(emitMessages: (messages: string[]) => void, maxLength?: number): LineSplitter {
    const splitter = LineSplitter.batched(emitMessages, maxLength)
    splitter.joined = true
    return splitter
  }

  /** Bytes are decoded here; text (already decoded by the caller) is taken as it is. */
  push(chunk: Uint8Array | string): void {
    this.take(typeof chunk === 'string' ? chunk : this.decoder.write(chunk))
    this.flush()
  }

  end(): void {
    this.take(this.decoder.end())
    const line = stripCr(this.partial)
    this.partial = ''
    if (line !== '') this.emit(line)
    this.flush()
  }

  /** Hands over the lines gathered by a batched splitter; nothing for a line-by-line one. */
  private flush: () => void = () => {}

  private take(text: string): void {
    if (text === '') return
    if (this.joined && this.takeJoined(text)) return
    let start = 0
    let newline = text.indexOf('\n')
    if (this.partial !== '') {
      if (newline < 0) {
        this.partial = this.keepBounded(this.partial + text)
        return
      }
      // Only the line that was cut is joined: the rest of the chunk is read where it lies, never
      // copied into one string with the partial line (a busy dyno's 64 KiB read, every time).
      this.emitBounded(stripCr(this.partial + text.slice(0, newline)))
      this.partial = ''
      start = newline + 1
      newline = text.indexOf('\n', start)
    }
    while (newline >= 0) {
      this.emitBounded(stripCr(text.slice(start, newline)))
      start = newline + 1
      newline = text.indexOf('\n', start)
    }
    this.partial = this.keepBounded(start === 0 ? text : text.slice(start))
  }

  /** The fast path of `blocks`: true when it took the text. */
  private takeJoined(text: string): boolean {
    const last = text.lastIndexOf('\n')
    if (last === -1 || text.indexOf('\r') !== -1 || this.partial.indexOf('\r') !== -1) return false
    const head = this.partial === '' ? text.slice(0, last) : this.partial + text.slice(0, last)
    if (!linesWithin(head, this.maxLength)) return false
    this.emit(head)
    this.partial = this.keepBounded(text.slice(last + 1))
    return true
  }

  /** The start of a line still open: what is over `maxLength` goes out in pieces now. */
  private keepBounded(buffer: string): string {
    while (buffer.length > this.maxLength) {
      const cut = this.cutAt(buffer)
      this.emit(buffer.slice(0, cut))
      buffer = buffer.slice(cut)
    }
    return buffer
  }

  private emitBounded(line: string): void {
    while (line.length > this.maxLength) {
      const cut = this.cutAt(line)
      this.emit(line.slice(0, cut))
      line = line.slice(cut)
    }
    this.emit(line)
  }

  /** Never between the two halves of a surrogate pair. */
  private cutAt(text: string): number {
    const code = text.charCodeAt(this.maxLength - 1)
    return code >= 0xd800 && code <= 0xdbff ? this.maxLength - 1 : this.maxLength
  }
}

function stripCr(line: string): string {
  return line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line
}

/** True when no line of `text` (lines joined by `\n`) is longer than `maxLength`. */
function linesWithin(text: string, maxLength: number): boolean {
  if (text.length <= maxLength) return true
  let start = 0
  for (let end = text.indexOf('\n'); end !== -1; start = end + 1, end = text.indexOf('\n', start)) if (end - start > maxLength) return false
  return text.length - start <= maxLength
}
