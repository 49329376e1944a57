// What a push does, decided by the control plane when the repository's pre-receive hook calls it:
// which ref updates are allowed (Heroku's rules: main or master, force pushes too, never deleting
// the deployed branch), then a build of the pushed commit through the same BuildService as
// `tug deploy` (its `git archive` is the source blob, its sha the source version), the build's
// output relayed line by line as it comes, and the verdict that accepts or rejects the push.
import {execFile, spawn} from 'node:child_process'
import {promisify} from 'node:util'

import type {BuildService} from '../builds/index.js'
import type {AccountRecord, AppRecord, Store} from '../store/index.js'
import {QUARANTINE_ENV} from './hook-script.js'
import {gitEnv} from './repos.js'

const run = promisify(execFile)

export const DEPLOY_BRANCHES = ['main', 'master'] as const
const ZERO = /^0+$/

export interface RefUpdate {
  old: string
  new: string
  ref: string
}

/** `<old> <new> <ref>` lines, as git gives them to pre-receive. */
export function parseRefUpdates(text: string): RefUpdate[] {
  const updates: RefUpdate[] = []
  for (const line of text.split('\n')) {
    const [old, next, ref] = line.trim().split(/\s+/)
    if (old && next && ref) updates.push({old, new: next, ref})
  }
  return updates
}

export type PushPlan = {ok: true; branch: string; sha: string} | {ok: false; reason: string[]}

/** Which update to build, or why the push is refused (lines for the pusher). */
export function planPush(updates: RefUpdate[], remoteName = 'tug'): PushPlan {
  const deploy: {branch: string; update: RefUpdate}[] = []
  for (const update of updates) {
    const branch = update.ref.startsWith('refs/heads/') ? update.ref.slice('refs/heads/'.length) : undefined
    if (branch === undefined || !(DEPLOY_BRANCHES as readonly string[]).includes(branch)) {
      const name = branch ?? update.ref
      return {
        ok: false,
        reason: [
          `Pushed to ${name}: tug builds and deploys only the main or master branch.`,
          `Push your branch to main instead: git push ${remoteName} ${branch ?? 'HEAD'}:main`,
        ],
      }
    }
    if (ZERO.test(update.new)) {
      return {ok: false, reason: [`Deleting ${branch} is not allowed: it is the branch tug deploys.`]}
    }
    deploy.push({branch, update})
  }
  const [first, second] = deploy
  if (!first) return {ok: false, reason: ['Nothing to deploy in this push.']}
  if (second) return {ok: false, reason: ['Push main or master, not both at once: each push deploys one commit.']}
  return {ok: true, branch: first.branch, sha: first.update.new}
}

export interface PushContext {
  store: Store
  builds: BuildService
  app: AppRecord
  account: AccountRecord
  repo: string
}

/** The environment git needs to read the objects of a push that pre-receive has not accepted yet. */
function quarantineEnv(repo: string, fromHook: Record<string, unknown>): NodeJS.ProcessEnv {
  const extra: Record<string, string> = {GIT_DIR: repo}
  for (const name of QUARANTINE_ENV) {
    const value = fromHook[name]
    if (typeof value === 'string' && value !== '') extra[name] = value
  }
  return gitEnv(extra)
}

/** `git archive` of the commit, as a tar.gz streamed into a new source; returns its URL. */
async function archiveIntoSource(context: PushContext, sha: string, env: NodeJS.ProcessEnv): Promise<string> {
  const source = context.builds.createSource(context.app)
  const url = source.source_blob.put_url
  const token = /\/sources\/([^/]+)\/blob$/.exec(new URL(url).pathname)?.[1] ?? ''
  const child = spawn('git', ['archive', '--format=tar.gz', sha], {env, stdio: ['ignore', 'pipe', 'pipe']})
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve(code))
  })
  try {
    await context.builds.receiveBlob(token, child.stdout, undefined)
  } catch (error) {
    child.kill('SIGKILL')
    await exited.catch(() => undefined)
    throw error
  }
  const code = await exited
  if (code !== 0) throw new Error(`git archive ${sha} failed: ${stderr.trim() || `exit ${code}`}`)
  return url
}

/**
 * Runs the push: `say` gets each line for the pusher as it comes. Resolves true when the push is
 * accepted (its build made a release), false when it is rejected (the reason was said).
 */
export async function runPush(context: PushContext, refs: string, fromHook: Record<string, unknown>, say: (line: string) => void): Promise<boolean> {
  const plan = planPush(parseRefUpdates(refs))
  if (!plan.ok) {
    for (const line of plan.reason) say(`!      ${line}`)
    say(`!      Push rejected to ${context.app.name}.`)
    return false
  }
  const env = quarantineEnv(context.repo, fromHook)
  say(`-----> Building ${plan.branch} (${plan.sha.slice(0, 8)}) on ${context.app.name}`)
  let sourceUrl: string
  try {
    sourceUrl = await archiveIntoSource(context, plan.sha, env)
  } catch (error) {
    say(`!      The pushed commit could not be archived: ${(error as Error).message}`)
    say(`!      Push rejected to ${context.app.name}.`)
    return false
  }
  const {build, made} = context.builds.createBuild(context.app, context.account, {source_blob: {url: sourceUrl, version: plan.sha}})
  await relayOutput(context.builds, made.outputToken, say)
  const finished = context.builds.builds.get(context.app.id, build.id)
  if (finished?.status !== 'succeeded') {
    say(`!      Push rejected to ${context.app.name}: the build failed, so ${plan.branch} stays where it was.`)
    return false
  }
  const release = finished.release_id ? context.store.releases.get(context.app.id, finished.release_id) : undefined
  // The branch pushed is the one a clone checks out.
  await run('git', ['symbolic-ref', 'HEAD', `refs/heads/${plan.branch}`], {env: gitEnv({GIT_DIR: context.repo})}).catch(() => undefined)
  say(`-----> Deployed ${plan.sha.slice(0, 8)} to ${context.app.name}${release ? ` as v${release.version}` : ''}`)
  return true
}

/** The build's output so far, then each line as it is written, until the build ends. */
function relayOutput(builds: BuildService, outputToken: string, say: (line: string) => void): Promise<void> {
  const output = builds.openOutput(outputToken)
  if (!output) return Promise.resolve()
  for (const line of output.lines) say(line)
  const follow = output.follow
  if (!follow) return Promise.resolve()
  return new Promise((resolve) => {
    follow((line) => say(line), resolve)
  })
}
