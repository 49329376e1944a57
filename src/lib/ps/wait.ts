// `tug ps:wait`: poll until every dyno (of a type) runs the latest release and is up.
import type {ApiClient} from '../api/client.js'
import type {Dyno} from '../api/types.js'
import {RuntimeError} from '../errors.js'
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

type WaitApi = Pick<ApiClient, 'releases' | 'dynos'>

export async function latestVersion(api: WaitApi, app: string): Promise<number> {
  const latest = await api.releases.latest(app)
  if (!latest) throw new RuntimeError(`${app} has no releases yet.`, {hint: 'Deploy it first with `tug deploy`.'})
  // No dyno will ever run a failed release: waiting for it could only time out.
  if (latest.status === 'failed') {
    throw new RuntimeError(`The latest release of ${app}, v${latest.version}, failed; no dyno will run it.`, {hint: 'See `tug releases:info` and deploy again.'})
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
      throw new RuntimeError(
        `Timed out after ${Math.round((timeout ?? 0) / 1000)}s: ${ready.length} of ${dynos.length} dynos are up on v${version}.`,
        {hint: 'Check `tug ps` and `tug logs` for dynos that do not come up.'},
      )
    }
    await options.sleep(Math.min(options.intervalMs, remaining))
  }
}
