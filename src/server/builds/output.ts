// A build's output: lines appended to a file (what a finished build's stream serves) and pushed to
// live readers while the build runs. Appends are synchronous and notify synchronously, so a reader
// that reads the file and then subscribes in the same tick neither misses nor repeats a line.
import {EventEmitter} from 'node:events'
import {appendFileSync, readFileSync, writeFileSync} from 'node:fs'

export class BuildOutput {
  private readonly events = new EventEmitter()
  private count = 0
  private done = false

  constructor(readonly file: string) {
    writeFileSync(file, '', {mode: 0o600})
    this.events.setMaxListeners(0)
  }

  get finished(): boolean {
    return this.done
  }

  line(text: string): void {
    if (this.done) return
    // A lone CR ends a line in SSE too, so it ends one here: one stored line is one event.
    for (const piece of text.split(/\r\n|\r|\n/)) {
      appendFileSync(this.file, piece + '\n')
      this.count++
      this.events.emit('line', piece, this.count)
    }
  }

  finish(): void {
    if (this.done) return
    this.done = true
    this.events.emit('end')
  }

  /** Calls `onLine` for each later line and `onEnd` once; returns the unsubscribe function. */
  subscribe(onLine: (line: string, seq: number) => void, onEnd: () => void): () => void {
    if (this.done) {
      onEnd()
      return () => {}
    }
    this.events.on('line', onLine)
    this.events.once('end', onEnd)
    return () => {
      this.events.off('line', onLine)
      this.events.off('end', onEnd)
    }
  }
}

/** The lines of an output file as written so far (without the final newline's empty string). */
export function readOutputLines(file: string): string[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return []
  }
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  return lines
}
