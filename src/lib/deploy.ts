// `tug deploy`: pack a directory, upload it as a source, build it, stream the build output, wait
// for the build to finish, and then for the release phase (a `release:` process type), so that
// what runs after `tug deploy` in a script finds the new release current.
import type {ApiClient} from './api/client.js'
import {readLogStream, type ReadLogStreamOptions, type StreamLine} from './api/stream.js'
import type {Build, Release} from './api/types.js'
import {RuntimeError} from './errors.js'
import {parseLogLine, PLATFORM_SOURCES} from './log-line.js'

export interface DeploySteps {
  pack(dir: string): Promise<{data: Buffer; files: number}>
  /** Streams the build output (non-tail); the promise ends with the stream. */
  streamOutput(url: string): Promise<void>
  sleep(ms: number): Promise<void>
  /** Wraps a step with a progress line; by default just runs it. */
  action<R>(title: string, work: () => Promise<R>, done?: (result: R) => string): Promise<R>
  /** A line of progress (stderr). */
  info(text: string): void
  /**
   * Prints the release phase's output while it runs (followReleasePhase); resolves at its end or
   * when `signal` aborts. Without it, deploy only waits.
   */
  followRelease?(release: Release, signal: AbortSignal): Promise<void>
}

/** After the release phase has decided, how long its output may take to arrive in full. */
const OUTPUT_GRACE_MS = 3000

export interface DeployResult {
  build: Build
  release?: Release
}

type DeployApi = Pick<ApiClient, 'sources' | 'builds' | 'releases'>

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

export async function deploy(
  api: DeployApi,
  app: string,
  dir: string,
  steps: DeploySteps,
  options: {pollMs?: number; version?: string} = {},
): Promise<DeployResult> {
  const pollMs = options.pollMs ?? 1000
  const packed = await steps.action(`Packing ${dir}`, () => steps.pack(dir), (p) => `done, ${p.files} ${p.files === 1 ? 'file' : 'files'} (${formatBytes(p.data.length)})`)
  if (packed.files === 0) throw new RuntimeError(`Nothing to deploy in ${dir}: every file is ignored or the directory is empty.`)
  const source = await steps.action('Uploading source', async () => {
    const created = await api.sources.create(app)
    await api.sources.upload(created.source_blob.put_url, packed.data)
    return created
  })
  let build = await steps.action(`Building ${app}`, () => api.builds.create(app, {source_blob: {url: source.source_blob.get_url, ...(options.version ? {version: options.version} : {})}}), (b) => `started, build ${b.id}`)
  if (build.output_stream_url) await steps.streamOutput(build.output_stream_url)
  while (build.status === 'pending') {
    build = await api.builds.info(app, build.id)
    if (build.status === 'pending') await steps.sleep(pollMs)
  }
  if (build.status === 'failed') {
    throw new RuntimeError(`The build of ${app} failed (build ${build.id}).`, {hint: 'The build output above says why.'})
  }
  let release = build.release ? await api.releases.info(app, build.release.id) : undefined
  if (release?.status === 'pending') {
    const pending = release
    steps.info(`Running release phase of v${pending.version}...`)
    const settled = settledRelease(api, app, pending.id, steps.sleep, pollMs)
    if (steps.followRelease) {
      const stop = new AbortController()
      const output = steps.followRelease(pending, stop.signal).catch(() => undefined)
      // The output ends with the phase's own last line; a lagging stream gets a little longer.
      await settled.catch(() => undefined)
      const grace = setTimeout(() => stop.abort(), OUTPUT_GRACE_MS)
      await output
      clearTimeout(grace)
    }
    release = await steps.action(`Waiting for release v${pending.version}`, () => settled, (r) => (r.status === 'succeeded' ? 'done' : r.status))
    if (release.status === 'succeeded' && !release.current) {
      steps.info(`Warning: v${release.version} passed its release phase, but another release became current meanwhile (a rollback); \`tug releases -a ${app}\` shows which.`)
    }
  }
  if (release?.status === 'failed') {
    throw new RuntimeError(`The release phase of v${release.version} on ${app} failed, so v${release.version} did not become current.`, {
      hint: `Its output is in \`tug logs -a ${app} --dyno release\`.`,
    })
  }
  return {build, release}
}

/** Polls a release until its release phase has decided (succeeded or failed). */
async function settledRelease(api: DeployApi, app: string, id: string, sleep: (ms: number) => Promise<void>, pollMs: number): Promise<Release> {
  for (;;) {
    await sleep(pollMs)
    const release = await api.releases.info(app, id)
    if (release.status !== 'pending') return release
  }
}

/**
 * Prints the output of a release's release phase (the app lines of its `release.N` dyno) as it
 * runs, from a tail log session that starts with the recent history, and ends at the phase's own
 * last line (`Release vN succeeded…` or `… failed…`), or when `signal` aborts. The phase's dyno is
 * the `release` one-off of this release in the dyno list; when the list does not have it (it has
 * ended, or the control plane does not say), it is the first `release` dyno whose `Starting
 * process` line is at or after the release's creation.
 */
export async function followReleasePhase(
  api: Pick<ApiClient, 'logSessions' | 'dynos'>,
  app: string,
  release: Pick<Release, 'created_at' | 'id' | 'version'>,
  print: (text: string) => void,
  signal: AbortSignal,
  read: (url: string, options: ReadLogStreamOptions) => AsyncIterable<StreamLine> = readLogStream,
): Promise<void> {
  const dynos = await api.dynos.list(app).catch(() => [])
  let dyno = dynos.find((d) => d.type === 'release' && d.release?.id === release.id)?.name
  // Its own lines only, so that a busy app's history still holds the phase's start.
  const session = await api.logSessions.create(app, {dyno: dyno ?? 'release', lines: 1500, tail: true})
  // created_at is to the second and never later than the release phase's start.
  const since = Date.parse(release.created_at)
  const last = `Release v${release.version} `
  for await (const {line} of read(session.logplex_url, {tail: true, signal})) {
    const parsed = parseLogLine(line)
    if (!parsed) continue
    const platform = PLATFORM_SOURCES.has(parsed.source)
    if (dyno === undefined) {
      if (platform && parsed.message.startsWith('Starting process') && Date.parse(parsed.timestamp) >= since) dyno = parsed.dyno
      continue
    }
    if (parsed.dyno !== dyno) continue
    if (!platform) print(parsed.message)
    else if (parsed.message.startsWith(last)) return
  }
}
