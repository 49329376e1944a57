// `tug ps:wait`: poll until every dyno (of a type) runs the latest release and is up.
import type {ApiClient} from '../api/client.js'
import {readLogStream} from '../api/stream.js'
import type {Dyno} from '../../shared/api-types.js'
import {RuntimeError} from '../errors.js'
import {failedReleaseHint} from '../releases/follow.js'
import {parseLogLine} from '../../shared/log-line.js'
import {isOneOff} from './format.js'

export interface WaitOptions {
  app: string
  type?: string
  intervalMs: number
  /** No timeout when undefined. */
  timeoutMs?: number
  now(): number
  sleep(ms: number): Promise<void>
  onProgress?(ready: number, total: number): void
}

export interface WaitResult {
  version: number
  dynos: Dyno[]
}

export function readyDynos(dynos: Dyno[], version: number): Dyno[] {
  return dynos.filter((d) => d.release.version === version && d.state === 'up')
}

export function relevantDynos(dynos: Dyno[], type?: string): Dyno[] {
  return dynos.filter((d) => !isOneOff(d) && (type === undefined || d.type === type))
}

type WaitApi = Pick<ApiClient, 'releases' | 'dynos' | 'logSessions'>

export async function latestVersion(api: WaitApi, app: string): Promise<number> {
  const latest = await api.releases.latest(app)
  if (!latest) throw new RuntimeError(`${app} has no releases yet.`, {hint: 'Deploy it first with `tug deploy`.'})
  // No dyno will ever run a failed release: waiting for it could only time out.
  if (latest.status === 'failed') {
    throw new RuntimeError(`The latest release of ${app}, v${latest.version}, failed; no dyno will run it.`, {hint: failedReleaseHint(app, latest)})
  }
  return latest.version
}

export async function waitForDynos(api: WaitApi, version: number, options: WaitOptions): Promise<WaitResult> {
  const start = options.now()
  while (true) {
    const dynos = relevantDynos(await api.dynos.list(options.app), options.type)
    const ready = readyDynos(dynos, version)
    options.onProgress?.(ready.length, dynos.length)
    if (ready.length === dynos.length) return {version, dynos}
    const timeout = options.timeoutMs
    const remaining = timeout === undefined ? options.intervalMs : timeout - (options.now() - start)
    if (remaining <= 0) {
      const why = await describeNotReady(api, options.app, dynos.filter((d) => !ready.includes(d)), version)
      throw new RuntimeError(
        [`Timed out after ${Math.round((timeout ?? 0) / 1000)}s: ${ready.length} of ${dynos.length} dynos are up on v${version}.`, ...why].join('\n'),
        {hint: 'Check `tug ps` and `tug logs` for dynos that do not come up.'},
      )
    }
    await options.sleep(Math.min(options.intervalMs, remaining))
  }
}

/** Dynos described one by one after a timeout; beyond that, a count (a scale to 50 that fails). */
const DESCRIBED_DYNOS = 10
/** Recent log lines read per dyno for the reason: its platform events and its own last words. */
const REASON_LINES = 200
const REASON_READ_MS = 5000

/**
 * One line per dyno that is not up on `version`: its state and release, then why, from its recent
 * log lines: the platform's last error (R10 and the like), its last exit status, the last line it
 * wrote. The reasons are best effort: a log that cannot be read leaves the state alone.
 */
export async function describeNotReady(api: Pick<ApiClient, 'logSessions'>, app: string, dynos: readonly Dyno[], version: number): Promise<string[]> {
  const shown = dynos.slice(0, DESCRIBED_DYNOS)
  const lines = await Promise.all(
    shown.map(async (dyno) => {
      const state = dyno.release.version === version ? `${dyno.state} on v${version}` : `${dyno.state} on v${dyno.release.version}, not yet on v${version}`
      const reasons = await dynoReasons(api, app, dyno.name).catch(() => [])
      return `  ${dyno.name}: ${[state, ...reasons].join('; ')}`
    }),
  )
  if (dynos.length > shown.length) lines.push(`  and ${dynos.length - shown.length} more`)
  return lines
}

async function dynoReasons(api: Pick<ApiClient, 'logSessions'>, app: string, name: string): Promise<string[]> {
  const session = await api.logSessions.create(app, {dyno: name, lines: REASON_LINES, tail: false})
  let error: string | undefined
  let exit: string | undefined
  let output: string | undefined
  for await (const {line} of readLogStream(session.logplex_url, {tail: false, signal: AbortSignal.timeout(REASON_READ_MS)})) {
    const parsed = parseLogLine(line)
    // A prefix filter (web.1 may match web.10 elsewhere): only this dyno's own lines count.
    if (!parsed || parsed.dyno !== name) continue
    if (parsed.source === 'app') output = parsed.message
    else if (/^Error [A-Z]\d+\b/.test(parsed.message)) error = parsed.message
    else if (/^Process exited with status \d+/.test(parsed.message)) exit = parsed.message.replace(/^Process exited/, 'exited')
  }
  return [error, exit, output === undefined ? undefined : `last output: ${JSON.stringify(output)}`].filter((r): r is string => r !== undefined)
}
