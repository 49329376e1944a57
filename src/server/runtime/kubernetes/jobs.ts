// One-off dynos on Kubernetes: `tug run` (attached or not), scheduled runs and the release phase,
// each a Job (`run-3`, `scheduler-1`, `release-v7`) with one pod that is never retried. The record
// is written first (the API answers with it at once, named `run.N` as everywhere in tug, so that
// Heroku's clients find the one-off they asked for); its pod carries the record's id as a label and
// the pod watch (pod-records.ts) ends the record with the container's exit code.
//
// An attached run's container waits for a byte on stdin before it runs the command (K3's
// gatedCommand), so nothing it writes is lost before the client is there; the attach hub gets a
// DynoHandle whose `io` is the pod's attach WebSocket (pod-attach.ts), as the local runtime hands
// it the child's pty.
import {randomUUID} from 'node:crypto'

import type {KubeConfig} from '@kubernetes/client-node'

import {RELEASE_PHASE_TYPE} from '../../domain/releases.js'
import type {DynoRecord, ReleaseRecord, Store} from '../../store/index.js'
import type {AttachBroker, AttachTicket} from '../attached.js'
import type {DynoExit, DynoHandle} from '../backend.js'
import type {OneOffSpec, PlatformEvent} from '../contracts.js'
import {openOneOff} from '../one-offs.js'
import type {FormationReconciler} from './formation.js'
import {describeKubeError, statusOf, type KubeApi} from './kube-api.js'
import {APP_CONTAINER, buildJob, jobNameFor} from './manifests.js'
import {attachToPod, gatedCommand} from './pod-attach.js'

export interface JobsContext {
  store: Store
  api: KubeApi
  kc: KubeConfig
  formation: FormationReconciler
  attach: AttachBroker | undefined
  event: PlatformEvent
  /** Resolves with the pod's name once the watch has seen the one-off's pod. */
  podOf(appId: string, dynoId: string): Promise<string>
  /** Ends a record that never got a pod (no code, a refused Job). */
  endWithoutPod(record: DynoRecord, status: number): void
  stop(appId: string, dynoId: string): Promise<void>
  onError(error: unknown): void
}

export function jobNameOf(record: Pick<DynoRecord, 'name' | 'type'>, release: Pick<ReleaseRecord, 'version'>): string {
  return record.type === RELEASE_PHASE_TYPE ? `release-v${release.version}` : jobNameFor(record.name)
}

export class KubernetesJobs {
  constructor(private readonly context: JobsContext) {}

  create(appId: string, spec: OneOffSpec): DynoRecord {
    const {record, ticket, command, release} = openOneOff(this.context, appId, spec)
    if (release) void this.start(appId, record, release, command, spec, ticket)
    else this.context.endWithoutPod(record, 1)
    return this.context.store.dynos.get(appId, record.id) ?? record
  }

  private async start(appId: string, record: DynoRecord, release: ReleaseRecord, command: string, spec: OneOffSpec, ticket: AttachTicket | undefined): Promise<void> {
    const {store, formation} = this.context
    try {
      const app = store.apps.get(appId)
      const state = await formation.prepare(appId, release)
      if (!app || !state) throw new Error('the app is gone')
      const job = buildJob({
        ...formation.podSource(appId, app.name, release),
        jobName: jobNameOf(record, release),
        dynoId: record.id,
        dynoName: record.name,
        type: spec.type,
        command: ticket ? gatedCommand(command) : command,
        size: spec.size,
        env: spec.env,
        timeToLive: spec.type === RELEASE_PHASE_TYPE ? null : spec.timeToLive,
        ...(ticket ? {stdio: {tty: ticket.tty}} : {}),
      })
      await this.createJob(state.namespace, job)
      if (ticket) ticket.bind(await this.attachHandle(appId, state.namespace, record, ticket))
    } catch (error) {
      ticket?.fail()
      this.context.event(appId, record.name, `Error starting process: ${describeKubeError(error)}`)
      if (store.dynos.get(appId, record.id)?.ended_at === null) this.context.endWithoutPod(record, 127)
    }
  }

  /** A Job of that name left from an earlier run (finished, within its TTL) is replaced. */
  private async createJob(namespace: string, job: ReturnType<typeof buildJob>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.context.api.createJob(namespace, job)
        return
      } catch (error) {
        if (statusOf(error) !== 409 || attempt >= 20) throw error
        await this.context.api.deleteJob(namespace, job.metadata?.name ?? '')
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
  }

  private async attachHandle(appId: string, namespace: string, record: DynoRecord, ticket: AttachTicket): Promise<DynoHandle> {
    const pod = await this.context.podOf(appId, record.id)
    const io = await attachToPod({kc: this.context.kc, namespace, pod, container: APP_CONTAINER, tty: ticket.tty, gate: true})
    const exited: Promise<DynoExit> = io.exited.then(({code, signal}) => ({code, signal}))
    const startedAt = new Date()
    const id = randomUUID()
    return {
      id,
      io,
      exited,
      // Its lines reach the app's log through the pod log follower, not through the handle.
      onOutput: () => () => {},
      stop: async () => {
        await this.context.stop(appId, record.id)
        await exited
      },
      memoryBytes: async () => undefined,
      describe: () => ({startedAt, record: {backend: 'kubernetes', id: `${namespace}/${pod}`, startedAt: startedAt.toISOString()}}),
    }
  }
}
