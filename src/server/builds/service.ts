// Sources and builds: a client asks for a source (two capability URLs on this server), PUTs a
// tar.gz to it, and asks for a build of it. The build runs in the background, one at a time per
// app: unpack into `<dataDir>/releases/<app-id>/<build-id>/`, remove what `.slugignore` lists, run
// the buildpacks over it (buildpack-runner.ts, through the runtime; the app's cache lives in
// `<dataDir>/cache/<app-id>/`), read the Procfile (its types win over the buildpacks' default
// ones), check the slug's size, make a release through the release service, then tell the
// runtime. A build that fails makes no release, so the app's current release stays as it was; its
// output says why.
import {createHash, randomBytes, timingSafeEqual} from 'node:crypto'
import {createWriteStream, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import type {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'

import type {Build, BuildCreateBody, Source} from '../../shared/api-types.js'
import {parseProcfile, ProcfileError} from '../../shared/procfile.js'
import {deployDescription} from '../../shared/source-version.js'
import {currentConfig} from '../domain/config-change.js'
import {DomainError, invalidParams, notFound} from '../domain/errors.js'
import type {LogRouter} from '../logs/index.js'
import {announceRelease} from '../logs/platform-events.js'
import {createRelease} from '../domain/releases.js'
import type {Runtime} from '../runtime/index.js'
import {newId, type AccountRecord, type AppRecord, type Store} from '../store/index.js'
import type {BuildpackResolver, ResolvedBuildpack} from './buildpack-contract.js'
import {BuildpackUrlError, HOST_DISK_ADMIN_ONLY, MAX_BUILDPACKS, parseBuildpackUrl, readsHostDisk} from './buildpack-url.js'
import {BuildpackError, DEFAULT_BUILD_TIMEOUT_MS, runBuildpacks} from './buildpack-runner.js'
import {CACHE_DIR, DEFAULT_KEEP_RELEASES, pruneReleaseCode} from './disk.js'
import {BuildOutput, readOutputLines} from './output.js'
import {BuildsRepository, SourcesRepository, type BuildpackRef, type BuildRecord, type SourceRecord} from './repository.js'
import {applySlugignore, DEFAULT_MAX_SLUG_BYTES, fileChecksum, formatSize, treeBytes} from './slug.js'
import {UnpackError, unpackTarball, type UnpackOptions} from './unpack.js'

export const DEFAULT_MAX_SOURCE_BYTES = 256 * 1024 * 1024
/** How long a source's put/get URL answers, as Heroku's (an hour). */
export const SOURCE_URL_TTL_MS = 60 * 60 * 1000
/** How long a build's output stream URL answers. */
export const OUTPUT_URL_TTL_MS = 24 * 60 * 60 * 1000

export interface BuildServiceOptions {
  /** Largest source blob accepted by the PUT (compressed), answered with 413 above it. */
  maxSourceBytes?: number
  /** Releases per app whose code stays on disk (default DEFAULT_KEEP_RELEASES); see disk.ts. */
  keepReleases?: number
  unpack?: UnpackOptions
  /** A build running longer is killed and fails (default Heroku's 15 minutes; `tug server --build-timeout`). */
  buildTimeoutMs?: number
  /** A bigger slug fails its build (default Heroku's 500 MB; `tug server --max-slug-size`). */
  maxSlugBytes?: number
}

export interface BuildServiceDeps {
  store: Store
  runtime: Runtime
  dataDir: string
  publicUrl: () => string
  log?: (message: string, error?: unknown) => void
  /** The app's log stream gets `Deploy ... by user ...` and `Release vN created ...`. */
  logs?: LogRouter
  /** Where buildpacks come from (the built-in ones, URLs); without it, no buildpack runs. */
  buildpacks?: BuildpackResolver
}

/** A capability token: 256 random bits, URL-safe. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/

function newToken(): string {
  return randomBytes(32).toString('base64url')
}

function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** Hashes compared in constant time, so that the time taken tells nothing of a stored one. */
function sameHash(stored: string | null, computed: string): boolean {
  if (stored === null || stored.length !== computed.length) return false
  return timingSafeEqual(Buffer.from(stored, 'utf8'), Buffer.from(computed, 'utf8'))
}

/** What only the request that made a build knows: its capability tokens in the clear. */
export interface MadeBuild {
  outputToken: string
  sourceUrl: string
}

/** A reason the build failed that its output shows as is (no stack, no internal detail). */
class BuildFailure extends Error {}

export class BuildService {
  readonly sources: SourcesRepository
  readonly builds: BuildsRepository
  private readonly maxSourceBytes: number
  private readonly keepReleases: number
  private readonly live = new Map<string, BuildOutput>()
  private readonly queues = new Map<string, Promise<void>>()
  private readonly uploading = new Set<string>()
  /** Aborted when the control plane closes: the running builds' buildpacks are killed. */
  private readonly stopping = new AbortController()
  private closed = false

  constructor(private readonly deps: BuildServiceDeps, private readonly options: BuildServiceOptions = {}) {
    this.sources = new SourcesRepository(deps.store.db, deps.store.clock)
    this.builds = new BuildsRepository(deps.store.db, deps.store.clock)
    this.maxSourceBytes = options.maxSourceBytes ?? DEFAULT_MAX_SOURCE_BYTES
    this.keepReleases = options.keepReleases ?? DEFAULT_KEEP_RELEASES
    // Nothing resumes a build across a restart; say so rather than leave it pending for ever.
    this.builds.failInterrupted('The build was interrupted by a restart of the control plane.')
    this.renameTokenNamedOutputs()
    this.collectGarbage()
  }

  /**
   * Removes files nothing refers to any more: code of deleted apps and of builds that did not
   * succeed (a crash mid-build), blobs of deleted or expired sources, outputs of deleted builds,
   * and partial uploads; and prunes each app's code to its last releases'. Run at start, when no
   * build or upload is in progress.
   */
  collectGarbage(): {removed: string[]} {
    const removed: string[] = []
    const remove = (path: string): void => {
      rmSync(path, {recursive: true, force: true})
      removed.push(path)
    }
    const list = (dir: string): string[] => {
      try {
        return readdirSync(dir)
      } catch {
        return []
      }
    }
    const releasesDir = join(this.deps.dataDir, 'releases')
    for (const appId of list(releasesDir)) {
      if (!this.deps.store.apps.get(appId)) {
        remove(join(releasesDir, appId))
        continue
      }
      for (const buildId of list(join(releasesDir, appId))) {
        if (this.builds.get(appId, buildId)?.status !== 'succeeded') remove(join(releasesDir, appId, buildId))
      }
      removed.push(...pruneReleaseCode(this.deps.store, this.deps.dataDir, appId, this.keepReleases))
    }
    removed.push(...this.removeExpiredBlobs())
    for (const name of list(this.sourcesDir)) {
      const match = /^([0-9a-f]{64})\.tgz$/.exec(name)
      if (name.startsWith('.upload-') || (match && !this.sources.get(match[1] as string)?.uploaded_at)) remove(join(this.sourcesDir, name))
    }
    for (const name of list(this.outputDir)) {
      if (name.endsWith('.log') && !this.builds.findByOutputPath(join(this.outputDir, name))) remove(join(this.outputDir, name))
      // A build's scratch space (ENV_DIR, buildpack copies): no build runs now.
      if (name.endsWith('.work')) remove(join(this.outputDir, name))
    }
    for (const appId of list(join(this.deps.dataDir, CACHE_DIR))) {
      if (!this.deps.store.apps.get(appId)) remove(join(this.deps.dataDir, CACHE_DIR, appId))
    }
    return {removed}
  }

  /**
   * Output files named after their token (before migration 5, which moved the token's hash into
   * the database) take their build's name, found by the hash of their old name.
   */
  private renameTokenNamedOutputs(): void {
    let names: string[]
    try {
      names = readdirSync(this.outputDir)
    } catch {
      return
    }
    for (const name of names) {
      const token = name.endsWith('.log') ? name.slice(0, -4) : ''
      if (!TOKEN.test(token)) continue
      const build = this.builds.findByOutputTokenHash(tokenHash(token))
      if (build?.output_path) renameSync(join(this.outputDir, name), build.output_path)
    }
  }

  /** Blobs of sources whose URLs have expired: nothing can build them any more. */
  private removeExpiredBlobs(): string[] {
    const before = new Date(this.deps.store.clock().getTime() - SOURCE_URL_TTL_MS)
    const removed: string[] = []
    for (const source of this.sources.listUploadedBefore(before)) {
      if (!existsSync(source.blob_path)) continue
      rmSync(source.blob_path, {force: true})
      removed.push(source.blob_path)
    }
    return removed
  }

  private get sourcesDir(): string {
    return join(this.deps.dataDir, 'sources')
  }

  private get outputDir(): string {
    return join(this.deps.dataDir, 'builds')
  }

  // ---- sources -------------------------------------------------------------------------------

  createSource(app: AppRecord): Source {
    const token = newToken()
    const id = tokenHash(token)
    mkdirSync(this.sourcesDir, {recursive: true, mode: 0o700})
    this.removeExpiredBlobs()
    this.sources.create({id, app_id: app.id, blob_path: join(this.sourcesDir, `${id}.tgz`)})
    const url = `${this.deps.publicUrl()}/sources/${token}/blob`
    return {source_blob: {get_url: url, put_url: url}}
  }

  /** The source a capability token names; a `gone` error once its URL has expired. */
  private sourceByToken(token: string): SourceRecord | undefined {
    if (!TOKEN.test(token)) return undefined
    const hash = tokenHash(token)
    const source = this.sources.get(hash)
    if (!source || !sameHash(source.id, hash)) return undefined
    if (this.expired(source.created_at, SOURCE_URL_TTL_MS)) {
      throw new DomainError('gone', 'This source URL has expired: source URLs last an hour. Create a new source with POST /apps/{app}/sources.')
    }
    return source
  }

  private expired(createdAt: string, ttlMs: number): boolean {
    return this.deps.store.clock().getTime() >= Date.parse(createdAt) + ttlMs
  }

  /** Streams an upload to its file; once written, a blob never changes (409 on a second PUT). */
  async receiveBlob(token: string, body: Readable, declaredLength: number | undefined): Promise<void> {
    const source = this.sourceByToken(token)
    if (!source) throw sourceNotFound()
    if (source.uploaded_at !== null || this.uploading.has(source.id)) throw blobWritten()
    if (declaredLength !== undefined && declaredLength > this.maxSourceBytes) throw tooLarge(this.maxSourceBytes)
    this.uploading.add(source.id)
    const temp = join(this.sourcesDir, `.upload-${newToken()}`)
    try {
      let bytes = 0
      const limit = this.maxSourceBytes
      const hash = createHash('sha256')
      await pipeline(
        body,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            bytes += chunk.length
            if (bytes > limit) throw tooLarge(limit)
            hash.update(chunk)
            yield chunk
          }
        },
        createWriteStream(temp, {mode: 0o400}),
      )
      // link() refuses to replace an existing file: the blob is written exactly once.
      try {
        linkSync(temp, source.blob_path)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw blobWritten()
        throw error
      }
      if (!this.sources.markUploaded(source.app_id, source.id, `SHA256:${hash.digest('hex')}`)) throw blobWritten()
    } finally {
      rmSync(temp, {force: true})
      this.uploading.delete(source.id)
    }
  }

  /** The uploaded blob's file, for the GET of the capability URL. */
  blobFile(token: string): string | undefined {
    const source = this.sourceByToken(token)
    if (!source?.uploaded_at) return undefined
    if (!existsSync(source.blob_path)) throw notFound('source', 'This source blob was deleted once it was built; its code is in the release the build made.')
    return source.blob_path
  }

  // ---- builds --------------------------------------------------------------------------------

  /**
   * Starts a build. The output stream's URL is in the answer to this request only (`made`):
   * the store keeps the hash of its token, as it does for the source's.
   */
  createBuild(app: AppRecord, account: AccountRecord, rawBody: unknown): {build: BuildRecord; made: MadeBuild} {
    if (this.closed) throw new DomainError('unavailable', 'The control plane is shutting down.')
    const body = validateBuildBody(rawBody)
    if (!account.admin && (body.buildpacks ?? []).some(readsHostDisk)) throw new DomainError('forbidden', HOST_DISK_ADMIN_ONLY)
    const source = this.sourceForUrl(body.source_blob.url)
    if (body.source_blob.checksum !== null && source.checksum !== null && body.source_blob.checksum.toLowerCase() !== source.checksum.toLowerCase()) {
      throw invalidParams(`source_blob.checksum does not match the uploaded blob, whose checksum is ${source.checksum}: upload it again, or leave the checksum out.`)
    }
    // The build's own list, else the app's installations; none: the built-in ones, detected.
    const urls = body.buildpacks ?? this.deps.store.buildpacks.list(app.id)
    const outputToken = newToken()
    const id = newId()
    mkdirSync(this.outputDir, {recursive: true, mode: 0o700})
    const build = this.builds.create({
      id,
      app_id: app.id,
      // The URL as given but for its token, which becomes its hash (the source's id).
      source_url: body.source_blob.url.replace(/\/sources\/[^/]+\/blob$/, `/sources/${source.id}/blob`),
      output_path: join(this.outputDir, `${id}.log`),
      output_token_hash: tokenHash(outputToken),
      user_id: account.id,
      source_checksum: source.checksum,
      source_version: body.source_blob.version,
      buildpacks: urls.length > 0 ? urls.map((url) => ({url, name: url})) : null,
    })
    const output = new BuildOutput(build.output_path as string)
    this.live.set(build.output_path as string, output)
    const description = deployDescription(body.source_blob.version, build.id)
    const previous = this.queues.get(app.id) ?? Promise.resolve()
    const next = previous.then(() => this.run(build, source, output, description, urls))
    this.queues.set(app.id, next)
    void next.finally(() => {
      if (this.queues.get(app.id) === next) this.queues.delete(app.id)
    })
    return {build, made: {outputToken, sourceUrl: body.source_blob.url}}
  }

  private sourceForUrl(url: string): SourceRecord {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw invalidParams('source_blob.url must be a URL.')
    }
    const match = /^\/sources\/([^/]+)\/blob$/.exec(parsed.pathname)
    let source: SourceRecord | undefined
    try {
      source = match ? this.sourceByToken(match[1] as string) : undefined
    } catch (error) {
      if (error instanceof DomainError && error.code === 'gone') throw invalidParams(`source_blob.url has expired (source URLs last an hour): create a new source and upload it again.`)
      throw error
    }
    if (!source) {
      throw invalidParams('source_blob.url must be a source URL from POST /apps/{app}/sources on this control plane.')
    }
    if (!source.uploaded_at) throw invalidParams('The source blob has not been uploaded yet: PUT it to the put_url first.')
    if (!existsSync(source.blob_path)) {
      throw invalidParams('This source was built already and its blob deleted (its code is in that release): create a new source and upload it again.')
    }
    return source
  }

  private async run(build: BuildRecord, source: SourceRecord, output: BuildOutput, description: string, urls: readonly string[]): Promise<void> {
    const {store, runtime, dataDir} = this.deps
    const dir = join(dataDir, 'releases', build.app_id, build.id)
    let released = false
    try {
      output.line('-----> Unpacking the source')
      let unpacked
      try {
        unpacked = await unpackTarball(source.blob_path, dir, this.options.unpack)
      } catch (error) {
        if (error instanceof UnpackError) throw new BuildFailure(`The source could not be unpacked: ${error.message}`)
        throw error
      }
      output.line(`       ${unpacked.files} ${unpacked.files === 1 ? 'file' : 'files'}, ${unpacked.bytes} bytes`)
      // A source uploaded before checksums were kept (migration 7) is hashed now.
      if (build.source_checksum === null) this.builds.setSourceChecksum(build.app_id, build.id, await fileChecksum(source.blob_path))
      const ignored = applySlugignore(dir)
      if (ignored.removed > 0) output.line(`-----> Removed ${ignored.removed} ${ignored.removed === 1 ? 'path' : 'paths'} that .slugignore lists`)
      for (const line of ignored.skipped) output.line(`       .slugignore: ${line} ignored (negations are not supported, as on Heroku)`)
      const ran = await this.runBuildpacks(build, dir, urls, output)
      const types = processTypes(dir, ran)
      output.line('-----> Discovering process types')
      output.line(`       Procfile declares types -> ${types.procfile.length > 0 ? types.procfile.join(', ') : '(none)'}`)
      if (ran.used.length > 0) {
        const last = ran.used.at(-1) as ResolvedBuildpack
        output.line(`       Default types for buildpack -> ${Object.keys(ran.defaultProcessTypes).join(', ') || '(none)'}${ran.used.length > 1 ? ` (from ${last.name}, the last)` : ''}`)
      }
      output.line(`       Process types: ${types.all.map((t) => `${t.name} (${t.command})`).join(', ')}`)
      const slugSize = treeBytes(dir)
      const maxSlug = this.options.maxSlugBytes ?? DEFAULT_MAX_SLUG_BYTES
      output.line(`-----> Slug size: ${formatSize(slugSize)}`)
      if (slugSize > maxSlug) {
        throw new BuildFailure(
          `The slug is ${formatSize(slugSize)}, above this control plane's limit of ${formatSize(maxSlug)}. List what the app does not need at run time in a .slugignore file, or raise the limit (tug server --max-slug-size).`,
        )
      }
      output.line('-----> Releasing')
      const release = store.transaction(() => {
        if (!store.apps.get(build.app_id)) throw new BuildFailure('The app was deleted during the build.')
        const made = createRelease(store, {
          appId: build.app_id,
          description,
          slugId: build.id,
          codeDir: dir,
          processTypes: types.all,
          user: {id: build.user_id as string},
        })
        this.builds.finish(build.app_id, build.id, {status: 'succeeded', release_id: made.id, slug_size: slugSize})
        return made
      })
      released = true
      if (this.deps.logs) announceRelease(this.deps.logs, build.app_id, release, store.accounts.get(release.user_id)?.email ?? 'unknown')
      output.line(`       Released v${release.version}`)
      // The release's code is unpacked: the blob is no longer needed.
      rmSync(source.blob_path, {force: true})
      try {
        await runtime.releaseChanged(build.app_id)
      } catch (error) {
        // The release is made and current; the runtime converges again on its next change.
        this.deps.log?.(`runtime.releaseChanged failed after build ${build.id}`, error)
        output.line(`!      The release is made, but the dynos could not be restarted onto it: ${(error as Error).message}`)
      }
      // After the restart, so that fewer dynos still run old code (those that do keep it for now).
      try {
        pruneReleaseCode(store, dataDir, build.app_id, this.keepReleases)
      } catch (error) {
        this.deps.log?.(`could not prune old release code after build ${build.id}`, error)
      }
    } catch (error) {
      const known = error instanceof BuildFailure || error instanceof ProcfileError || error instanceof BuildpackError
      const message = known ? error.message : `Internal error: ${(error as Error).message}`
      if (!known) this.deps.log?.(`build ${build.id} failed`, error)
      output.line(`!      ${message}`)
      output.line('!      Build failed: the current release is unchanged.')
      try {
        this.builds.finish(build.app_id, build.id, {status: 'failed', error: message})
      } catch (finishError) {
        this.deps.log?.(`could not record the failure of build ${build.id}`, finishError)
      }
      if (!released) rmSync(dir, {recursive: true, force: true})
    } finally {
      output.finish()
      this.live.delete(output.file)
      // An app destroyed mid-build: its files went with it, and the lines since recreated this one.
      if (!store.apps.get(build.app_id)) rmSync(output.file, {force: true})
    }
  }

  /**
   * The buildpacks over the build directory: the URLs given (each must apply, all run) or, with
   * none, the built-in ones (the first that applies runs). None that applies is not a failure here:
   * the Procfile then has to say it all.
   */
  private async runBuildpacks(build: BuildRecord, dir: string, urls: readonly string[], output: BuildOutput): Promise<{used: ResolvedBuildpack[]; defaultProcessTypes: Record<string, string>}> {
    const {store, runtime, dataDir} = this.deps
    const resolver = this.deps.buildpacks
    const say = (line: string): void => output.line(line)
    let buildpacks: ResolvedBuildpack[]
    if (urls.length > 0) {
      if (!resolver) throw new BuildFailure('This control plane cannot fetch buildpacks: it was started without a buildpack resolver.')
      try {
        buildpacks = await resolver.resolve(urls, say)
      } catch (error) {
        throw new BuildFailure((error as Error).message)
      }
    } else {
      buildpacks = resolver?.builtins() ?? []
    }
    const openBuild = runtime.openBuild?.bind(runtime)
    if (buildpacks.length > 0 && !openBuild) throw new BuildFailure("This control plane's runtime cannot run buildpacks.")
    const ran = buildpacks.length === 0 || !openBuild
      ? {used: [], defaultProcessTypes: {}}
      : await runBuildpacks({
          openBuild,
          appId: build.app_id,
          buildId: build.id,
          buildDir: dir,
          cacheDir: join(dataDir, CACHE_DIR, build.app_id),
          workDir: join(this.outputDir, `${build.id}.work`),
          config: currentConfig(store, store.apps.get(build.app_id) ?? {id: build.app_id, current_release_id: null}),
          env: {STACK: store.apps.get(build.app_id)?.build_stack ?? 'heroku-24', ...(build.source_version ? {SOURCE_VERSION: build.source_version} : {})},
          buildpacks,
          mode: urls.length > 0 ? 'all' : 'first',
          timeoutMs: this.options.buildTimeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS,
          say,
          signal: this.stopping.signal,
        })
    if (buildpacks.length > 0 && ran.used.length === 0) output.line('-----> No buildpack applies; using the Procfile as is')
    this.builds.setBuildpacks(build.app_id, build.id, ran.used.map(({url, name}) => ({url, name})))
    return ran
  }

  /**
   * The build on the wire. Its capability URLs are known only to the request that made it
   * (`made`); later answers give the output stream's URL as null and the source's with its hash.
   */
  buildToWire(app: AppRecord, build: BuildRecord, made?: MadeBuild): Build {
    const email = build.user_id ? (this.deps.store.accounts.get(build.user_id)?.email ?? '') : ''
    return {
      app: {id: app.id},
      buildpacks: build.buildpacks === null ? null : (JSON.parse(build.buildpacks) as BuildpackRef[]),
      created_at: build.created_at,
      id: build.id,
      output_stream_url: made ? `${this.deps.publicUrl()}/build-output/${made.outputToken}` : null,
      release: build.release_id ? {id: build.release_id} : null,
      slug: build.status === 'succeeded' ? {id: build.id} : null,
      source_blob: {checksum: build.source_checksum, url: made?.sourceUrl ?? build.source_url, version: build.source_version, version_description: null},
      stack: app.build_stack,
      status: build.status,
      updated_at: build.updated_at,
      user: {id: build.user_id ?? '', email},
    }
  }

  // ---- output streams ------------------------------------------------------------------------

  /**
   * The output of the build whose stream token is `token`: the lines so far, and (while it runs)
   * a subscription to the rest. Undefined for an unknown token.
   */
  openOutput(token: string):
    | {lines: string[]; follow?: (onLine: (line: string, seq: number) => void, onEnd: () => void) => () => void}
    | undefined {
    if (!TOKEN.test(token)) return undefined
    const hash = tokenHash(token)
    const build = this.builds.findByOutputTokenHash(hash)
    if (!build?.output_path || !sameHash(build.output_token_hash, hash)) return undefined
    if (this.expired(build.created_at, OUTPUT_URL_TTL_MS)) {
      throw new DomainError('gone', "This build output URL has expired: build output URLs last a day. The build's status is still at GET /apps/{app}/builds/{id}.")
    }
    const file = build.output_path
    const live = this.live.get(file)
    // Read, then subscribe, in the same tick: appends are synchronous, so nothing falls between.
    const lines = readOutputLines(file)
    if (!live || live.finished) return {lines}
    return {lines, follow: (onLine, onEnd) => live.subscribe(onLine, onEnd)}
  }

  /** Waits for the builds that are running or queued (tests, and a clean shutdown). */
  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.allSettled([...this.queues.values()])
  }

  async close(): Promise<void> {
    this.closed = true
    this.stopping.abort()
    await this.idle()
  }
}

/** The app's config vars as its current release has them: what ENV_DIR holds. */
/**
 * The release's process types: the Procfile's, then the buildpacks' default ones it lacks (the
 * Procfile wins, as on Heroku). A missing Procfile is fine when a buildpack named defaults.
 */
function processTypes(dir: string, ran: {used: readonly ResolvedBuildpack[]; defaultProcessTypes: Record<string, string>}): {all: Array<{name: string; command: string}>; procfile: string[]} {
  const file = join(dir, 'Procfile')
  const stat = lstatSync(file, {throwIfNoEntry: false})
  if (stat && !stat.isFile()) throw new BuildFailure('The Procfile at the root of the source is not a regular file.')
  const declared = stat ? parseProcfile(readFileSync(file, 'utf8')).map(({name, command}) => ({name, command})) : []
  const all = [...declared]
  for (const [name, command] of Object.entries(ran.defaultProcessTypes)) if (!all.some((t) => t.name === name)) all.push({name, command})
  if (all.length === 0) {
    if (ran.used.length === 0) {
      throw new BuildFailure('No Procfile at the root of the source, and no buildpack applies to it. Add a Procfile with a line such as `web: node server.js`, or set a buildpack (tug buildpacks:set).')
    }
    throw new BuildFailure(`No Procfile at the root of the source, and the buildpacks (${ran.used.map((b) => b.name).join(', ')}) name no default process types. Add a Procfile with a line such as \`web: node server.js\`.`)
  }
  return {all, procfile: declared.map((t) => t.name)}
}

const BODY_FIELDS = new Set(['source_blob', 'buildpacks'])
const SOURCE_BLOB_FIELDS = new Set(['url', 'checksum', 'version', 'version_description'])

interface ValidBuildBody {
  source_blob: {url: string; checksum: string | null; version: string | null}
  /** The build's own buildpacks (their URLs), or null: the app's. */
  buildpacks: string[] | null
}

function validateBuildBody(body: unknown): ValidBuildBody {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidParams('Request body must be a JSON object with source_blob.url.')
  }
  const record = body as Record<string, unknown>
  for (const key of Object.keys(record)) if (!BODY_FIELDS.has(key)) throw invalidParams(`Unknown field: ${key}.`)
  const buildpacks = validateBuildpacks(record.buildpacks)
  const blob = record.source_blob
  if (blob === null || typeof blob !== 'object' || Array.isArray(blob)) throw invalidParams('source_blob is required and must be an object.')
  const fields = blob as Record<string, unknown> & BuildCreateBody['source_blob']
  for (const key of Object.keys(fields)) if (!SOURCE_BLOB_FIELDS.has(key)) throw invalidParams(`Unknown field: source_blob.${key}.`)
  if (typeof fields.url !== 'string' || fields.url === '') throw invalidParams('source_blob.url is required and must be a string.')
  for (const key of ['checksum', 'version', 'version_description'] as const) {
    const value = fields[key as keyof typeof fields]
    if (value !== undefined && value !== null && typeof value !== 'string') throw invalidParams(`source_blob.${key} must be a string or null.`)
  }
  return {
    source_blob: {
      url: fields.url,
      checksum: typeof fields.checksum === 'string' ? fields.checksum : null,
      version: typeof fields.version === 'string' ? fields.version : null,
    },
    buildpacks,
  }
}

/** Heroku's `buildpacks: [{url, name?}]`; an empty list or none means the app's. */
function validateBuildpacks(value: unknown): string[] | null {
  if (value === undefined || value === null) return null
  const shape = 'buildpacks must be an array of objects with a url, as [{"url": "heroku/nodejs"}]'
  if (!Array.isArray(value)) throw invalidParams(`${shape}.`)
  const urls = value.map((item: unknown, index) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw invalidParams(`${shape}; item ${index + 1} is not an object.`)
    const {url, name, ...rest} = item as Record<string, unknown>
    const unknown = Object.keys(rest)[0]
    if (unknown !== undefined) throw invalidParams(`Unknown field: buildpacks[${index}].${unknown}.`)
    if (typeof url !== 'string' || url.trim() === '') throw invalidParams(`${shape}; item ${index + 1} has no url.`)
    if (name !== undefined && name !== null && typeof name !== 'string') throw invalidParams(`buildpacks[${index}].name must be a string.`)
    try {
      parseBuildpackUrl(url.trim())
    } catch (error) {
      if (error instanceof BuildpackUrlError) throw invalidParams(`buildpacks[${index}]: ${error.message}`)
      throw error
    }
    return url.trim()
  })
  if (urls.length > MAX_BUILDPACKS) throw invalidParams(`A build can use at most ${MAX_BUILDPACKS} buildpacks; ${urls.length} were given.`)
  return urls.length > 0 ? urls : null
}

function sourceNotFound(): DomainError {
  return notFound('source', "Couldn't find that source.")
}

function blobWritten(): DomainError {
  return new DomainError('conflict', 'This source blob has already been uploaded; sources are immutable. Create a new source.')
}

function tooLarge(limit: number): DomainError {
  return new DomainError('too_large', `Source blob is too large: the limit is ${limit} bytes.`)
}
