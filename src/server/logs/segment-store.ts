// Keeps each app's history across a restart of the control plane: one append-only file per app,
// written in batches off the hot path, rewritten from the history when it grows to twice its size.
//
// File format: one record per line, `<id>\t<formatted line>\n`. Lines never hold a line break (the
// router splits on them), so a record is whole exactly when its `\n` is there; a torn last record
// after a crash has none and is ignored, and a record that does not parse (garbage after a power
// loss) is skipped. A file that had either is rewritten before anything is appended to it, so a
// new record can never be glued to a torn one.
import {mkdir, open, readdir, readFile, rename, rm, writeFile, type FileHandle} from 'node:fs/promises'
import {join} from 'node:path'

import type {LogBlock} from './block.js'
import type {LogEntry} from './ring.js'

export interface SegmentStoreOptions {
  dir: string
  /** Write what is pending at least this often (default 100 ms). */
  flushIntervalMs?: number
  /** Write as soon as this many lines are pending in all (default: only the timer writes). */
  flushLines?: number
  /** Lines of history per app: more lines pending than this are dropped for a rewrite (see append). */
  historyLines: number
  /** Rewrite an app's file when it holds more records than this (twice the history). */
  compactLines: number
  /** ... or more bytes than this (twice the history's byte bound). */
  compactBytes: number
  /** The current history of an app, which a rewrite writes out. */
  snapshot: (appId: string) => Iterable<LogBlock>
  onError: (error: unknown) => void
}

export interface LoadedHistory {
  appId: string
  /** Whole, valid records in id order (possibly more than the history keeps). */
  entries: LogEntry[]
  /** Records in the file. */
  records: number
  bytes: number
  /** The file had a torn or invalid record. */
  damaged: boolean
}

interface AppFile {
  readonly appId: string
  readonly path: string
  fd: FileHandle | undefined
  /** Blocks waiting for the file, and their lines. */
  pending: LogBlock[]
  pendingLines: number
  records: number
  bytes: number
  rewrite: boolean
  busy: Promise<void> | undefined
  /** One flush queued behind the busy one serves every caller that arrives meanwhile. */
  next: Promise<void> | undefined
  removed: boolean
}

const RECORD = /^(\d+)\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 ([A-Za-z0-9_-]+)\[([A-Za-z0-9_.-]+)\]: /
const SUFFIX = '.log'

export function fileNameFor(appId: string): string {
  return encodeURIComponent(appId) + SUFFIX
}

/** Parses one file's text; pure, for the tests of torn and damaged files. */
export function parseSegment(appId: string, text: string): LoadedHistory {
  const lines = text.split('\n')
  // The piece after the last `\n` is a torn record (or '' when the file ends cleanly).
  const torn = lines.pop() !== ''
  const entries: LogEntry[] = []
  const names = new Map<string, string>()
  const intern = (name: string): string => {
    const known = names.get(name)
    if (known !== undefined) return known
    names.set(name, name)
    return name
  }
  let invalid = 0
  let lastId = 0
  for (const line of lines) {
    const match = RECORD.exec(line)
    const id = match ? Number(match[1]) : Number.NaN
    if (!match || !Number.isSafeInteger(id) || id <= lastId) {
      invalid++
      continue
    }
    lastId = id
    const textPart = line.slice(line.indexOf('\t') + 1)
    entries.push({id, text: textPart, source: intern(match[2] ?? ''), dyno: intern(match[3] ?? ''), bytes: Buffer.byteLength(textPart)})
  }
  return {appId, entries, records: lines.length, bytes: Buffer.byteLength(text), damaged: torn || invalid > 0}
}

/** Off the hot path (the flush timer): the blocks' lines as records, one per line. */
function serialise(blocks: Iterable<LogBlock>): {data: Buffer; records: number} {
  const parts: string[] = []
  for (const block of blocks) {
    const {text, firstId} = block
    if (firstId === undefined) continue
    let start = 0
    for (let i = 0; i < block.count; i++) {
      const end = text.indexOf('\n', start) + 1
      parts.push(`${firstId + i}\t`, text.slice(start, end))
      start = end
    }
  }
  return {data: Buffer.from(parts.join(''), 'utf8'), records: parts.length / 2}
}

export class SegmentStore {
  private readonly files = new Map<string, AppFile>()
  private readonly timer: NodeJS.Timeout
  private pendingTotal = 0
  private flushSoon = false
  private closed = false

  private constructor(private readonly options: SegmentStoreOptions) {
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 100)
    // The flush timer must not keep a process alive on its own; close() writes what is left.
    this.timer.unref()
  }

  /** Opens the directory (creating it) and reads back every app's history. */
  static async open(options: SegmentStoreOptions): Promise<{store: SegmentStore; loaded: LoadedHistory[]}> {
    // Apps' logs are theirs alone: private to the control plane's user, as the data directory is.
    await mkdir(options.dir, {recursive: true, mode: 0o700})
    const loaded: LoadedHistory[] = []
    for (const name of (await readdir(options.dir)).sort()) {
      if (name.endsWith('.tmp')) {
        await rm(join(options.dir, name), {force: true})
        continue
      }
      if (!name.endsWith(SUFFIX)) continue
      let appId: string
      try {
        appId = decodeURIComponent(name.slice(0, -SUFFIX.length))
      } catch {
        continue
      }
      if (fileNameFor(appId) !== name) continue
      loaded.push(parseSegment(appId, await readFile(join(options.dir, name), 'utf8')))
    }
    const store = new SegmentStore(options)
    for (const history of loaded) {
      const file = store.fileFor(history.appId)
      file.records = history.records
      file.bytes = history.bytes
      file.rewrite = history.damaged
    }
    return {store, loaded}
  }

  /** Queues a block of lines for the file; costs an array push. */
  append(appId: string, block: LogBlock): void {
    if (this.closed) return
    const file = this.fileFor(appId)
    file.pending.push(block)
    file.pendingLines += block.count
    this.pendingTotal += block.count
    // More lines waiting than the history holds (a busy app, or a disk that fell behind): the
    // oldest of them have already left the history, and a reload would drop them again. The
    // file is rewritten from the history instead, so that only lines a restart keeps are ever
    // written (a tail at a million lines a second costs one 10,000-line rewrite per flush, not
    // an append of every line and a rewrite every 10,000), and this buffer stays bounded.
    if (file.pendingLines > this.options.historyLines) {
      this.pendingTotal -= file.pendingLines
      file.pending = []
      file.pendingLines = 0
      file.rewrite = true
    }
    if (this.options.flushLines !== undefined && this.pendingTotal >= this.options.flushLines && !this.flushSoon) {
      this.flushSoon = true
      setImmediate(() => {
        this.flushSoon = false
        void this.flush()
      })
    }
  }

  /** Resolves once everything appended before the call is written. */
  async flush(): Promise<void> {
    await Promise.all([...this.files.values()].map((file) => this.flushFile(file)))
  }

  async remove(appId: string): Promise<void> {
    const file = this.files.get(appId)
    this.files.delete(appId)
    if (file) {
      file.removed = true
      this.pendingTotal -= file.pendingLines
      file.pending = []
      file.pendingLines = 0
      await file.busy
      await file.fd?.close().catch(this.options.onError)
      file.fd = undefined
    }
    await rm(join(this.options.dir, fileNameFor(appId)), {force: true})
  }

  async close(): Promise<void> {
    if (this.closed) return
    clearInterval(this.timer)
    await this.flush()
    this.closed = true
    for (const file of this.files.values()) {
      await file.fd?.close().catch(this.options.onError)
      file.fd = undefined
    }
  }

  /** For tests and stats: records and bytes in an app's file as the store believes them. */
  fileStats(appId: string): {records: number; bytes: number; pending: number} | undefined {
    const file = this.files.get(appId)
    return file && {records: file.records, bytes: file.bytes, pending: file.pendingLines}
  }

  private fileFor(appId: string): AppFile {
    let file = this.files.get(appId)
    if (!file) {
      file = {appId, path: join(this.options.dir, fileNameFor(appId)), fd: undefined, pending: [], pendingLines: 0, records: 0, bytes: 0, rewrite: false, busy: undefined, next: undefined, removed: false}
      this.files.set(appId, file)
    }
    return file
  }

  private flushFile(file: AppFile): Promise<void> {
    if (file.busy) {
      file.next ??= file.busy.then(() => {
        file.next = undefined
        return this.flushFile(file)
      })
      return file.next
    }
    if (file.removed || (file.pendingLines === 0 && !file.rewrite)) return Promise.resolve()
    const run = this.writeFile(file)
      .catch((error: unknown) => {
        // Whatever that write held may be half on disk: start the file again from the history.
        file.rewrite = true
        this.options.onError(error)
      })
      .finally(() => {
        file.busy = undefined
      })
    file.busy = run
    return run
  }

  private async writeFile(file: AppFile): Promise<void> {
    const pendingBytesGuess = file.pending.reduce((sum, block) => sum + block.bytes + 12 * block.count, 0)
    if (file.rewrite || file.records + file.pendingLines > this.options.compactLines || file.bytes + pendingBytesGuess > this.options.compactBytes) {
      // Snapshot and clearing the pending lines happen in one synchronous step: every line
      // appended later is not in the snapshot and is appended to the new file.
      const {data, records} = serialise(this.options.snapshot(file.appId))
      this.pendingTotal -= file.pendingLines
      file.pending = []
      file.pendingLines = 0
      file.rewrite = false
      const tmp = `${file.path}.tmp`
      await writeFile(tmp, data, {mode: 0o600})
      await rename(tmp, file.path)
      await file.fd?.close()
      file.fd = undefined
      file.records = records
      file.bytes = data.length
      return
    }
    const batch = file.pending
    file.pending = []
    this.pendingTotal -= file.pendingLines
    file.pendingLines = 0
    const {data, records} = serialise(batch)
    file.fd ??= await open(file.path, 'a', 0o600)
    let offset = 0
    while (offset < data.length) {
      const {bytesWritten} = await file.fd.write(data, offset, data.length - offset)
      offset += bytesWritten
    }
    file.records += records
    file.bytes += data.length
  }
}
