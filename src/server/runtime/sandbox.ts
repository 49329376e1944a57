// The sandbox every process of an app runs in when the control plane has it on (issue 14): a
// bubblewrap (bwrap) command line around the dyno's shell, and the per-dyno overlay it needs.
//
// What a sandboxed dyno sees: the release's code read-only under a writable layer private to this
// run of the dyno, at /app (bubblewrap 0.8 has no overlay options, so the dyno's command line
// first enters a mount namespace of its own, mounts the overlay there and runs bwrap, which binds
// it in); the host's /usr, /bin, /lib*, /etc read-only; a private /tmp; a minimal
// /dev; its own /proc, PID, IPC and UTS namespaces; HOME=/app. Not the data directory, not /root
// or /home, not another app. The host network stays shared, as on Heroku.
//
// The uid: bubblewrap's own --uid needs a user namespace, which maps the sandbox's uid onto the
// caller's (root here): the dyno would be root outside. So bwrap runs as root without a user
// namespace (it needs to: the overlay lives in the 0700 data directory, which only root can
// reach to bind it), keeps only the capabilities to change identity, and setpriv (util-linux)
// becomes the app's unprivileged uid, drops every capability, the bounding set and the
// inheritable ones, before it execs the shell. bwrap sets no_new_privs itself.
//
// Not here on purpose: --die-with-parent (it kills the app with SIGKILL as soon as the outer
// bwrap dies, so a SIGTERM to the dyno's group would cut the app's stop grace short), and
// --new-session (an attached one-off's pty is its controlling terminal, and it is its own).
import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {accessSync, chownSync, constants as fsConstants, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync} from 'node:fs'
import {basename, delimiter, dirname, isAbsolute, join} from 'node:path'
import {promisify} from 'node:util'

const run = promisify(execFile)

/** Under the data directory: one scratch directory per running sandboxed dyno. */
export const SANDBOXES_DIR = 'sandboxes'
/** App uids (and gids) come from [UID_BASE, UID_BASE + UID_RANGE). */
export const UID_BASE = 100_000
export const UID_RANGE = 50_000

/** The host directories a shell and node need, bound read-only where they exist (symlinks are kept as such). */
const HOST_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc']

/** The unprivileged uid of an app: stable, never 0, never `avoid` (the control plane's own). */
export function appUid(appId: string, avoid: number = process.getuid?.() ?? 0): number {
  const hash = createHash('sha256').update(appId).digest().readUInt32BE(0)
  let uid = UID_BASE + (hash % UID_RANGE)
  if (uid === avoid) uid = UID_BASE + ((hash + 1) % UID_RANGE)
  return uid
}

export interface SandboxSpec {
  appId: string
  /** Names the scratch directory; unique per run (the backend's handle id). */
  dynoId: string
  /** The release's code: the overlay's read-only lower layer. */
  codeDir: string
  command: string
  shell: string
  /**
   * Under a pseudo-terminal: the host's /dev/pts is bound in, so that the terminal has its name
   * (bwrap's own /dev would show it as /dev/console). The other terminals there are root's, 0600.
   */
  tty?: boolean
}

export interface SandboxOptions {
  /** The control plane's data directory: scratch space goes under its sandboxes/. */
  dataDir: string
  bwrap?: string
  setpriv?: string
  /** Where node lives (bound read-only when it is outside the host directories); default process.execPath. */
  execPath?: string
}

/** A sandbox ready to start: what to spawn, and what to undo once its processes are gone. */
export interface PreparedSandbox {
  file: string
  args: string[]
  /** The dyno's scratch directory, in the data directory: bwrap's cwd, by which the tests find it. */
  dir: string
  uid: number
  /** Unmounts the overlay and removes the scratch directory; never throws. */
  release(): Promise<void>
}

/**
 * What every sandboxed process of an app gets, whatever it runs (a dyno, a build step): the host's
 * system directories read-only (and node's, when it lives elsewhere), a private /tmp, a minimal
 * /dev, its own /proc, PID, IPC and UTS namespaces, and only the capabilities setpriv needs to
 * become the app's uid (it drops them too).
 */
export function isolationArgs(execPath: string = process.execPath): string[] {
  // Node's whole installation (`<prefix>/bin/node`, npm in `<prefix>/lib/node_modules`), as nvm
  // and the official tarballs lay it out: the built-in Node.js buildpack runs npm.
  // Only a prefix that is one (its npm is there): a node in ~/.local/bin must not bring ~/.local.
  const binDir = dirname(execPath)
  const prefix = dirname(binDir)
  const nodeDir = basename(binDir) === 'bin' && existsSync(join(prefix, 'lib', 'node_modules', 'npm')) ? prefix : binDir
  const covered = HOST_DIRS.some((dir) => nodeDir === dir || nodeDir.startsWith(`${dir}/`))
  return [
    ...hostDirArgs(),
    ...(covered ? [] : ['--ro-bind', nodeDir, nodeDir]),
    '--tmpfs', '/tmp',
    '--dev', '/dev',
    '--proc', '/proc',
    '--unshare-pid', '--unshare-ipc', '--unshare-uts',
    '--hostname', 'dyno',
    '--cap-drop', 'ALL', '--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID', '--cap-add', 'CAP_SETPCAP',
  ]
}

/** setpriv's arguments that make the rest of the command line run as `uid`, with no capability left. */
export function dropPrivilegesArgs(setpriv: string, uid: number): string[] {
  return [setpriv, `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--']
}

/** The symlinks among HOST_DIRS (/bin -> usr/bin on merged-/usr systems) are made as symlinks. */
function hostDirArgs(): string[] {
  const args: string[] = []
  for (const dir of HOST_DIRS) {
    let isLink: boolean
    try {
      isLink = lstatSync(dir).isSymbolicLink()
    } catch {
      continue // not on this host
    }
    if (isLink) args.push('--symlink', readlinkSync(dir), dir)
    else args.push('--ro-bind', dir, dir)
  }
  return args
}

export class Sandbox {
  readonly root: string
  private readonly setpriv: string
  private readonly execPath: string | undefined
  private readonly fixedArgs: string[]
  /**
   * Absolute paths, found once on the control plane's own PATH: these run as root with the
   * dyno's environment, whose PATH is the app's to set (a config var), so a name looked up there
   * would run the app's own `bwrap` as root.
   */
  private readonly tools: {bwrap: string; unshare: string; mount: string}

  constructor(options: SandboxOptions) {
    this.root = join(options.dataDir, SANDBOXES_DIR)
    this.setpriv = options.setpriv ?? '/usr/bin/setpriv'
    this.execPath = options.execPath
    this.tools = {bwrap: findTool(options.bwrap ?? 'bwrap'), unshare: findTool('unshare'), mount: findTool('mount')}
    this.fixedArgs = [...isolationArgs(options.execPath), '--chdir', '/app']
  }

  /** What a build step's sandbox runs (build-step.ts): the same absolute tools as a dyno's. */
  buildTools(): {bwrap: string; setpriv: string; execPath?: string} {
    return {bwrap: this.tools.bwrap, setpriv: this.setpriv, ...(this.execPath === undefined ? {} : {execPath: this.execPath})}
  }

  /**
   * The command line that runs `spec.command` inside, and its scratch directory. The overlay is
   * mounted by that command line itself, in a mount namespace of its own (`unshare --mount`)
   * that bwrap's nests in: no process of the control plane is spawned for it, and it goes away
   * with the dyno's last process, also when the control plane dies (nothing to unmount).
   */
  async prepare(spec: SandboxSpec): Promise<PreparedSandbox> {
    for (const path of [spec.codeDir, this.root]) {
      // overlay's option string separates with ',' and ':'.
      if (/[,:\\]/.test(path)) throw new Error(`cannot sandbox a dyno whose path has ',' ':' or '\\': ${path}`)
    }
    if (!/^[\w-]+$/.test(spec.dynoId)) throw new Error(`bad dyno id ${spec.dynoId}`)
    const uid = appUid(spec.appId)
    const dir = join(this.root, spec.dynoId)
    const upper = join(dir, 'upper')
    const work = join(dir, 'work')
    const merged = join(dir, 'app')
    mkdirSync(this.root, {recursive: true, mode: 0o700})
    mkdirSync(dir, {mode: 0o700})
    for (const sub of [upper, work, merged]) mkdirSync(sub, {mode: 0o755})
    // The overlay's root takes the upper layer's owner: the app can write /app.
    chownSync(upper, uid, uid)
    const release = async (): Promise<void> => {
      // A mount on the host is what an older control plane made; this one's die with the dyno.
      if (mountPoints().has(merged)) await unmount(merged)
      rmSync(dir, {recursive: true, force: true})
    }
    const bwrapArgs = [
      ...this.fixedArgs,
      '--bind', merged, '/app',
      ...(spec.tty ? ['--dev-bind', '/dev/pts', '/dev/pts'] : []),
      '--',
      ...dropPrivilegesArgs(this.setpriv, uid),
      spec.shell, '-c', spec.command,
    ]
    const args = [
      '--mount', '--propagation', 'private', '--',
      '/bin/sh', '-c', MOUNT_SCRIPT, 'tug-sandbox', this.tools.mount,
      `lowerdir=${spec.codeDir},upperdir=${upper},workdir=${work}`, merged,
      this.tools.bwrap, ...bwrapArgs,
    ]
    return {file: this.tools.unshare, args, dir, uid, release}
  }

  /**
   * Unmounts and removes every scratch directory under sandboxes/ but those of `keep` (the dyno
   * ids still running): what a control plane that died left behind.
   */
  async cleanLeftovers(keep: ReadonlySet<string> = new Set()): Promise<string[]> {
    let names: string[]
    try {
      names = readdirSync(this.root)
    } catch {
      return []
    }
    const mounted = mountPoints()
    const removed: string[] = []
    for (const name of names) {
      if (keep.has(name)) continue
      const merged = join(this.root, name, 'app')
      if (mounted.has(merged)) await unmount(merged)
      rmSync(join(this.root, name), {recursive: true, force: true})
      removed.push(name)
    }
    return removed
  }
}

/** `$1`: mount, `$2`: the overlay's options, `$3`: where; then exec the rest (bwrap ...). */
const MOUNT_SCRIPT = '"$1" -t overlay overlay -o "$2" "$3" || { echo "tug: could not mount the dyno\'s filesystem" >&2; exit 125; }; shift 3; exec "$@"'

/** `name`'s absolute path on the control plane's PATH (then /usr/sbin, /usr/bin, /sbin, /bin); `name` itself if absolute or not found. */
export function findTool(name: string, pathEnv: string | undefined = process.env.PATH): string {
  if (isAbsolute(name)) return name
  for (const dir of [...(pathEnv ?? '').split(delimiter).filter(isAbsolute), '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    const candidate = join(dir, name)
    try {
      accessSync(candidate, fsConstants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return name
}

/** Lazy: a sandbox that still holds it (a process stuck in the kernel) must not keep it on the host. */
async function unmount(path: string): Promise<void> {
  if (!existsSync(path)) return
  try {
    await run('umount', ['-l', path])
  } catch {
    // not mounted
  }
}

/** The host's mount points, from /proc/self/mounts (octal escapes decoded). */
export function mountPoints(): Set<string> {
  const points = new Set<string>()
  let text = ''
  try {
    text = readFileSync('/proc/self/mounts', 'utf8')
  } catch {
    return points
  }
  for (const line of text.split('\n')) {
    const field = line.split(' ')[1]
    if (field) points.add(field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
  }
  return points
}

/** Whether bubblewrap runs here as this user: the check `tug server` makes once at start. */
export async function checkSandbox(bwrap = 'bwrap'): Promise<{ok: true} | {ok: false; reason: string}> {
  if ((process.getuid?.() ?? -1) !== 0) return {ok: false, reason: 'the dyno sandbox needs the control plane to run as root (it mounts each dyno\'s filesystem and switches to an unprivileged uid)'}
  try {
    await run(bwrap, ['--ro-bind', '/', '/', '--unshare-pid', '--proc', '/proc', 'true'])
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return {ok: false, reason: 'bubblewrap (bwrap) is not installed'}
    return {ok: false, reason: `bubblewrap does not work here: ${(error as {stderr?: string}).stderr?.trim() || (error as Error).message}`}
  }
  if (!existsSync('/usr/bin/setpriv')) return {ok: false, reason: 'setpriv (util-linux) is not installed'}
  if (!isAbsolute(findTool('unshare'))) return {ok: false, reason: 'unshare (util-linux) is not installed'}
  return {ok: true}
}
