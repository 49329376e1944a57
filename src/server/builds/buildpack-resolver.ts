// Where buildpacks come from (issue 15): tug's built-in ones (the package's buildpacks/ directory),
// a directory on the control plane's machine, a file:// tarball, an https:// tarball, or a git
// repository. Remote ones are fetched at every build, as Heroku does, each fetch into a directory
// of its own under <dataDir>/buildpacks/<sha256 of the URL>/, so that a build still running an
// older copy keeps it; copies older than any build can run are removed at the next fetch.
import {execFile} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {createWriteStream, existsSync, readFileSync} from 'node:fs'
import {access, constants, mkdir, readdir, realpath, rename, rm, stat} from 'node:fs/promises'
import {lookup as dnsLookupAll} from 'node:dns/promises'
import {get as httpsGet} from 'node:https'
import {dirname, join, resolve, sep} from 'node:path'
import {pipeline} from 'node:stream/promises'
import {rootCertificates} from 'node:tls'
import {fileURLToPath, pathToFileURL} from 'node:url'
import type {BuildpackResolver, ResolvedBuildpack} from './buildpack-contract.js'
import {BUILTIN_BUILDPACKS, BuildpackUrlError, parseBuildpackUrl, redactBuildpackUrl, type BuildpackSource} from './buildpack-url.js'
import {addressProblem, guardedLookup, hostProblem} from '../logs/drains/address-policy.js'
import {unpackTarball} from './unpack.js'

export interface BuildpackResolverOptions {
  /** The control plane's data directory; fetched buildpacks go under its buildpacks/. */
  dataDir: string
  /** Where the built-in buildpacks are (default: buildpacks/ at the package's root). */
  builtinsDir?: string
  /** Extra CA certificates (PEM) trusted for https downloads, on top of Node's and NODE_EXTRA_CA_CERTS. */
  ca?: string | Buffer
  /** Largest tarball downloaded (default 100 MB). */
  maxDownloadBytes?: number
  /** Largest unpacked tarball (default 512 MB). */
  maxUnpackedBytes?: number
  /** Limit on one fetch: a download or a clone (default 5 minutes). */
  timeoutMs?: number
  /** A fetched copy older than this is removed at the next fetch of its URL (default 2 hours: longer than a build's limit). */
  keepFetchedMs?: number
  /**
   * Fetch from loopback, link-local and private addresses too (`tug server
   * --allow-private-buildpacks`: a git server on the local network). By default a buildpack URL
   * reaches public addresses only: the control plane fetches as root, beside the add-ons' servers.
   */
  allowPrivate?: boolean
}

const DEFAULT_MAX_DOWNLOAD = 100 * 1024 * 1024
const DEFAULT_MAX_UNPACKED = 512 * 1024 * 1024
const DEFAULT_TIMEOUT_MS = 5 * 60_000
const DEFAULT_KEEP_MS = 2 * 60 * 60_000
const MAX_REDIRECTS = 5

/** The package's root: the nearest directory above this file with a package.json (works from src/ and dist/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir)
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`)
    dir = up
  }
  return dir
}

export class LocalBuildpackResolver implements BuildpackResolver {
  private readonly builtinsDir: string
  private readonly cacheDir: string

  constructor(private readonly options: BuildpackResolverOptions) {
    this.builtinsDir = options.builtinsDir ?? join(packageRoot(), 'buildpacks')
    this.cacheDir = join(options.dataDir, 'buildpacks')
  }

  builtins(): ResolvedBuildpack[] {
    return BUILTIN_BUILDPACKS.map((b) => ({url: b.name, name: b.name, dir: join(this.builtinsDir, b.dirName)}))
  }

  async resolve(urls: readonly string[], say: (line: string) => void): Promise<ResolvedBuildpack[]> {
    const resolved: ResolvedBuildpack[] = []
    for (const url of urls) {
      const shown = redactBuildpackUrl(url)
      try {
        const dir = await this.fetch(url, parseBuildpackUrl(url), say)
        await checkLayout(dir)
        resolved.push({url, name: shown, dir})
      } catch (error) {
        if (error instanceof BuildpackUrlError) throw error
        const message = error instanceof Error ? error.message : String(error)
        throw new Error(`buildpack ${shown}: ${message}`, {cause: error})
      }
    }
    return resolved
  }

  private async fetch(url: string, source: BuildpackSource, say: (line: string) => void): Promise<string> {
    switch (source.kind) {
      case 'builtin':
        return join(this.builtinsDir, source.dirName)
      case 'local': {
        const path = await this.localPath(source.path)
        const info = await stat(path).catch(() => undefined)
        if (!info) throw new Error(`${source.path} does not exist on the control plane's machine`)
        if (info.isDirectory()) return path
        if (!/\.(tgz|tar\.gz|tar)$/.test(path)) throw new Error(`${source.path} is neither a directory nor a .tgz/.tar.gz tarball`)
        return this.fetchInto(url, say, async (dest) => {
          await unpackTarball(path, dest, {maxBytes: this.options.maxUnpackedBytes ?? DEFAULT_MAX_UNPACKED})
        })
      }
      case 'tarball':
        return this.fetchInto(url, say, async (dest) => {
          const file = `${dest}.download`
          try {
            await this.download(source.url, file)
            await unpackTarball(file, dest, {maxBytes: this.options.maxUnpackedBytes ?? DEFAULT_MAX_UNPACKED})
          } finally {
            await rm(file, {force: true})
          }
        })
      case 'git':
        if (source.url.startsWith('file:')) {
          const path = await this.localPath(decodeURIComponent(new URL(source.url).pathname))
          return this.fetchInto(url, say, (dest) => this.clone(pathToFileURL(path).href, source.ref, dest))
        }
        return this.fetchInto(url, say, (dest) => this.clone(source.url, source.ref, dest))
    }
  }

  /**
   * A local buildpack's real path, links followed, which is what is used from then on. Refused:
   * a path that cannot be resolved (fail closed), one under /proc, /sys or /dev (a dyno's
   * /proc/<pid>/root would lead into its sandbox, and from there anywhere), and one inside the
   * data directory, which holds every app's sources, git repositories and config: a buildpack
   * from there would hand one app's build another's files.
   */
  private async localPath(path: string): Promise<string> {
    const target = await realpath(path).catch(() => {
      throw new Error(`${path} does not exist on the control plane's machine (or cannot be resolved)`)
    })
    const data = await realpath(this.options.dataDir).catch(() => resolve(this.options.dataDir))
    for (const system of ['/proc', '/sys', '/dev']) {
      if (target === system || target.startsWith(system + sep)) throw new Error(`${path} is under ${system}, which no buildpack may come from`)
    }
    if (target === data || target.startsWith(data + sep)) throw new Error(`${path} is inside the control plane's data directory, which no buildpack may come from`)
    return target
  }

  /** Runs `fill` into a new directory for this URL, then gives the buildpack's root in it. */
  private async fetchInto(url: string, say: (line: string) => void, fill: (dest: string) => Promise<void>): Promise<string> {
    say(`-----> Fetching buildpack ${redactBuildpackUrl(url)}`)
    const home = join(this.cacheDir, createHash('sha256').update(url).digest('hex'))
    await mkdir(home, {recursive: true, mode: 0o700})
    await this.pruneOld(home)
    const name = `${Date.now()}-${randomBytes(4).toString('hex')}`
    const partial = join(home, `${name}.partial`)
    try {
      await fill(partial)
    } catch (error) {
      await rm(partial, {recursive: true, force: true})
      throw error
    }
    const done = join(home, name)
    await rename(partial, done)
    return topDirectory(done)
  }

  private async pruneOld(home: string): Promise<void> {
    const keepMs = this.options.keepFetchedMs ?? DEFAULT_KEEP_MS
    for (const entry of await readdir(home)) {
      const made = Number(entry.split('-')[0])
      if (Number.isFinite(made) && Date.now() - made > keepMs) await rm(join(home, entry), {recursive: true, force: true})
    }
  }

  private download(url: string, file: string): Promise<void> {
    const maxBytes = this.options.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    const ca = trustedCas(this.options.ca)
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(new Error(`the download took longer than ${Math.round(timeoutMs / 1000)} s`)), timeoutMs)

    const attempt = (current: string, redirects: number): Promise<void> =>
      new Promise<void>((resolveGet, rejectGet) => {
        // An IP literal is connected to without a lookup: judged here; a name, by the lookup.
        const host = new URL(current).hostname
        const literal = this.options.allowPrivate ? undefined : hostProblem(host)
        if (literal !== undefined) return rejectGet(new Error(`${host} is ${literal}: ${PRIVATE_HINT}`))
        const lookup = this.options.allowPrivate ? undefined : guardedLookup(undefined, (name, address, problem) => new Error(`${name} resolves to ${address}, ${problem}: ${PRIVATE_HINT}`))
        const request = httpsGet(current, {ca, agent: false, ...(lookup ? {lookup} : {}), signal: controller.signal, headers: {'user-agent': 'tug buildpack fetcher'}}, (response) => {
          const status = response.statusCode ?? 0
          if (status >= 300 && status < 400 && response.headers.location) {
            response.resume()
            if (redirects >= MAX_REDIRECTS) return rejectGet(new Error(`more than ${MAX_REDIRECTS} redirects`))
            const next = new URL(response.headers.location, current)
            if (next.protocol !== 'https:') return rejectGet(new Error(`redirected to ${next.protocol} (only https is followed)`))
            return resolveGet(attempt(next.href, redirects + 1))
          }
          if (status !== 200) {
            response.resume()
            return rejectGet(new Error(`the download answered HTTP ${status}`))
          }
          const length = Number(response.headers['content-length'])
          if (length > maxBytes) {
            response.destroy()
            return rejectGet(new Error(`the tarball is ${length} bytes, over the ${maxBytes}-byte limit`))
          }
          let received = 0
          response.on('data', (chunk: Buffer) => {
            received += chunk.length
            if (received > maxBytes) response.destroy(new Error(`the tarball is over the ${maxBytes}-byte limit`))
          })
          pipeline(response, createWriteStream(file, {mode: 0o600})).then(resolveGet, rejectGet)
        })
        request.on('error', (error) => rejectGet(controller.signal.aborted ? (controller.signal.reason as Error) : error))
      })

    return attempt(url, 0).finally(() => clearTimeout(timer))
  }

  private async clone(url: string, ref: string | undefined, dest: string): Promise<void> {
    if (!this.options.allowPrivate && !url.startsWith('file:')) await refusePrivateHost(gitHost(url))
    await mkdir(dirname(dest), {recursive: true})
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    const git = (args: string[], cwd?: string): Promise<void> =>
      new Promise((resolveGit, rejectGit) => {
        execFile(
          'git',
          args,
          {
            cwd,
            timeout: timeoutMs,
            killSignal: 'SIGKILL',
            maxBuffer: 1024 * 1024,
            // Never a prompt for a password or a host key: a build has no one to answer it.
            env: {...process.env, GIT_TERMINAL_PROMPT: '0', GIT_SSH_COMMAND: 'ssh -o BatchMode=yes', GIT_ASKPASS: 'true'},
          },
          (error, _stdout, stderr) => {
            if (!error) return resolveGit()
            if (error.killed) return rejectGit(new Error(`git took longer than ${Math.round(timeoutMs / 1000)} s`))
            const said = String(stderr).trim().split('\n').filter((l) => l.trim() !== '').slice(-3).join('; ')
            rejectGit(new Error(`git ${args[0] ?? ''} failed: ${redactBuildpackUrl(said) || error.message}`))
          },
        )
      })
    // A commit cannot be cloned with --branch: fetch the whole history, then check it out.
    if (ref !== undefined && /^[0-9a-f]{7,40}$/.test(ref)) {
      await git(['clone', '--quiet', '--no-checkout', '--', url, dest])
      await git(['-c', 'advice.detachedHead=false', 'checkout', '--quiet', ref, '--'], dest)
    } else {
      await git(['clone', '--quiet', '--depth', '1', ...(ref === undefined ? [] : ['--branch', ref]), '--', url, dest])
    }
    await rm(join(dest, '.git'), {recursive: true, force: true})
  }
}

/** Node's roots, NODE_EXTRA_CA_CERTS's (Node adds them only when `ca` is not given) and `extra`; undefined for Node's defaults. */
function trustedCas(extra: string | Buffer | undefined): string[] | undefined {
  if (extra === undefined) return undefined
  const cas = [...rootCertificates, extra.toString()]
  const envFile = process.env.NODE_EXTRA_CA_CERTS
  if (envFile) {
    try {
      cas.push(readFileSync(envFile, 'utf8'))
    } catch {
      // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS.
    }
  }
  return cas
}

/**
 * The buildpack's root in what was unpacked or cloned: Heroku's tarballs often hold one top
 * directory (`heroku-buildpack-go-1.2/bin/...`), used when bin/ is inside it.
 */
async function topDirectory(dir: string): Promise<string> {
  if (existsSync(join(dir, 'bin'))) return dir
  const entries = await readdir(dir, {withFileTypes: true})
  const only = entries.length === 1 ? entries[0] : undefined
  if (only?.isDirectory() && existsSync(join(dir, only.name, 'bin'))) return join(dir, only.name)
  return dir
}

/** Throws naming what is missing unless `dir` has an executable bin/detect and bin/compile. */
async function checkLayout(dir: string): Promise<void> {
  const missing: string[] = []
  const notExecutable: string[] = []
  for (const script of ['bin/detect', 'bin/compile']) {
    const path = resolve(dir, script)
    const info = await stat(path).catch(() => undefined)
    if (!info?.isFile()) missing.push(script)
    else if (!(await access(path, constants.X_OK).then(() => true, () => false)) || (info.mode & 0o111) === 0) notExecutable.push(script)
  }
  if (missing.length > 0) {
    throw new Error(`it has no ${missing.join(' and no ')} (a buildpack needs executable bin/detect and bin/compile; bin/release is optional)`)
  }
  if (notExecutable.length > 0) throw new Error(`${notExecutable.join(' and ')} ${notExecutable.length === 1 ? 'is' : 'are'} not executable (chmod +x)`)
}

const PRIVATE_HINT = 'buildpacks are fetched from public addresses only; start the control plane with --allow-private-buildpacks to allow a server on this machine or the local network'

/** The host a git URL names (`https://h/x.git`, `git://h:9418/x`, `ssh://u@h/x`, `u@h:x.git`). */
function gitHost(url: string): string {
  const scp = /^[^/@:]+@([^/:]+):/.exec(url)
  if (scp && !url.includes('://')) return scp[1] as string
  return new URL(url).hostname
}

/**
 * Refuses a host that is, or resolves only to, a loopback, link-local or private address (git
 * resolves the name again itself: this is no guard against a name that changes its answer).
 */
async function refusePrivateHost(host: string): Promise<void> {
  const literal = hostProblem(host)
  if (literal !== undefined) throw new Error(`${host} is ${literal}: ${PRIVATE_HINT}`)
  const addresses = await dnsLookupAll(host, {all: true}).catch(() => [])
  const refused = addresses.find((a) => addressProblem(a.address) !== undefined)
  if (refused) throw new Error(`${host} resolves to ${refused.address}, ${addressProblem(refused.address)}: ${PRIVATE_HINT}`)
}
