// A new release with a release phase (a `release:` process type) is `pending` until the phase
// ends, and becomes current only if it succeeds. `tug deploy`, `config:set`, `config:unset` and
// `releases:rollback` all make such releases, and all follow the phase here: its output as it
// runs, then `done` only once the release is current, or an error naming where its output is.
import type {ApiClient} from '../api/client.js'
import {readLogStream, type ReadLogStreamOptions, type StreamLine} from '../api/stream.js'
import type {Release} from '../../shared/api-types.js'
import {whileOnServer} from '../cli/interrupt.js'
import {RuntimeError} from '../errors.js'
import {parseLogLine, PLATFORM_SOURCES} from '../../shared/log-line.js'

export interface FollowSteps {
  sleep(ms: number): Promise<void>
  /** Wraps a step with a progress line; by default just runs it. */
  action<R>(title: string, work: () => Promise<R>, done?: (result: R) => string): Promise<R>
  /** A line of progress (stderr). */
  info(text: string): void
  /**
   * Prints the release phase's output while it runs (followReleaseOutput); resolves at its end
   * or when `signal` aborts. Without it, the phase is only waited for.
   */
  followRelease?(release: Release, signal: AbortSignal): Promise<void>
}

/** What a failed release phase means for the change that made the release. */
export interface ReleaseChange {
  /** After `… so vN did not become current`, e.g. `the config change did not take effect`. */
  effect?: string
  /** After where the output is: what to do now. */
  advice?: string
}

/** After the release phase has decided, how long its output may take to arrive in full. */
const OUTPUT_GRACE_MS = 3000

type FollowApi = Pick<ApiClient, 'releases'>

/** `tug releases:info vN` and the release log: where a phase that goes on can be followed. */
export function followCommands(app: string, version: number): string {
  return `\`tug releases:info v${version} -a ${app}\` or \`tug logs -a ${app} --dyno release --tail\``
}

/**
 * Waits for `release` to leave `pending` (its release phase), showing the phase's output, and
 * returns it as it then is. A release that failed (now or before) throws, with `change` saying
 * what that means for what made it. A release that is not pending is returned as it is.
 */
export async function awaitRelease(api: FollowApi, app: string, release: Release, steps: FollowSteps, options: {pollMs?: number; change?: ReleaseChange} = {}): Promise<Release> {
  const pollMs = options.pollMs ?? 1000
  let settled = release
  if (release.status === 'pending') {
    const pending = release
    settled = await whileOnServer(`the release phase of v${pending.version} goes on on the server; follow it with ${followCommands(app, pending.version)}`, async () => {
      steps.info(`Running release phase of v${pending.version}...`)
      const decided = settledRelease(api, app, pending.id, steps.sleep, pollMs)
      if (steps.followRelease) {
        const stop = new AbortController()
        const output = steps.followRelease(pending, stop.signal).catch(() => undefined)
        // The output ends with the phase's own last line; a lagging stream gets a little longer.
        await decided.catch(() => undefined)
        const grace = setTimeout(() => stop.abort(), OUTPUT_GRACE_MS)
        await output
        clearTimeout(grace)
      }
      return steps.action(`Waiting for release v${pending.version}`, () => decided, (r) => (r.status === 'succeeded' ? 'done' : r.status))
    })
    if (settled.status === 'succeeded' && !settled.current) {
      steps.info(`Warning: v${settled.version} passed its release phase, but another release became current meanwhile (a rollback); \`tug releases -a ${app}\` shows which.`)
    }
  }
  if (settled.status === 'failed') {
    const {effect, advice} = options.change ?? {}
    throw new RuntimeError(`The release phase of v${settled.version} on ${app} failed, so v${settled.version} did not become current${effect ? `: ${effect}` : ''}.`, {
      hint: `Its output is in \`tug logs -a ${app} --dyno release\`.${advice ? ` ${advice}` : ''}`,
    })
  }
  return settled
}

/** Polls a release until its release phase has decided (succeeded or failed). */
async function settledRelease(api: FollowApi, app: string, id: string, sleep: (ms: number) => Promise<void>, pollMs: number): Promise<Release> {
  for (;;) {
    await sleep(pollMs)
    const release = await api.releases.info(app, id)
    if (release.status !== 'pending') return release
  }
}

/**
 * The release phase's output, printed as it runs: from the release's `output_stream_url` when
 * the server gives one (Heroku does), otherwise from the app's log (followReleasePhase).
 */
export async function followReleaseOutput(
  api: Pick<ApiClient, 'logSessions' | 'dynos'>,
  app: string,
  release: Release,
  print: (text: string) => void,
  signal: AbortSignal,
  read: (url: string, options: ReadLogStreamOptions) => AsyncIterable<StreamLine> = readLogStream,
): Promise<void> {
  if (release.output_stream_url) {
    for await (const {line} of read(release.output_stream_url, {tail: false, signal})) print(line)
    return
  }
  await followReleasePhase(api, app, release, print, signal, read)
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
  // A server that cannot resume a stream (Heroku's logplex) gets a new session without history,
  // so that no line of the phase is printed twice.
  const renew = async (): Promise<string> => (await api.logSessions.create(app, {dyno: dyno ?? 'release', lines: 0, tail: true})).logplex_url
  for await (const {line} of read(session.logplex_url, {tail: true, signal, renew})) {
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

/**
 * What to do about a release whose release phase failed, for whatever made it (told by its
 * description, as Heroku words them): a config change, a rollback, or a deploy.
 */
export function failedReleaseHint(app: string, release: Pick<Release, 'description'>): string {
  const output = `Its release phase failed; the output is in \`tug logs -a ${app} --dyno release\`.`
  if (/^Rollback to v\d+/.test(release.description)) return `${output} Fix the release command, then roll back again.`
  if (/^(Set|Remove) .*config vars$/.test(release.description)) {
    return `${output} The config change did not take effect: fix the release command or the values and change the config again (\`tug config -a ${app}\` shows the values in effect).`
  }
  return `${output} Fix the release command and deploy again.`
}
