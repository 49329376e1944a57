// R10 on Kubernetes, as the local runtime's boot watch (policies/boot-watch.ts): a web pod whose
// app container runs but is not Ready (its readiness probe on $PORT) within the boot timeout gets
// `Error R10 (Boot timeout)` and is deleted at once (no grace: the local runtime's SIGKILL); its
// ReplicaSet makes a new one. Each container instance gets its own boot time, so a crash-looping
// container's next start is timed afresh.
import type {PlatformEvent} from '../contracts.js'
import type {PodView} from './pod-records.js'

export interface BootTimeoutsOptions {
  appId: string
  bootTimeoutMs: number
  event: PlatformEvent
  /** Deletes the pod now (grace 0). */
  kill(podName: string): Promise<void>
  onError(error: unknown): void
}

export class BootTimeouts {
  /** pod -> the container instance being timed and its timer. */
  private readonly timers = new Map<string, {containerId: string; timer: NodeJS.Timeout}>()

  constructor(private readonly options: BootTimeoutsOptions) {}

  /** Called on every event of a formation pod, with its type and its state as read. */
  observe(type: string, view: PodView): void {
    const {pod, state} = view
    const current = this.timers.get(pod)
    const booting = type === 'web' && state.state === 'starting' && state.containerId !== undefined && !state.final
    if (!booting) {
      if (current) this.forget(pod)
      return
    }
    if (current?.containerId === state.containerId) return
    if (current) clearTimeout(current.timer)
    const timer = setTimeout(() => this.expire(view), this.options.bootTimeoutMs)
    timer.unref()
    this.timers.set(pod, {containerId: state.containerId as string, timer})
  }

  forget(pod: string): void {
    clearTimeout(this.timers.get(pod)?.timer)
    this.timers.delete(pod)
  }

  close(): void {
    for (const {timer} of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
  }

  private expire(view: PodView): void {
    this.timers.delete(view.pod)
    const {appId, bootTimeoutMs, event} = this.options
    const seconds = Math.round(bootTimeoutMs / 1000)
    event(appId, view.dynoName, `Error R10 (Boot timeout) -> Web process failed to bind to $PORT within ${seconds} seconds of launch`)
    event(appId, view.dynoName, 'Stopping process with SIGKILL')
    this.options.kill(view.pod).catch((error: unknown) => this.options.onError(error))
  }
}
