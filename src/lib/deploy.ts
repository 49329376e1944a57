// `tug deploy`: pack a directory, upload it as a source, build it, stream the build output, wait
// for the build to finish, and then for the release phase (a `release:` process type), so that
// what runs after `tug deploy` in a script finds the new release current.
import type {ApiClient} from './api/client.js'
import type {Build, Release} from '../shared/api-types.js'
import {whileOnServer} from './cli/interrupt.js'
import {RuntimeError} from './errors.js'
import {awaitRelease, type FollowSteps} from './releases/follow.js'

export interface DeploySteps extends FollowSteps {
  pack(dir: string): Promise<{data: Buffer; files: number}>
  /** Streams the build output (non-tail), each line also to `seen`; the promise ends with the stream. */
  streamOutput(url: string, seen?: (line: string) => void): Promise<void>
}

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
  const started = await steps.action(`Building ${app}`, () => api.builds.create(app, {source_blob: {url: source.source_blob.get_url, ...(options.version ? {version: options.version} : {})}}), (b) => `started, build ${b.id}`)
  let reason: string | undefined
  const build = await whileOnServer(
    `the build of ${app} goes on on the server, and releases it if it succeeds; follow it with \`tug releases -a ${app}\` or \`tug logs -a ${app} --tail\``,
    async () => {
      let build = started
      if (build.output_stream_url) {
        await steps.streamOutput(build.output_stream_url, (line) => {
          // tug's build output marks why a build failed with `!`, as Heroku's does; the first says it.
          const marked = /^!\s+(.*)$/.exec(line)
          if (marked && reason === undefined) reason = marked[1]?.replace(/\.$/, '')
        })
      }
      while (build.status === 'pending') {
        build = await api.builds.info(app, build.id)
        if (build.status === 'pending') await steps.sleep(pollMs)
      }
      return build
    },
  )
  if (build.status === 'failed') {
    throw new RuntimeError(`The build of ${app} failed${reason === undefined ? '' : `: ${reason}`} (build ${build.id}).`, {hint: 'The build output above says why.'})
  }
  const made = build.release ? await api.releases.info(app, build.release.id) : undefined
  const release = made && (await awaitRelease(api, app, made, steps, {pollMs}))
  return {build, release}
}
