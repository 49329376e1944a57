// Pod events of one app's namespace -> the store's dyno records and the app's platform lines.
//
// A formation dyno is a Deployment's pod, and its record is named by the pod (Fir's
// `web-848cd4f64d-pvpr2`): it is made when the pod first shows up, follows the pod's state
// (pod-state.ts), and goes when the pod is gone. A one-off's record is made by the runtime before
// its Job exists (the API answers with it at once); its pod carries the record's id as a label, and
// its end (exit code, `down` or `crashed`) ends the record.
import type {V1Pod} from '@kubernetes/client-node'

import type {DynoRecord, Store} from '../../store/index.js'
import type {PlatformEvent} from '../contracts.js'
import {ANNOTATION_DYNO_NAME, LABEL_DYNO_ID, typeOf} from './manifests.js'
import {podDynoState, transitionLines, type PodDynoState} from './pod-state.js'

/** Exit status given to a one-off whose pod went away without one (the runtime stopped it: SIGTERM). */
export const STOPPED_STATUS = 143

export interface PodRecordsContext {
  appId: string
  store: Store
  event: PlatformEvent
  now(): number
  /** Ends a one-off's record (`down` for exit 0 or a stop, else `crashed`) and tells its waiters. */
  endOneOff(record: DynoRecord, status: number, stopped: boolean): void
  /** Whether the runtime itself asked for this one-off to stop. */
  stopRequested(dynoId: string): boolean
}

export interface PodView {
  pod: string
  dynoName: string
  dynoId: string
  state: PodDynoState
}

export class PodRecords {
  private readonly seen = new Map<string, PodView>()

  constructor(private readonly context: PodRecordsContext) {}

  /** The dyno name the pod's lines go under: the one-off's record name, else the pod's own name. */
  dynoName(podName: string): string {
    return this.seen.get(podName)?.dynoName ?? podName
  }

  view(podName: string): PodView | undefined {
    return this.seen.get(podName)
  }

  /** The pod of a one-off, once it has been seen. */
  podOfDyno(dynoId: string): PodView | undefined {
    for (const view of this.seen.values()) if (view.dynoId === dynoId) return view
    return undefined
  }

  views(): IterableIterator<PodView> {
    return this.seen.values()
  }

  observe(pod: V1Pod): void {
    const name = pod.metadata?.name
    if (!name) return
    const dynoId = pod.metadata?.labels?.[LABEL_DYNO_ID]
    const next = podDynoState(pod)
    const previous = this.seen.get(name)
    if (dynoId !== undefined) this.observeOneOff(name, dynoId, pod, previous, next)
    else this.observeFormation(name, pod, previous, next)
  }

  removed(pod: V1Pod): void {
    const name = pod.metadata?.name
    if (!name) return
    const view = this.seen.get(name)
    this.seen.delete(name)
    const {store, appId} = this.context
    const dynoId = pod.metadata?.labels?.[LABEL_DYNO_ID]
    if (dynoId !== undefined) {
      const record = store.dynos.get(appId, dynoId)
      if (record && record.ended_at === null) {
        const stopped = this.context.stopRequested(dynoId)
        this.context.endOneOff(record, view?.state.exitCode ?? (stopped ? STOPPED_STATUS : 1), stopped)
      }
      return
    }
    const record = store.dynos.findByName(appId, name)
    if (!record || record.one_off) return
    if (view && view.state.state !== 'down') this.context.event(appId, name, `State changed from ${view.state.state} to down`)
    store.dynos.delete(appId, record.id)
  }

  /** After the first list: formation records whose pod no longer exists go (a restart of the control plane). */
  sweepFormation(present: ReadonlySet<string>): void {
    const {store, appId} = this.context
    for (const record of store.dynos.list(appId)) {
      if (!record.one_off && !present.has(record.name)) store.dynos.delete(appId, record.id)
    }
  }

  private observeFormation(name: string, pod: V1Pod, previous: PodView | undefined, next: PodDynoState): void {
    const {store, appId, event} = this.context
    const type = typeOf(pod.metadata) ?? name
    let record = store.dynos.findByName(appId, name)
    if (!record) {
      if (next.final) return
      const app = store.apps.get(appId)
      const release = app?.current_release_id ? store.releases.get(appId, app.current_release_id) : undefined
      if (!release) return
      const command = release.process_types?.find((p) => p.name === type)?.command ?? ''
      const size = store.formation.getByType(appId, type)?.size ?? 'Standard-1X'
      record = store.dynos.insert(appId, {name, type, one_off: false, command, size, state: next.state, release_id: release.id})
      event(appId, name, `Starting process with command \`${command}\``)
    } else if (record.one_off) {
      return
    } else if (record.state !== next.state) {
      store.dynos.update(appId, record.id, {state: next.state})
    }
    this.seen.set(name, {pod: name, dynoName: name, dynoId: record.id, state: next})
    for (const line of transitionLines(previous?.state, next)) event(appId, name, line)
  }

  private observeOneOff(name: string, dynoId: string, pod: V1Pod, previous: PodView | undefined, next: PodDynoState): void {
    const {store, appId, event} = this.context
    const record = store.dynos.get(appId, dynoId)
    const dynoName = record?.name ?? pod.metadata?.annotations?.[ANNOTATION_DYNO_NAME] ?? name
    this.seen.set(name, {pod: name, dynoName, dynoId, state: next})
    if (!record || record.ended_at !== null) return
    if (previous === undefined) event(appId, dynoName, `Starting process with command \`${record.command}\``)
    for (const line of transitionLines(previous?.state, next)) event(appId, dynoName, line)
    if (next.final) this.context.endOneOff(record, next.exitCode ?? 1, this.context.stopRequested(dynoId))
    else if (record.state !== next.state) store.dynos.update(appId, record.id, {state: next.state})
  }
}
