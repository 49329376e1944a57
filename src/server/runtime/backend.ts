// The seam between the dyno manager and whatever runs dynos. The local backend runs child
// processes; a Kubernetes backend will run pods. Nothing above this interface may assume a dyno
// is a local process: no pids here, only opaque ids and an opaque, JSON-serialisable record that
// the store keeps so that a restarted control plane can hand it back to `adoptOrKill`.

export type OutputStream = 'stdout' | 'stderr'

/** Receives every line a dyno writes, in order per stream, without the trailing newline. */
export type OutputListener = (stream: OutputStream, line: string) => void

/**
 * The same lines in batches (every line one read of a pipe completed), in order: for a reader that
 * takes them in bulk (the log router). An element may hold several lines joined by `\n` (never a
 * `\r`): a busy dyno's read is one string, not one per line.
 */
export type OutputLinesListener = (stream: OutputStream, lines: readonly string[]) => void

export interface DynoSpec {
  appId: string
  appName: string
  /** `web.1`, `run.3`, ...: becomes $DYNO. */
  dynoName: string
  /** The process type (`web`, `run`, `scheduler`, `release`). */
  type: string
  /** Run through a shell, as written in the Procfile or given to `tug run`. */
  command: string
  /** The release's code directory (a container image, for a Kubernetes backend). */
  cwd: string
  /** The config vars of the release plus any one-off env. PORT, DYNO and PS are added by the backend. */
  env: Record<string, string>
  /** $PORT; the caller allocates it (a Kubernetes backend may ignore it). */
  port?: number
  releaseVersion: number
  /** The dyno size's name (`Standard-1X`): the limits it runs under. Absent: the default size. */
  size?: string
  /**
   * An attached one-off (`tug run`): stdin is wired and the output can be read as bytes through
   * `DynoHandle.io`, under a pseudo-terminal of this size when `tty`. Absent: no stdin.
   */
  stdio?: {tty: boolean; cols?: number; rows?: number}
}

export type DynoIoStream = 'stdout' | 'stderr'

/**
 * The byte streams of an attached dyno (see src/server/runtime/attached.ts). Output is held back
 * (the process blocks on a full pipe) until `resume()`; `pause()` holds it again, so a slow client
 * slows the process down instead of filling the control plane's memory. Under a pty, everything
 * comes as `stdout`. A Kubernetes backend maps this onto `pods/attach`.
 */
export interface DynoIo {
  readonly tty: boolean
  onData(listener: (stream: DynoIoStream, chunk: Buffer) => void): void
  /** Both output streams are over: every byte has been handed to the data listeners. */
  onEnd(listener: () => void): void
  pause(): void
  resume(): void
  /** Returns false when the caller should wait for `onDrain` before writing more. */
  write(data: Buffer): boolean
  onDrain(listener: () => void): void
  /** End of input (EOF on the pipe; VEOF under a pty). */
  endInput(): void
  resize(cols: number, rows: number): void
  /** To the dyno's process group (under a pty: the terminal's session). */
  signal(signal: NodeJS.Signals): void
}

export interface DynoExit {
  /** The exit status, or null when the dyno was ended by a signal. */
  code: number | null
  /** The signal name (`SIGTERM`, `SIGKILL`), or null. */
  signal: string | null
  /** The kernel killed a process of it for using more memory than its hard limit (R15). */
  outOfMemory?: boolean
}

export interface StopOptions {
  /** Sent first; default SIGTERM. */
  signal?: NodeJS.Signals
  /** After this long, whatever is left gets SIGKILL. */
  graceMs: number
}

/** What a backend remembers about a running dyno, kept by the store as JSON. */
export interface BackendRecord {
  /** Which backend wrote it (`local`, `kubernetes`). */
  backend: string
  /** The handle's id. */
  id: string
  /** ISO-8601. */
  startedAt: string
}

export interface DynoDescription {
  /** Only the local backend has one; for display and debugging, never for control. */
  pid?: number
  startedAt: Date
  /** To be persisted with the dyno, and passed to `adoptOrKill` after a control-plane crash. */
  record: BackendRecord
}

export interface DynoHandle {
  /** Opaque and unique per run (a restart is a new handle with a new id). */
  readonly id: string
  /**
   * Adds a listener for output lines and returns a function that removes it. Lines written before
   * the first listener was added are kept (bounded) and delivered to it.
   */
  onOutput(listener: OutputListener): () => void
  /** The same as `onOutput`, in batches; optional (a backend without it is read line by line). */
  onOutputLines?(listener: OutputLinesListener): () => void
  /**
   * Settles once the dyno is over: its main process has exited and nothing it started is left
   * running. Never rejects.
   */
  readonly exited: Promise<DynoExit>
  /** `signal` (SIGTERM) to everything the dyno runs, SIGKILL after `graceMs`; resolves when all is gone. */
  stop(options: StopOptions): Promise<void>
  /** Resident memory of everything the dyno runs, in bytes; undefined when unknown. */
  memoryBytes(): Promise<number | undefined>
  /** The same, read at once where the backend has a cheap figure (a cgroup's); undefined otherwise. */
  memoryNow?(): number | undefined
  /**
   * How many of its processes the kernel has killed for memory while its main process runs on (a
   * cgroup's OOM kills); undefined where unknown, and once the main process has exited (its exit
   * then says `outOfMemory`).
   */
  oomKills?(): number | undefined
  describe(): DynoDescription
  /** Present when the spec asked for `stdio`. */
  readonly io?: DynoIo
}

export type AdoptOutcome =
  /** Nothing of it was running any more (or the record names something that is not ours). */
  | {outcome: 'gone'; detail: string}
  /** It was still running, could not be taken over, and has been stopped. */
  | {outcome: 'killed'; detail: string}
  /** It was still running and is managed again through this handle. */
  | {outcome: 'adopted'; handle: DynoHandle}

export interface Backend {
  readonly name: string
  start(spec: DynoSpec): Promise<DynoHandle>
  /**
   * For records left by a control plane that did not stop cleanly: finds what is still running
   * and either takes it over or stops it, never touching anything the record does not name.
   */
  adoptOrKill(record: BackendRecord, options?: {graceMs?: number}): Promise<AdoptOutcome>
  /**
   * After every record went through `adoptOrKill`: stops what a previous run of this control plane
   * (same data directory) started but never recorded, as when it died between a start and the
   * write of its record. Never touches what another control plane runs.
   */
  stopUnrecorded?(options?: {graceMs?: number}): Promise<UnrecordedDyno[]>
  /**
   * Told as early as possible that a start follows (a one-off's request has arrived), before its
   * record is written: the local backend starts work whose wait would otherwise delay the start
   * (LocalBackend.aboutToStart). Must be cheap, must not block, and may be called without a start.
   */
  aboutToStart?(): void
  /** Prepares a build's buildpack steps (issue 15); absent where this backend cannot build. */
  openBuild?(spec: BuildSpec): Promise<BuildSession>
}

/** What `stopUnrecorded` found of one dyno. */
export interface UnrecordedDyno {
  dynoName: string
  /** How many of its processes (or pods) were stopped. */
  processes: number
}

// ---- builds (issue 15): Heroku's buildpack API, run where the backend runs app code ----------

/** One build's buildpack steps: what they work on. Every path is the control plane's. */
export interface BuildSpec {
  appId: string
  /** Unique: names the build's cgroup and tags its processes. */
  buildId: string
  /** The unpacked source, which the buildpacks turn into the slug (BUILD_DIR). */
  buildDir: string
  /** The app's cache, kept across builds (CACHE_DIR). */
  cacheDir: string
  /** One file per config var, named by the var, holding its value (ENV_DIR); read-only to the build. */
  envDir: string
  /** Each buildpack's directory (bin/detect, bin/compile, bin/release): copies private to this build. */
  buildpackDirs: readonly string[]
  /** The platform's variables (STACK, SOURCE_VERSION); the config vars are in envDir only, as on Heroku. */
  env: Record<string, string>
}

export type BuildScript = 'detect' | 'compile' | 'release'

export interface BuildStepExit {
  code: number | null
  signal: string | null
}

/** A build's steps, run one at a time in the build's sandbox and cgroup. */
export interface BuildSession {
  /**
   * Runs `bin/<script>` of buildpack `index` with the API's arguments (detect and release:
   * BUILD_DIR; compile: BUILD_DIR CACHE_DIR ENV_DIR), after sourcing the `export` file each earlier
   * buildpack left (Heroku's multi-buildpack rule). Lines go to `onLine` as they come.
   */
  run(index: number, script: BuildScript, onLine: OutputListener): Promise<BuildStepExit>
  /** Ends everything the build runs at once (its time limit); later steps end at once too. */
  kill(): Promise<void>
  /** Frees what the build held (its cgroup); never throws. */
  close(): Promise<void>
}
