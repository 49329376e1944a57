// What a buildpack URL (as `buildpacks:set` and a build's `buildpacks` field carry it) names, judged
// by its form alone: the API refuses a bad one without fetching anything, and the resolver fetches
// according to the same reading. Issue 15.
import {isAbsolute} from 'node:path'

/** tug's own buildpacks, in detection order: their names are Heroku's, so `heroku/nodejs` works. */
export const BUILTIN_BUILDPACKS = [
  {name: 'heroku/nodejs', dirName: 'nodejs'},
  {name: 'heroku/python', dirName: 'python'},
] as const

export type BuildpackSource =
  | {kind: 'builtin'; name: string; dirName: string}
  /** An absolute path on the control plane's machine, from `/path` or `file:///path`. */
  | {kind: 'local'; path: string}
  | {kind: 'tarball'; url: string}
  /** `url` is what git clones (without the `#ref`). */
  | {kind: 'git'; url: string; ref?: string}

export class BuildpackUrlError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BuildpackUrlError'
  }
}

export const BUILTINS_HINT =
  'tug has the built-in buildpacks heroku/nodejs and heroku/python; give any other as a URL (https tarball, git URL) or a directory'

const MAX_URL_LENGTH = 2048

/** A URL with its password (or token) replaced, for build output and error messages. */
export function redactBuildpackUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@#?]*)@/i, (_all, scheme: string, userinfo: string) => {
    const user = userinfo.split(':')[0] ?? ''
    return `${scheme}${userinfo.includes(':') ? `${user}:***` : '***'}@`
  })
}

/** Splits `url#ref` (git's branch, tag or commit); an empty ref is an error. */
function splitRef(raw: string): {url: string; ref?: string} {
  const hash = raw.indexOf('#')
  if (hash === -1) return {url: raw}
  const ref = raw.slice(hash + 1)
  if (ref === '' || !/^[\w./-]+$/.test(ref) || ref.startsWith('-') || ref.includes('..')) {
    throw new BuildpackUrlError(`"${redactBuildpackUrl(raw)}" has an invalid git ref after # (give a branch, tag or commit, like #main or #v1.2)`)
  }
  return {url: raw.slice(0, hash), ref}
}

/** A GitHub repository page (`https://github.com/owner/repo`), which Heroku users give for its git repository. */
function isGithubRepository(url: URL): boolean {
  return url.hostname === 'github.com' && url.pathname.replace(/\/$/, '').split('/').length === 3
}

/**
 * Reads `raw` as a buildpack source; throws a BuildpackUrlError saying what is wrong and which
 * forms are accepted. Nothing is fetched or looked at on disk.
 */
export function parseBuildpackUrl(raw: string): BuildpackSource {
  const value = raw.trim()
  if (value === '') throw new BuildpackUrlError(`a buildpack URL is empty; ${BUILTINS_HINT}`)
  if (value.length > MAX_URL_LENGTH) throw new BuildpackUrlError(`a buildpack URL is longer than ${MAX_URL_LENGTH} characters`)
  if (/[\s\0]/.test(value)) throw new BuildpackUrlError(`"${redactBuildpackUrl(value)}" contains a space or a control character`)

  const builtin = BUILTIN_BUILDPACKS.find((b) => b.name === value)
  if (builtin) return {kind: 'builtin', name: builtin.name, dirName: builtin.dirName}

  if (value.startsWith('/')) {
    if (!isAbsolute(value) || value.split('/').includes('..')) throw new BuildpackUrlError(`"${value}" must be an absolute path without ..`)
    return {kind: 'local', path: value}
  }

  // scp-like git address: git@host:owner/repo.git
  const scp = /^([\w.-]+@)?([\w.-]+):(?!\/\/)(.+)$/.exec(value)
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && scp[1] !== undefined) {
    const {url, ref} = splitRef(value)
    return {kind: 'git', url, ...(ref === undefined ? {} : {ref})}
  }

  let parsed: URL
  try {
    parsed = new URL(value)
  } catch {
    throw new BuildpackUrlError(`"${value}" is not a buildpack tug knows; ${BUILTINS_HINT}`)
  }
  switch (parsed.protocol) {
    case 'file:': {
      const {url, ref} = splitRef(value)
      const path = decodeURIComponent(new URL(url).pathname)
      if (parsed.host !== '' || !path.startsWith('/')) throw new BuildpackUrlError(`"${value}" must be file:///absolute/path (a directory, a .tgz or a .git repository)`)
      if (path.split('/').includes('..')) throw new BuildpackUrlError(`"${value}" must not contain ..`)
      if (/\.git\/?$/.test(path)) return {kind: 'git', url, ...(ref === undefined ? {} : {ref})}
      if (ref !== undefined) throw new BuildpackUrlError(`"${value}" has a #ref, which only a git URL (ending in .git) takes`)
      return {kind: 'local', path}
    }
    case 'https:': {
      if (parsed.hostname === '') throw new BuildpackUrlError(`"${redactBuildpackUrl(value)}" has no host`)
      const {url, ref} = splitRef(value)
      const bare = new URL(url)
      if (/\.git\/?$/.test(bare.pathname) || isGithubRepository(bare)) return {kind: 'git', url, ...(ref === undefined ? {} : {ref})}
      if (ref !== undefined) throw new BuildpackUrlError(`"${redactBuildpackUrl(value)}" has a #ref, which only a git URL (ending in .git) takes`)
      return {kind: 'tarball', url}
    }
    case 'git:':
    case 'ssh:': {
      if (parsed.hostname === '') throw new BuildpackUrlError(`"${redactBuildpackUrl(value)}" has no host`)
      const {url, ref} = splitRef(value)
      return {kind: 'git', url, ...(ref === undefined ? {} : {ref})}
    }
    case 'http:':
      throw new BuildpackUrlError(`"${redactBuildpackUrl(value)}" is plain http; tug fetches buildpacks over https only (use an https:// URL)`)
    default:
      throw new BuildpackUrlError(`"${redactBuildpackUrl(value)}" is not a buildpack tug knows; ${BUILTINS_HINT}`)
  }
}

/**
 * Whether a buildpack comes from the control plane's own disk (a path, or a file:// directory,
 * tarball or git repository): the control plane reads it as root, so only the admin may name one.
 * Undefined-safe: a URL that does not parse is not this function's to refuse.
 */
export function readsHostDisk(url: string): boolean {
  try {
    const source = parseBuildpackUrl(url)
    return source.kind === 'local' || (source.kind === 'git' && source.url.startsWith('file:'))
  } catch {
    return false
  }
}

/** The most buildpacks an app's installations, or a build, may list: each is fetched and run. */
export const MAX_BUILDPACKS = 20

/** The refusal for a user other than the admin who names a buildpack on the control plane's disk. */
export const HOST_DISK_ADMIN_ONLY = "Only the control plane's admin may use a buildpack from its own disk (a path or a file:// URL): give an https tarball or a git URL, or ask the admin to set it."
