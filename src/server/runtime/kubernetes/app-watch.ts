// One app's pods, read back: a pod informer on the app's namespace (client-node's makeInformer:
// list, then watch from that resourceVersion; a `410 Gone` makes it list again), whose events
// update the dyno records (pod-records.ts) and start the log follow of every container instance
// (K3's PodLogFollower), pods that appear later included.
import type {KubeConfig, V1Pod} from '@kubernetes/client-node'
import {makeInformer, type Informer, type ObjectCache} from '@kubernetes/client-node'

import type {LogInputSink} from '../contracts.js'
import type {KubeApi} from './kube-api.js'
import {BootTimeouts} from './boot-timeouts.js'
import {APP_CONTAINER, LABEL_DYNO_ID, typeOf} from './manifests.js'
import {PodLogFollower} from './pod-logs.js'
import {PodRecords, type PodRecordsContext} from './pod-records.js'

/** After a watch error other than 410 (the API server restarted, a network error), the watch starts again after this long. */
export const WATCH_RETRY_MS = 1000
/** How long an attached one-off's pod may take to be created. */
export const POD_APPEAR_TIMEOUT_MS = 120_000

export interface AppWatchOptions extends PodRecordsContext {
  kc: KubeConfig
  api: KubeApi
  namespace: string
  logs: LogInputSink
  /** R10: how long a web pod may run before it is Ready (boot-timeouts.ts). */
  bootTimeoutMs: number
  onError(error: unknown): void
}

interface PodWaiter {
  resolve(pod: string): void
  reject(error: Error): void
  timer: NodeJS.Timeout
}

export class AppWatch {
  readonly records: PodRecords
  private readonly informer: Informer<V1Pod> & ObjectCache<V1Pod>
  private readonly follower: PodLogFollower
  private readonly boot: BootTimeouts
  private readonly podWaiters = new Map<string, PodWaiter[]>()
  private closed = false
  private retry: NodeJS.Timeout | undefined
  /** Settles once the first list has been read (or failed). */
  readonly started: Promise<void>

  constructor(private readonly options: AppWatchOptions) {
    const {kc, api, namespace, appId, logs} = options
    this.records = new PodRecords(options)
    const dyno = (pod: string): string => this.records.dynoName(pod)
    this.follower = new PodLogFollower({
      kc,
      namespace,
      container: APP_CONTAINER,
      sink: {
        line: (pod, message) => logs.write(appId, {source: 'app', dyno: dyno(pod), message}),
        event: (pod, message) => logs.write(appId, {source: 'tug', dyno: dyno(pod), message}),
      },
      onError: (error) => options.onError(error),
    })
    this.boot = new BootTimeouts({
      appId,
      bootTimeoutMs: options.bootTimeoutMs,
      event: options.event,
      kill: async (pod) => {
        await api.deletePod(namespace, pod, 0)
      },
      onError: (error) => options.onError(error),
    })
    this.informer = makeInformer<V1Pod>(kc, `/api/v1/namespaces/${namespace}/pods`, () => api.core.listNamespacedPod({namespace}))
    const seen = (pod: V1Pod): void => this.seen(pod)
    this.informer.on('add', seen)
    this.informer.on('update', seen)
    this.informer.on('delete', (pod) => {
      this.guard(() => this.records.removed(pod))
      if (pod.metadata?.name) {
        this.follower.forget(pod.metadata.name)
        this.boot.forget(pod.metadata.name)
      }
    })
    this.informer.on('error', (error: unknown) => {
      if (this.closed) return
      options.onError(new Error(`pod watch of ${namespace}: ${(error as Error)?.message ?? String(error)}`))
      // One restart at a time: errors while one is pending (the list and the watch can both fail) wait for it.
      if (this.retry) return
      this.retry = setTimeout(() => {
        this.retry = undefined
        if (!this.closed) void this.informer.start().catch((e: unknown) => options.onError(e))
      }, WATCH_RETRY_MS)
      this.retry.unref()
    })
    this.started = this.informer.start().then(
      () => this.records.sweepFormation(new Set(this.informer.list().map((pod) => pod.metadata?.name ?? ''))),
      (error: unknown) => options.onError(error),
    )
  }

  /** The pod of a one-off, once the watch has seen it. */
  podOf(dynoId: string): Promise<string> {
    const known = this.records.podOfDyno(dynoId)
    if (known) return Promise.resolve(known.pod)
    return new Promise((resolve, reject) => {
      const list = this.podWaiters.get(dynoId) ?? []
      const waiter: PodWaiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          list.splice(list.indexOf(waiter), 1)
          if (list.length === 0 && this.podWaiters.get(dynoId) === list) this.podWaiters.delete(dynoId)
          reject(new Error(`its pod did not appear within ${POD_APPEAR_TIMEOUT_MS / 1000} seconds`))
        }, POD_APPEAR_TIMEOUT_MS),
      }
      waiter.timer.unref()
      list.push(waiter)
      this.podWaiters.set(dynoId, list)
    })
  }

  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.retry)
    this.boot.close()
    // Nobody waits two minutes for a pod the closed watch will never report.
    for (const waiter of [...this.podWaiters.values()].flat()) {
      clearTimeout(waiter.timer)
      waiter.reject(new Error('the control plane is shutting down'))
    }
    this.podWaiters.clear()
    await this.informer.stop().catch(() => {})
    await this.follower.close()
  }

  private seen(pod: V1Pod): void {
    this.guard(() => this.records.observe(pod))
    this.follower.observe(pod)
    const name = pod.metadata?.name
    const view = name ? this.records.view(name) : undefined
    if (view && pod.metadata?.labels?.[LABEL_DYNO_ID] === undefined) this.boot.observe(typeOf(pod.metadata) ?? '', view)
    const dynoId = view?.dynoId
    const waiters = dynoId === undefined ? undefined : this.podWaiters.get(dynoId)
    if (name && dynoId !== undefined && waiters) {
      this.podWaiters.delete(dynoId)
      for (const waiter of waiters) {
        clearTimeout(waiter.timer)
        waiter.resolve(name)
      }
    }
  }

  private guard(task: () => void): void {
    try {
      task()
    } catch (error) {
      this.options.onError(error)
    }
  }
}
