/*
 * The release service: the one way a release is made (app creation, config changes, rollbacks,
 * `POST /releases`, and the builds engineer's builds). Stable signature:
 *
 *   createRelease(store: Store, input: CreateReleaseInput): ReleaseRecord
 *
 *   interface CreateReleaseInput {
 *     appId: string
 *     description: string
 *     slugId?: string | null            // default: the current release's
 *     codeDir?: string | null           // default: the current release's
 *     processTypes?: Array<{name: string; command: string}> | null
 *                                       // default: the current release's. When given (non-null),
 *                                       // the formation follows it: new types are created (web at
 *                                       // quantity 1, the rest at 0, size Standard-1X), existing
 *                                       // ones get the new command, types no longer present are
 *                                       // removed.
 *     config?: Record<string, string>   // a new config snapshot (what config:set makes)
 *     configFrom?: string               // or: reuse this release's (id) config (rollback)
 *                                       // neither: the current release's config
 *     user: {id: string}                // the account making it
 *     releasePhase?: boolean            // default true: a release with code whose process types
 *                                       // include `release` is made `pending` and NOT current;
 *                                       // the runtime runs the release phase (one-off
 *                                       // `release.N`) and then calls activateRelease, or marks
 *                                       // it failed. Rollbacks pass false (as on Heroku).
 *   }
 *
 * It runs in one transaction (a savepoint when called inside one): the version is max+1 for the
 * app, the release becomes the app's current one, and the formation is updated with it. It is
 * synchronous and touches only the store; after it returns, tell the runtime:
 * `await deps.runtime.releaseChanged(appId)` (which also converges the formation).
 */
import {DEFAULT_DYNO_SIZE} from './catalog.js'
import {invalidParams} from './errors.js'
import type {ProcessTypeRecord, ReleaseRecord, Store} from '../store/index.js'

export interface CreateReleaseInput {
  appId: string
  description: string
  slugId?: string | null
  codeDir?: string | null
  processTypes?: ProcessTypeRecord[] | null
  config?: Record<string, string>
  configFrom?: string
  user: {id: string}
  releasePhase?: boolean
}

/** The process type run as a one-off before a release becomes current. */
export const RELEASE_PHASE_TYPE = 'release'

export class ReleaseInputError extends Error {}

export function createRelease(store: Store, input: CreateReleaseInput): ReleaseRecord {
  return store.transaction(() => {
    const app = store.apps.get(input.appId)
    if (!app) throw new ReleaseInputError(`no app ${input.appId}`)
    const current = app.current_release_id ? store.releases.get(app.id, app.current_release_id) : undefined

    let configId: string
    if (input.config) {
      configId = store.config.create(app.id, input.config)
    } else if (input.configFrom) {
      const source = store.releases.get(app.id, input.configFrom)
      if (!source) throw new ReleaseInputError(`no release ${input.configFrom} in app ${app.id}`)
      configId = source.config_id
    } else {
      configId = current?.config_id ?? store.config.create(app.id, {})
    }

    const processTypes = input.processTypes === undefined ? (current?.process_types ?? null) : input.processTypes
    const codeDir = input.codeDir === undefined ? (current?.code_dir ?? null) : input.codeDir
    const phase = input.releasePhase !== false && codeDir !== null && (processTypes ?? []).some((p) => p.name === RELEASE_PHASE_TYPE)
    const release = store.releases.insert(app.id, {
      description: input.description,
      status: phase ? 'pending' : 'succeeded',
      slug_id: input.slugId === undefined ? (current?.slug_id ?? null) : input.slugId,
      code_dir: codeDir,
      process_types: processTypes,
      config_id: configId,
      user_id: input.user.id,
    })
    if (phase) return release
    store.apps.setCurrentRelease(app.id, release.id)
    if (input.processTypes) syncFormation(store, app.id, input.processTypes)
    return release
  })
}

/**
 * Releasing `release`'s code again (a rollback to it, or `POST /releases` with its slug) needs
 * that code on disk; only the last `keepReleases` releases' code is kept (builds/disk.ts).
 */
export function requireCodeKept(release: ReleaseRecord, keepReleases: number): void {
  if (release.code_pruned_at !== null) {
    throw invalidParams(`the code of v${release.version} was pruned (tug keeps the last ${keepReleases} releases' code); deploy it again`)
  }
}

/** A pending release whose release phase succeeded becomes current (and the formation follows it). */
export function activateRelease(store: Store, appId: string, releaseId: string): ReleaseRecord | undefined {
  return store.transaction(() => {
    const release = store.releases.get(appId, releaseId)
    if (!release) return undefined
    store.releases.setStatus(appId, releaseId, 'succeeded')
    store.apps.setCurrentRelease(appId, releaseId)
    if (release.process_types) syncFormation(store, appId, release.process_types)
    return store.releases.get(appId, releaseId)
  })
}

function syncFormation(store: Store, appId: string, processTypes: readonly ProcessTypeRecord[]): void {
  // The release phase is a one-off before each release, never a formation (as on Heroku).
  const wanted = new Map(processTypes.filter((p) => p.name !== RELEASE_PHASE_TYPE).map((p) => [p.name, p.command]))
  for (const entry of store.formation.list(appId)) {
    const command = wanted.get(entry.type)
    if (command === undefined) store.formation.delete(appId, entry.id)
    else if (command !== entry.command) store.formation.setCommand(appId, entry.id, command)
  }
  for (const [type, command] of wanted) {
    if (store.formation.getByType(appId, type)) continue
    store.formation.create(appId, {type, command, quantity: type === 'web' ? 1 : 0, size: DEFAULT_DYNO_SIZE})
  }
}
