// The release phase: a release whose code has a `release` process type is made `pending`; its
// command runs as a one-off `release.N` on that release, and only once it exits 0 does the release
// become current (and the dynos move onto it). A failure leaves the current release as it was. Per
// app, phases run one after the other, in the order of their releases.
import {DEFAULT_DYNO_SIZE} from '../../domain/catalog.js'
import {activateRelease, RELEASE_PHASE_TYPE} from '../../domain/releases.js'
import type {DynoRecord, ReleaseRecord, Store} from '../../store/index.js'
import type {OneOffSpec, PlatformEvent} from '../contracts.js'

export interface ReleasePhaseContext {
  store: Store
  isClosing(): boolean
  createOneOff(appId: string, spec: OneOffSpec): Promise<DynoRecord>
  waitForOneOff(appId: string, dynoId: string): Promise<DynoRecord | undefined>
  /** The release became current: move the dynos onto it. */
  releaseChanged(appId: string): Promise<void>
  event: PlatformEvent
  onError(error: unknown): void
}

export class ReleasePhase {
  /** Per app, the chain the next phase waits on. */
  private readonly chains = new Map<string, Promise<void>>()
  private readonly queued = new Set<string>()

  constructor(private readonly context: ReleasePhaseContext) {}

  /** Pending releases (made by createRelease when the code has a `release` type) get their phase run. */
  queue(appId: string): void {
    for (const release of this.context.store.releases.list(appId)) {
      if (release.status !== 'pending' || this.queued.has(release.id)) continue
      this.queued.add(release.id)
      const previous = this.chains.get(appId) ?? Promise.resolve()
      const next = previous
        .then(() => this.run(appId, release))
        .catch((error: unknown) => this.context.onError(error))
        .finally(() => this.queued.delete(release.id))
      this.chains.set(appId, next)
    }
  }

  private async run(appId: string, release: ReleaseRecord): Promise<void> {
    const {store, event, isClosing} = this.context
    if (isClosing()) return
    const command = release.process_types?.find((p) => p.name === RELEASE_PHASE_TYPE)?.command
    let status = 0
    let dynoName = RELEASE_PHASE_TYPE
    if (command !== undefined) {
      const record = await this.context.createOneOff(appId, {
        command,
        type: RELEASE_PHASE_TYPE,
        size: DEFAULT_DYNO_SIZE,
        attach: false,
        forceNoTty: true,
        env: {},
        timeToLive: null,
        releaseId: release.id,
      })
      dynoName = record.name
      const final = await this.context.waitForOneOff(appId, record.id)
      // Stopped with the control plane: the release stays pending, and the next start fails it.
      if (isClosing()) return
      status = final?.exit_status ?? 1
    }
    const app = store.apps.get(appId)
    if (!app) return
    const current = app.current_release_id ? store.releases.get(appId, app.current_release_id) : undefined
    if (status !== 0) {
      store.releases.setStatus(appId, release.id, 'failed')
      const kept = current ? `v${current.version} stays current` : 'no release is current'
      event(appId, dynoName, `Release v${release.version} failed: the release command exited with status ${status}; ${kept}`)
      return
    }
    if (current && current.version > release.version) {
      // A newer release became current meanwhile (a rollback): this one is done but not current.
      store.releases.setStatus(appId, release.id, 'succeeded')
      event(appId, dynoName, `Release v${release.version} succeeded, but v${current.version} became current meanwhile and stays current`)
      return
    }
    activateRelease(store, appId, release.id)
    event(appId, dynoName, `Release v${release.version} succeeded and is now current`)
    await this.context.releaseChanged(appId)
  }
}
