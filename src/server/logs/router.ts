// The log router: one ordered, numbered stream per app, gathered from dyno output and platform
// events, kept in a bounded history and fanned out to subscribers that each read at their pace.
import {compileFilter, type LogFilter} from './filter.js'
import {formatLogLine, overflowNotice} from '../../shared/log-line.js'
import {LOG_HISTORY_LINES} from '../../shared/log-history.js'

import {MAX_LINE_BYTES, MAX_MICROS, formatMicros, isSimpleLine, parseMicros, safeDyno, safeSource, splitLines, splitLong, systemMicros, TIMESTAMP_LENGTH} from './format.js'
import {entriesOf, singleLine, type LogBlock} from './block.js'
import {LogRing, type LogEntry} from './ring.js'
import {SegmentStore} from './segment-store.js'
import {Subscription, type LogSink, type LogSubscription, type SubscriptionLimits} from './subscription.js'

export interface LogInput {
  /** `app` for dyno output, `tug` for the control plane's own events. */
  source: string
  /** `web.1`, `run.3`, `api`, ... */
  dyno: string
  /** One or more lines (split on line breaks); bytes are decoded as UTF-8, invalid ones as U+FFFD. */
  message: string | Uint8Array
  /** When it happened: a Date, or microseconds since the epoch. Default: now. */
  time?: Date | number
}

export interface LogLinesInput {
  source: string
  dyno: string
  /** Each is what a `write`'s message is: one line, or several split on line breaks. */
  lines: readonly string[]
  /** One time for them all (default: now). */
  time?: Date | number
}

export interface SubscribeOptions {
  filter?: LogFilter
  /** Resume: every matching line after this id still in the history (then `lines` is ignored). */
  afterId?: number
  /** The last N matching lines first (capped at the history size). Default 0. */
  lines?: number
  /** Keep delivering new lines; without it the subscription ends after the backlog. */
  tail: boolean
}

export interface PersistOptions {
  /** One `<app>.log` file per app goes here. */
  dir: string
  /** Default 100 ms. */
  flushIntervalMs?: number
  /** Also write as soon as this many lines are pending (default: the timer alone). */
  flushLines?: number
}

export interface LogRouterOptions {
  /** Lines of history per app (default 10,000). */
  historyLines?: number
  /** UTF-8 bytes of history per app (default 16 MiB); the oldest lines go first. */
  historyBytes?: number
  /** Live lines a subscriber may have waiting (default 100,000). */
  queueLines?: number
  /** ... and their bytes (default 16 MiB). */
  queueBytes?: number
  /** Most lines handed to a sink in one `deliver` (default 1000). */
  batchLines?: number
  /** ... and about this many bytes at most (default 256 KiB; a batch holds at least one line). */
  batchBytes?: number
  /** Longest message part of one line, in bytes (default 10,000, as Heroku). */
  maxLineBytes?: number
  /** The clock, in microseconds since the epoch. */
  now?: () => number
  /** Runs subscriber deliveries off the writer's stack (default setImmediate). */
  schedule?: (task: () => void) => void
  /** Keep history across restarts; only with `LogRouter.open`. */
  persist?: PersistOptions
  /** Errors the router swallowed so as never to throw into a writer (default: ignored). */
  onError?: (error: unknown) => void
}

export interface RouterStats {
  apps: number
  /** Lines and UTF-8 bytes held in all histories. */
  lines: number
  bytes: number
  subscribers: number
  /** Errors swallowed by write() (also reported to onError). */
  writeErrors: number
}

/** Platform notices about a stream itself are `tug[logplex]` lines, as Heroku's are `heroku[logplex]`. */
export const NOTICE_SOURCE = 'tug'
export const NOTICE_DYNO = 'logplex'

export const DEFAULTS = {
  historyLines: LOG_HISTORY_LINES,
  historyBytes: 16 * 1024 * 1024,
  // A tail at 1,000,000 lines/s rides out a stall of 100 ms (a GC, a busy core), one at 100,000
  // lines/s a second; 16 MiB (~110,000 lines of ~150 bytes) still bounds what one slow reader holds.
  queueLines: 100_000,
  queueBytes: 16 * 1024 * 1024,
  batchLines: 1000,
  batchBytes: 256 * 1024,
} as const

interface AppLog {
  readonly ring: LogRing
  nextId: number
  lastMicros: number
  readonly subscribers: Set<Subscription>
  /** Raw name -> safe, shared name: every line of a dyno points at one string. */
  readonly sources: Map<string, string>
  readonly dynos: Map<string, string>
}

const decoder = new TextDecoder('utf-8')
const NAME_CACHE_LIMIT = 1024

/**
 * Memory bound, per app: at most `historyLines` lines and `historyBytes` bytes of UTF-8 text, in
 * blocks (one per write or pipe read). V8 keeps a string in one byte per character when it can,
 * two otherwise, so the text costs at most 2 x historyBytes (1 x for ASCII), plus about 100 bytes
 * per block for its object, slot and string header: per line when every write is one line (the
 * worst case, ~2.4 MB per app with the defaults and ~100-byte messages, bench/logs-router), a
 * share of that for a dyno's reads. A block cut by the bounds is a slice that keeps its whole
 * text alive until it goes: at most one such block per app. Each subscriber adds at most
 * `queueLines` lines' worth of references and keeps at most `queueBytes` of lines alive that the
 * history may already have let go.
 */
export class LogRouter {
  private readonly apps = new Map<string, AppLog>()
  private readonly historyLines: number
  private readonly historyBytes: number
  private readonly limits: SubscriptionLimits
  private readonly maxLineBytes: number
  private readonly now: () => number
  private readonly schedule: (task: () => void) => void
  private readonly onError: (error: unknown) => void
  private store: SegmentStore | undefined
  private writeErrors = 0
  private closed = false

  constructor(options: LogRouterOptions = {}) {
    if (options.persist) throw new TypeError('a persisted LogRouter is made with `await LogRouter.open(options)`')
    this.historyLines = options.historyLines ?? DEFAULTS.historyLines
    this.historyBytes = options.historyBytes ?? DEFAULTS.historyBytes
    this.limits = {
      queueLines: options.queueLines ?? DEFAULTS.queueLines,
      queueBytes: options.queueBytes ?? DEFAULTS.queueBytes,
      batchLines: options.batchLines ?? DEFAULTS.batchLines,
      batchBytes: options.batchBytes ?? DEFAULTS.batchBytes,
    }
    this.maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES
    this.now = options.now ?? systemMicros
    this.schedule = options.schedule ?? ((task) => void setImmediate(task))
    this.onError = options.onError ?? (() => {})
    // Validates the bounds now rather than on the first write.
    new LogRing(this.historyLines, this.historyBytes)
  }

  /** A router, with its history read back from `options.persist.dir` when given. */
  static async open(options: LogRouterOptions = {}): Promise<LogRouter> {
    const {persist, ...rest} = options
    const router = new LogRouter(rest)
    if (!persist) return router
    const {store, loaded} = await SegmentStore.open({
      dir: persist.dir,
      flushIntervalMs: persist.flushIntervalMs,
      flushLines: persist.flushLines,
      historyLines: router.historyLines,
      compactLines: 2 * router.historyLines,
      compactBytes: 2 * router.historyBytes,
      snapshot: (appId) => router.apps.get(appId)?.ring.eachBlock() ?? [],
      onError: router.onError,
    })
    for (const history of loaded) {
      const app = router.appFor(history.appId)
      for (const block of blocksOf(history.entries)) app.ring.push(block)
      const last = history.entries[history.entries.length - 1]
      if (last) {
        app.nextId = last.id + 1
        app.lastMicros = parseMicros(last.text.slice(0, TIMESTAMP_LENGTH)) ?? 0
      }
    }
    router.store = store
    return router
  }

  /**
   * The one input. Never blocks and never throws: the line goes into the history, the file's
   * pending batch and the queue of each matching subscriber, and that is all it costs.
   */
  write(appId: string, input: LogInput): void {
    try {
      if (this.closed) return
      const message = typeof input.message === 'string' ? input.message : decoder.decode(input.message)
      this.add(appId, input.source, input.dyno, input.time, [message])
    } catch (error) {
      this.writeErrors++
      this.report(error)
    }
  }

  /**
   * Many messages of one source and dyno at once (a dyno's pipe read: every line it completed):
   * the same as a `write` of each in order, with one timestamp for them all, at a fraction of the
   * cost per line. Never blocks and never throws either.
   */
  writeLines(appId: string, input: LogLinesInput): void {
    try {
      if (this.closed || input.lines.length === 0) return
      this.add(appId, input.source, input.dyno, input.time, input.lines)
    } catch (error) {
      this.writeErrors++
      this.report(error)
    }
  }

  /**
   * A reader: the backlog (the last `lines` matching, or every matching line after `afterId`)
   * comes first, then, with `tail`, every new matching line. Resuming after an id the history no
   * longer holds starts with a notice saying how many lines were lost.
   */
  subscribe(appId: string, options: SubscribeOptions, sink: LogSink): LogSubscription {
    const app = this.appFor(appId)
    const match = compileFilter(options.filter)
    let backlog: LogBlock[]
    const afterId = options.afterId
    if (afterId !== undefined && Number.isFinite(afterId)) {
      const firstKept = app.ring.oldestId ?? app.nextId
      const lost = firstKept - Math.floor(afterId) - 1
      const past = app.ring.after(afterId, match)
      backlog = lost > 0 ? [this.notice(`Warning (history gap): ${lost} messages after id ${Math.floor(afterId)} are no longer in the history`), ...past] : past
    } else {
      backlog = app.ring.lastMatching(Math.min(Math.floor(options.lines ?? 0), this.historyLines), match)
    }
    const subscription = new Subscription(
      appId,
      match,
      options.tail && !this.closed,
      backlog,
      sink,
      this.limits,
      this.schedule,
      (dropped, since) => this.notice(overflowNotice(dropped, since)),
      (closed) => app.subscribers.delete(closed),
      (error) => this.report(error),
    )
    if (options.tail && !this.closed) app.subscribers.add(subscription)
    return subscription
  }

  /** The same lookups as a subscription's backlog, as a plain array. */
  history(appId: string, options: {filter?: LogFilter; lines?: number; afterId?: number} = {}): LogEntry[] {
    const app = this.apps.get(appId)
    if (!app) return []
    const match = compileFilter(options.filter)
    const blocks = options.afterId !== undefined ? app.ring.after(options.afterId, match) : app.ring.lastMatching(options.lines ?? this.historyLines, match)
    return blocks.flatMap(entriesOf)
  }

  /** The id of the app's newest line (0 before the first). */
  lastId(appId: string): number {
    return (this.apps.get(appId)?.nextId ?? 1) - 1
  }

  stats(): RouterStats {
    let lines = 0
    let bytes = 0
    let subscribers = 0
    for (const app of this.apps.values()) {
      lines += app.ring.length
      bytes += app.ring.bytes
      subscribers += app.subscribers.size
    }
    return {apps: this.apps.size, lines, bytes, subscribers, writeErrors: this.writeErrors}
  }

  /** Forgets an app (destroyed): its subscribers end, its history and file go. */
  async removeApp(appId: string): Promise<void> {
    const app = this.apps.get(appId)
    this.apps.delete(appId)
    if (app) for (const subscription of [...app.subscribers]) subscription.close()
    await this.store?.remove(appId)
  }

  /** Writes every pending line to disk (no-op without persistence). */
  async flush(): Promise<void> {
    await this.store?.flush()
  }

  /** Ends every subscription, writes what is pending and closes the files. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const app of this.apps.values()) {
      for (const subscription of [...app.subscribers]) subscription.close()
    }
    await this.store?.close()
  }

  private appFor(appId: string): AppLog {
    let app = this.apps.get(appId)
    if (!app) {
      app = {ring: new LogRing(this.historyLines, this.historyBytes), nextId: 1, lastMicros: 0, subscribers: new Set(), sources: new Map(), dynos: new Map()}
      this.apps.set(appId, app)
    }
    return app
  }

  private name(names: Map<string, string>, raw: string, safe: (name: string) => string): string {
    let name = names.get(raw)
    if (name === undefined) {
      // One-off dynos bring new names forever (run.1, run.2, ...): keep the cache bounded.
      if (names.size >= NAME_CACHE_LIMIT) names.clear()
      name = safe(String(raw))
      names.set(raw, name)
    }
    return name
  }

  /**
   * The hot path: one time, one `<timestamp> <source>[<dyno>]: ` prefix, one list of matching
   * subscribers and ONE block for all the messages: its text is made by one native join (the
   * prefix goes in as the separator), so a line costs no object and no string of its own.
   */
  private add(appId: string, rawSource: string, rawDyno: string, time: Date | number | undefined, messages: readonly string[]): void {
    const app = this.appFor(appId)
    const source = this.name(app.sources, rawSource, safeSource)
    const dyno = this.name(app.dynos, rawDyno, safeDyno)
    let micros = time === undefined ? Number.NaN : typeof time === 'number' ? time : time.getTime() * 1000
    // A time no timestamp can show (invalid, before 1970, after 2255) is replaced by now.
    if (!(micros >= 0 && micros <= MAX_MICROS)) micros = this.now()
    // Per app, time never goes backwards, whatever the clocks of the dynos' hosts say.
    if (!(micros >= app.lastMicros)) micros = app.lastMicros
    app.lastMicros = micros
    // ASCII (safe names, a numeric timestamp), so its UTF-8 size is its length.
    const prefix = formatMicros(micros) + ' ' + source + '[' + dyno + ']: '
    const maxLineBytes = this.maxLineBytes
    // The usual case: every message is one line or several joined by `\n` (a dyno's read, from
    // LineSplitter.blocks), none needing a cut: then the text is one native replace.
    let count = 0
    for (const message of messages) {
      const lines = simpleLines(message, maxLineBytes)
      if (lines === -1) {
        count = -1
        break
      }
      count += lines
    }
    let body: string
    if (count === -1) {
      const lines = splitAll(messages, maxLineBytes)
      body = lines.join('\n')
      count = lines.length
    } else {
      body = messages.length === 1 ? (messages[0] as string) : messages.join('\n')
    }
    const text = prefix + body.replaceAll('\n', '\n' + prefix) + '\n'
    const block: LogBlock = {firstId: app.nextId, count, text, bytes: Buffer.byteLength(text) - count, source, dyno}
    app.nextId += count
    app.ring.push(block)
    this.store?.append(appId, block)
    for (const subscription of app.subscribers) if (subscription.match(source, dyno)) subscription.offer(block)
  }

  private notice(message: string): LogBlock {
    return singleLine(undefined, formatLogLine({timestamp: formatMicros(this.now()), source: NOTICE_SOURCE, dyno: NOTICE_DYNO, message}), NOTICE_SOURCE, NOTICE_DYNO)
  }

  private report(error: unknown): void {
    try {
      this.onError(error)
    } catch {
      // The error handler itself failed; there is no one left to tell.
    }
  }
}

/** Messages that need splitting (line breaks, over-long lines) as the lines they make. */
function splitAll(messages: readonly string[], maxLineBytes: number): string[] {
  const lines: string[] = []
  for (const message of messages) {
    if (isSimpleLine(message, maxLineBytes)) {
      lines.push(message)
      continue
    }
    for (const line of splitLines(message)) for (const piece of splitLong(line, maxLineBytes)) lines.push(piece)
  }
  return lines
}

/** Loaded lines as blocks: consecutive lines of one source and dyno with consecutive ids share one. */
function blocksOf(entries: readonly LogEntry[]): LogBlock[] {
  const blocks: LogBlock[] = []
  let run: LogEntry[] = []
  const close = (): void => {
    const first = run[0]
    if (!first) return
    let bytes = 0
    for (const entry of run) bytes += entry.bytes
    blocks.push({firstId: first.id, count: run.length, text: run.map((entry) => entry.text).join('\n') + '\n', bytes, source: first.source, dyno: first.dyno})
    run = []
  }
  for (const entry of entries) {
    const last = run[run.length - 1]
    if (last && (entry.source !== last.source || entry.dyno !== last.dyno || entry.id !== last.id + 1)) close()
    run.push(entry)
  }
  close()
  return blocks
}

/**
 * How many lines a message holds when it needs no splitting beyond its `\n`s (no `\r`, no final
 * line break, no line that could be over `maxBytes`), else -1. One scan for line breaks, no copy.
 */
function simpleLines(message: string, maxBytes: number): number {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: a line this short never needs measuring.
  const maxChars = Math.floor(maxBytes / 3)
  if (message.indexOf('\r') !== -1) return -1
  let count = 1
  let start = 0
  for (let end = message.indexOf('\n'); end !== -1; start = end + 1, end = message.indexOf('\n', start)) {
    if (end - start > maxChars) return -1
    count++
  }
  if (message.length - start > maxChars) return -1
  // `a\n` is one line for splitLines, two here: leave it to the slow path.
  return count > 1 && start === message.length ? -1 : count
}
