// After a control plane that did not stop cleanly (kill -9, a power cut): what it left is found and
// ended before anything starts. Every dyno with a backend record was running when it stopped; each
// record goes to the backend's `adoptOrKill` (which stops it, or adopts it: an adopted dyno is
// stopped too, since its pipes are gone, and the reconciler starts a fresh one it fully manages).
// Then the backend stops what the previous run started but never recorded (the local backend's
// side is runtime/plane-tag.ts), release phases cut short fail, and one-offs that never got a
// process are over.
import {RELEASE_PHASE_TYPE} from '../../domain/releases.js'
import type {Store} from '../../store/index.js'
import {toTimestamp} from '../../store/index.js'
import type {Backend, BackendRecord, UnrecordedDyno} from '../backend.js'
import type {PlatformEvent} from '../contracts.js'

export interface RecoveryContext {
  store: Store
  backend: Backend
  now(): number
  graceFor(appId: string): number
  /** The control plane's own default grace, for processes no app's record names. */
  stopGraceMs: number
  event: PlatformEvent
  /** The control plane's own error channel: what no app log can name. */
  onError(error: unknown): void
}

export async function recover(context: RecoveryContext): Promise<void> {
  const {store, backend, event} = context
  const ended = (): string => toTimestamp(new Date(context.now()))
  await Promise.all(
    store.dynos.listWithBackendRecords().map(async (record) => {
      let detail: string
      try {
        const parsed = JSON.parse(record.backend_record as string) as BackendRecord
        const outcome = await backend.adoptOrKill(parsed, {graceMs: context.graceFor(record.app_id)})
        if (outcome.outcome === 'adopted') {
          await outcome.handle.stop({signal: 'SIGTERM', graceMs: context.graceFor(record.app_id)})
          detail = 'stopped the process left running by the previous control plane'
        } else detail = outcome.detail
      } catch (error) {
        detail = `could not check the recorded process: ${(error as Error).message}`
      }
      event(record.app_id, record.name, `Control plane restarted: ${detail}`)
      if (record.one_off) store.dynos.update(record.app_id, record.id, {state: 'crashed', backend_record: null, ended_at: ended()})
      else store.dynos.update(record.app_id, record.id, {state: 'down', backend_record: null})
    }),
  )
  await stopUnrecorded(context)
  // A release phase cut short by the stop: its release never became current.
  for (const app of store.apps.list()) {
    for (const release of store.releases.list(app.id)) {
      if (release.status !== 'pending') continue
      store.releases.setStatus(app.id, release.id, 'failed')
      event(app.id, RELEASE_PHASE_TYPE, `Release v${release.version} failed: the control plane stopped during its release phase`)
    }
  }
  // One-offs that never got a process (the control plane stopped in between) are over too.
  for (const app of store.apps.list()) {
    for (const record of store.dynos.list(app.id)) {
      if (record.one_off && record.ended_at === null && record.backend_record === null) {
        store.dynos.update(app.id, record.id, {state: 'crashed', ended_at: ended()})
      }
    }
  }
}

/**
 * Processes the previous control plane started but died before recording (a kill -9 between a
 * spawn and the store write): no record names them, so no app log can; the control plane's own
 * error channel says what was stopped.
 */
async function stopUnrecorded({backend, stopGraceMs, onError}: RecoveryContext): Promise<void> {
  if (!backend.stopUnrecorded) return
  try {
    const found = await backend.stopUnrecorded({graceMs: stopGraceMs})
    if (found.length > 0) {
      onError(new Error(`control plane restarted: stopped the unrecorded processes a previous run left running: ${describeUnrecorded(found)}`))
    }
  } catch (error) {
    onError(error)
  }
}

/** `web.2, web.7 (2 processes)`: what stopUnrecorded found, for one line. */
function describeUnrecorded(found: readonly UnrecordedDyno[]): string {
  return found.map((d) => (d.processes === 1 ? d.dynoName : `${d.dynoName} (${d.processes} processes)`)).join(', ')
}
