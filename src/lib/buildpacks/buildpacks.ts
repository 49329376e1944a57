// buildpacks, buildpacks:set, :add, :remove and :clear, as Heroku's CLI has them: each reads the
// app's list, changes it here (pure), and PUTs the whole new list (the API replaces, it does not
// patch). Indexes are 1-based on the command line, as Heroku's.
import type {ApiClient} from '../api/client.js'
import {DEFAULT_REMOTE} from '../cli/app-resolution.js'
import {RuntimeError, UsageError} from '../errors.js'
import type {BuildpackInstallation} from '../../shared/api-types.js'

export type BuildpackAction = 'set' | 'added' | 'removed'

/** A 1-based index from -i, or a usage error (checked before anything is asked of the API). */
export function checkIndex(index: number | undefined): void {
  if (index !== undefined && (!Number.isInteger(index) || index <= 0)) throw new UsageError('Invalid index. Must be greater than 0.')
}

function checkNotSet(current: readonly string[], url: string): void {
  if (current.includes(url)) throw new RuntimeError(`The buildpack ${url} is already set on your app.`, {hint: 'Run tug buildpacks to see the list.'})
}

/** `buildpacks:set URL [-i N]`: replaces the first buildpack (or the N-th; past the end, appends). */
export function withSet(current: readonly string[], url: string, index?: number): string[] {
  checkIndex(index)
  checkNotSet(current, url)
  const next = [...current]
  const at = (index ?? 1) - 1
  if (at < next.length) next.splice(at, 1, url)
  else next.push(url)
  return next
}

/** `buildpacks:add URL [-i N]`: appends, or inserts at N (past the end, appends). */
export function withAdded(current: readonly string[], url: string, index?: number): string[] {
  checkIndex(index)
  checkNotSet(current, url)
  const next = [...current]
  next.splice(index === undefined ? next.length : Math.min(index - 1, next.length), 0, url)
  return next
}

/** buildpacks:remove takes a URL or an index: exactly one. */
export function checkRemoveArgs(url: string | undefined, index: number | undefined): void {
  if (url !== undefined && index !== undefined) throw new UsageError('Please choose either index or Buildpack, but not both.')
  if (url === undefined && index === undefined) {
    throw new UsageError('Must specify a buildpack to remove, either by index or URL.', {hint: 'Usage: tug buildpacks:remove [BUILDPACK_URL] [-i INDEX]'})
  }
  checkIndex(index)
}

/** `buildpacks:remove [URL] [-i N]`: one of the two names the buildpack to remove. */
export function withRemoved(app: string, current: readonly string[], url?: string, index?: number): string[] {
  checkRemoveArgs(url, index)
  if (current.length === 0) throw new RuntimeError(`No buildpacks were found. Next release on ${app} will detect buildpacks normally.`)
  let at: number
  if (index !== undefined) {
    if (index > current.length) {
      throw new UsageError(current.length === 1 ? 'Invalid index. Only valid value is 1.' : `Invalid index. Please choose a value between 1 and ${current.length}`)
    }
    at = index - 1
  } else {
    at = current.indexOf(url?.trim() ?? '')
    if (at === -1) throw new RuntimeError('Buildpack not found. Nothing was removed.', {hint: 'Run tug buildpacks to see the list.'})
  }
  return current.filter((_, i) => i !== at)
}

export const urlsOf = (installations: readonly BuildpackInstallation[]): string[] =>
  [...installations].sort((a, b) => a.ordinal - b.ordinal).map((i) => i.buildpack.url)

/** The listing of `tug buildpacks`: a header, then the URL, numbered when there are several. */
export function listLines(app: string, installations: readonly BuildpackInstallation[]): string[] {
  const urls = urlsOf(installations)
  if (urls.length === 1) return [`=== ${app} Buildpack URL`, urls[0] as string]
  return [`=== ${app} Buildpack URLs`, ...urls.map((url, i) => `${i + 1}. ${url}`)]
}

/** What a change says, as Heroku's CLI words it. */
export function updateLines(app: string, remote: string | undefined, installations: readonly BuildpackInstallation[], action: BuildpackAction): string[] {
  const urls = urlsOf(installations)
  const push = `git push ${remote ?? DEFAULT_REMOTE} main`
  if (urls.length === 0) return [`Buildpack ${action}. Next release on ${app} will detect buildpacks normally.`]
  if (urls.length === 1) {
    return [`Buildpack ${action}. Next release on ${app} will use ${urls[0] as string}.`, `Run ${push} to create a new release using this buildpack.`]
  }
  return [
    `Buildpack ${action}. Next release on ${app} will use:`,
    ...urls.map((url, i) => `  ${i + 1}. ${url}`),
    `Run ${push} to create a new release using these buildpacks.`,
  ]
}

/** Reads the app's list, changes it with `change`, and stores the result; gives the stored list. */
export async function changeBuildpacks(
  api: Pick<ApiClient, 'buildpacks'>,
  app: string,
  change: (current: string[]) => string[],
): Promise<BuildpackInstallation[]> {
  const current = urlsOf(await api.buildpacks.list(app))
  return api.buildpacks.replace(app, change(current))
}
