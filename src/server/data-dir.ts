// The data directory holds the admin token, the database (config vars, token hashes), the apps'
// logs, sources and code: nobody but the control plane's user may read it. A directory made by
// hand (`mkdir /srv/tug` gives 0755) or files made under a permissive umask (tug.db at 0644) would
// let any local user read all of it, so every start tightens what tug created there, and refuses a
// directory that belongs to someone else (whoever owns it can read and replace what is in it).
import {chmodSync, lstatSync, mkdirSync, readdirSync, statSync, type Stats} from 'node:fs'
import {join} from 'node:path'

/**
 * What tug writes in a data directory (the server, and the CLI for the embedded control plane).
 * Anything else there (a file an operator keeps beside them, the sandbox's per-dyno layers, which
 * belong to the dynos' users) is left as it is.
 */
const TUG_ENTRIES = [
  /^tug\.db(-wal|-shm|-journal)?$/,
  /^admin-token(\..*\.tmp)?$/,
  /^plane-id$/,
  /^\.?api-port(\..*\.tmp)?$/,
  /^\.?server\.json(\..*\.tmp)?$/,
  /^server\.(lock|log)$/,
  /^(logs|sources|builds|releases|rendezvous)$/,
]

/** The data directory cannot be used: the message says why and what to do. */
export class DataDirError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DataDirError'
  }
}

export interface SecureDataDirResult {
  /** Paths whose mode changed. */
  tightened: string[]
}

/**
 * Creates `dir` (0700) when missing; otherwise checks that it is a directory owned by this process's
 * user and makes it and tug's entries in it private: directories 0700, files without any group or
 * other bits (0644 becomes 0600; an executable of a release's code stays executable for its owner,
 * 0755 becomes 0700). Symbolic links are never followed (release code holds the apps' links).
 */
export function secureDataDir(dir: string, uid: number | undefined = process.getuid?.()): SecureDataDirResult {
  try {
    mkdirSync(dir, {recursive: true, mode: 0o700})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  // The directory itself may be a link an operator made (/srv/tug -> /data/tug): followed.
  const stat = statSync(dir)
  if (!stat.isDirectory()) throw new DataDirError(`The data directory ${dir} is not a directory.`)
  if (uid !== undefined && stat.uid !== uid) {
    throw new DataDirError(
      `The data directory ${dir} belongs to uid ${stat.uid}, not to the user running the control plane (uid ${uid}): ` +
        `its owner could read the admin token and the database, or replace them. Run tug as that user, ` +
        `or give the directory to this one (chown) and start again.`,
    )
  }
  const tightened: string[] = []
  tighten(dir, stat, tightened)
  for (const name of readdirSync(dir)) {
    if (TUG_ENTRIES.some((pattern) => pattern.test(name))) tightenTree(join(dir, name), tightened, name === 'releases' ? RELEASE_DEPTH : Infinity)
  }
  return {tightened}
}

function tighten(path: string, stat: Stats, tightened: string[]): void {
  const wanted = stat.isDirectory() ? 0o700 : stat.mode & 0o700
  if ((stat.mode & 0o7777) === wanted) return
  chmodSync(path, wanted)
  tightened.push(path)
}

/**
 * releases/<app>/<build> are made private, not the code inside: a sandboxed dyno reads it as its
 * app's uid through its overlay (runtime/sandbox.ts), so the code keeps its modes, and the
 * directories above it, 0700, keep everyone else out.
 */
const RELEASE_DEPTH = 2

function tightenTree(path: string, tightened: string[], depth = Infinity): void {
  const stat = lstatSync(path, {throwIfNoEntry: false})
  // chmod follows a symbolic link: it would change the mode of whatever the link names.
  if (!stat || stat.isSymbolicLink()) return
  tighten(path, stat, tightened)
  if (!stat.isDirectory() || depth === 0) return
  for (const name of readdirSync(path)) tightenTree(join(path, name), tightened, depth - 1)
}
