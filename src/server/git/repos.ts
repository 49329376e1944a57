// One bare repository per app, `<dataDir>/repos/<app-id>.git`, named by id so that a renamed app
// keeps its history. Made on first use, removed with the app. Its pre-receive hook is platform
// code, rewritten whenever the repository is opened, so an upgraded control plane never runs an
// old hook.
import {execFile} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {HOOK_ENV, PRE_RECEIVE_SCRIPT} from './hook-script.js'

const run = promisify(execFile)

export const REPOS_DIR = 'repos'

export function reposRoot(dataDir: string): string {
  return join(dataDir, REPOS_DIR)
}

export function repoPath(dataDir: string, appId: string): string {
  return join(reposRoot(dataDir), `${appId}.git`)
}

/**
 * What git and its hooks are run with: no user or system configuration (the control plane's HOME
 * is not the repositories' business), and git's messages in English, which tests and docs quote.
 */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C',
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    ...extra,
  }
}

const HOOK_WRAPPER = `#!/bin/sh
# Installed by the tug control plane (rewritten each time it opens this repository): a push to
# main or master builds the pushed commit, and a failed build rejects the push.
if [ -z "$${HOOK_ENV.node}" ] || [ -z "$${HOOK_ENV.url}" ]; then
  echo "This repository is tug's: push to it through the tug control plane's git URL." >&2
  exit 1
fi
exec "$${HOOK_ENV.node}" "$(dirname "$0")/tug-pre-receive.mjs"
`

function writeIfChanged(file: string, text: string, mode: number): void {
  try {
    if (readFileSync(file, 'utf8') === text) return
  } catch {
    // absent: written below
  }
  // Through a rename: a push running meanwhile sees the old hook or the new one, never half.
  const temp = `${file}.${process.pid}.tmp`
  writeFileSync(temp, text, {mode})
  renameSync(temp, file)
}

/** The app's repository, made if it does not exist yet, with tug's hook in place. */
export async function ensureRepo(dataDir: string, appId: string): Promise<string> {
  const dir = repoPath(dataDir, appId)
  if (!existsSync(join(dir, 'HEAD'))) {
    mkdirSync(reposRoot(dataDir), {recursive: true, mode: 0o700})
    // Made aside and renamed into place, so that two first pushes at once do not see half a repository.
    const temp = `${dir}.${process.pid}.${Date.now()}.tmp`
    try {
      await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', temp], {env: gitEnv()})
      // Smart HTTP pushes need it (http-backend refuses receive-pack otherwise), and a force push is
      // allowed as on Heroku; branch deletion is refused by the hook, which says why.
      await run('git', ['config', 'http.receivepack', 'true'], {cwd: temp, env: gitEnv()})
      await run('git', ['config', 'receive.denyNonFastForwards', 'false'], {cwd: temp, env: gitEnv()})
      rmSync(join(temp, 'hooks'), {recursive: true, force: true})
      mkdirSync(join(temp, 'hooks'))
      try {
        renameSync(temp, dir)
      } catch (error) {
        // Another request made it first: theirs is as good as ours.
        if (!existsSync(join(dir, 'HEAD'))) throw error
      }
    } finally {
      rmSync(temp, {recursive: true, force: true})
    }
  }
  mkdirSync(join(dir, 'hooks'), {recursive: true})
  writeIfChanged(join(dir, 'hooks', 'tug-pre-receive.mjs'), PRE_RECEIVE_SCRIPT, 0o644)
  writeIfChanged(join(dir, 'hooks', 'pre-receive'), HOOK_WRAPPER, 0o755)
  return dir
}

export function removeRepo(dataDir: string, appId: string): void {
  rmSync(repoPath(dataDir, appId), {recursive: true, force: true})
}

/** Repositories of apps that no longer exist (and leftovers of interrupted inits); returns what went. */
export function removeOrphanRepos(dataDir: string, appExists: (appId: string) => boolean): string[] {
  let names: string[]
  try {
    names = readdirSync(reposRoot(dataDir))
  } catch {
    return []
  }
  const removed: string[] = []
  for (const name of names) {
    const match = /^(.+)\.git$/.exec(name)
    if (match && appExists(match[1] as string)) continue
    const path = join(reposRoot(dataDir), name)
    rmSync(path, {recursive: true, force: true})
    removed.push(path)
  }
  return removed
}
