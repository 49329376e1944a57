// Follows one container's log in every pod the core's pod watch reports, into a sink (the log
// router). Per pod, one loop at a time reads the log in order, so lines never overtake each other:
//   - a container instance that runs is followed (`follow=true&timestamps=true`);
//   - when that stream ends, the pod is read again: still the same instance running means the
//     stream was dropped, and it is resumed with `sinceTime` (backing off while it keeps dropping);
//     an instance that ended has its tail read once more without follow (`previous=true` when a
//     newer one already runs), so the lines between the drop and its end are not lost;
//   - after a crash, the previous instance's log is read (`previous=true`) before the new instance
//     is followed, for the lines nobody followed (a crash between two watch events);
//   - every re-read overlaps the last one (`sinceTime` is the time of the newest line delivered,
//     and the API server may round it to the second), and a high-water mark of (time, text)
//     drops what was delivered already. Instances are told apart by their container ID.
// A pod observed for the first time is read from its first line, previous instance included. The
// line a gated one-off prints under a TTY (io-attach-gate.ts) is left out.
import {CoreV1Api} from '@kubernetes/client-node'
import type {KubeConfig, V1ContainerStatus, V1Pod} from '@kubernetes/client-node'

import {GATE_READY} from './io-attach-gate.js'
import {HighWater, dateOf, parseLogLine} from './io-log-lines.js'
import type {HighWaterReader} from './io-log-lines.js'
import {readPodLog, statusCodeOf} from './io-log-read.js'
import type {LogRead, LogReadOptions, LogReadOutcome} from './io-log-read.js'

export interface PodLogSink {
  line(pod: string, line: string, time: Date): void
  event?(pod: string, message: string): void
}

export interface PodLogFollowerOptions {
  kc: KubeConfig
  namespace: string
  container: string
  sink: PodLogSink
  onError?: (error: Error) => void
  /** First and longest wait before resuming a stream that keeps dropping, ms (100 and 5000). */
  resumeDelayMs?: {min: number; max: number}
  /** How long a forgotten pod's open stream may go on delivering its last lines, ms (5000). */
  drainMs?: number
}

interface Follow {
  name: string
  /** The newest pod object seen (from the watch or read back). */
  pod: V1Pod
  mark: HighWater
  /** Instances (container IDs) whose log was read to its end. */
  finished: Set<string>
  /** The loop runs; `dirty` asks it to go round once more with the newest pod. */
  running: boolean
  dirty: boolean
  /** No new read starts; the one under way may still deliver (a deleted pod's last lines). */
  forgotten: boolean
  /** Lines are dropped: the follower closed, or a forgotten pod's stream did not end in time. */
  aborted: boolean
  current?: LogRead
  /** Wakes the loop from a back-off wait. */
  wake?: () => void
  /** Consecutive follows of one instance that ended while it still ran. */
  drops: number
  idle: Promise<void>
  settleIdle: () => void
}

export class PodLogFollower {
  private readonly pods = new Map<string, Follow>()
  private readonly api: CoreV1Api
  private closed = false

  constructor(private readonly options: PodLogFollowerOptions) {
    this.api = options.kc.makeApiClient(CoreV1Api)
  }

  observe(pod: V1Pod): void {
    const name = pod.metadata?.name
    if (this.closed || !name) return
    let follow = this.pods.get(name)
    if (!follow) {
      follow = {
        name,
        pod,
        mark: new HighWater(),
        finished: new Set(),
        running: false,
        dirty: false,
        forgotten: false,
        aborted: false,
        drops: 0,
        idle: Promise.resolve(),
        settleIdle: () => {},
      }
      this.pods.set(name, follow)
    }
    if (newer(pod, follow.pod)) follow.pod = pod
    this.kick(follow)
  }

  /**
   * Stops following a pod (the watch saw it deleted). A stream under way may still carry its last
   * lines (the deletion can reach the watch before them): it is read to its end, for at most
   * `drainMs` (5 s).
   */
  forget(podName: string): void {
    const follow = this.pods.get(podName)
    if (!follow) return
    this.pods.delete(podName)
    follow.forgotten = true
    follow.wake?.()
    if (!follow.current) return
    const timer = setTimeout(() => this.abort(follow), this.options.drainMs ?? 5000)
    void follow.idle.then(() => clearTimeout(timer))
  }

  async close(): Promise<void> {
    this.closed = true
    const follows = [...this.pods.values()]
    for (const follow of follows) {
      this.forget(follow.name)
      this.abort(follow)
    }
    await Promise.all(follows.map((f) => f.idle))
  }

  private abort(follow: Follow): void {
    follow.aborted = true
    follow.current?.abort()
  }

  private kick(follow: Follow): void {
    follow.dirty = true
    if (follow.running) {
      follow.wake?.()
      return
    }
    follow.running = true
    follow.idle = new Promise((resolve) => (follow.settleIdle = resolve))
    void this.loop(follow)
  }

  private async loop(follow: Follow): Promise<void> {
    try {
      while (follow.dirty && !follow.forgotten) {
        follow.dirty = false
        try {
          await this.step(follow)
        } catch (error) {
          if (follow.forgotten) break
          this.options.onError?.(error instanceof Error ? error : new Error(String(error)))
          // Tried again (the API server may be restarting), later each time, until the pod is forgotten.
          await this.backOff(follow)
          follow.dirty = true
        }
      }
    } finally {
      follow.running = false
      follow.settleIdle()
    }
  }

  /** One pass over the newest pod status: the previous instance's missed lines, then the current instance. */
  private async step(follow: Follow): Promise<void> {
    const status = containerStatus(follow.pod, this.options.container)
    if (!status) return
    const previous = previousInstance(status)
    if (previous && !follow.finished.has(previous)) {
      // Only the instance before the current one can be read: after two quick restarts, the
      // lines of older ones that were never followed are not in the API any more.
      await this.readToEnd(follow, previous, true)
      if (follow.forgotten) return
    }
    const current = currentInstance(status)
    if (!current || follow.finished.has(current)) return
    if (status.state?.terminated) await this.readToEnd(follow, current, false)
    else await this.followRunning(follow, current)
  }

  private async followRunning(follow: Follow, instance: string): Promise<void> {
    await this.read(follow, {follow: true}, false)
    if (follow.forgotten) return
    const fresh = await this.readPod(follow)
    if (follow.forgotten) return
    // The pod is gone, and its log with it: its stream ended with the container.
    if (!fresh) return
    follow.pod = fresh
    const status = containerStatus(follow.pod, this.options.container)
    if (status?.state?.running && currentInstance(status) === instance) {
      // The stream ended while the instance still runs: it was dropped. Resume after a pause.
      await this.backOff(follow)
    } else if (status && (currentInstance(status) === instance || previousInstance(status) === instance)) {
      follow.drops = 0
      // It ended: read its tail once more in case the stream dropped before its last lines.
      await this.readToEnd(follow, instance, currentInstance(status) !== instance)
    } else {
      follow.finished.add(instance)
      this.options.sink.event?.(follow.name, `The end of container ${shortId(instance)}'s log could not be read: it restarted twice meanwhile`)
    }
    follow.dirty = true
  }

  /** Reads an instance that is over, from the mark to its end, and counts it as finished. */
  private async readToEnd(follow: Follow, instance: string, previous: boolean): Promise<void> {
    try {
      const outcome = await this.read(follow, {follow: false, previous}, true)
      if (outcome === 'dropped') throw new Error(`the log of ${follow.name} (container ${shortId(instance)}) was cut off: reading it again`)
      if (!follow.forgotten) follow.finished.add(instance)
    } catch (error) {
      const code = statusCodeOf(error) ?? statusCodeOf((error as Error).cause)
      if (code === 400 || code === 404) {
        // The instance's log is gone (a newer restart replaced it, or the pod went away).
        follow.finished.add(instance)
        this.options.sink.event?.(follow.name, `The log of container ${shortId(instance)} could not be read: ${(error as Error).message}`)
        return
      }
      throw error
    }
  }

  private async read(follow: Follow, options: LogReadOptions, keepUnterminated: boolean): Promise<LogReadOutcome> {
    const sinceTime = follow.mark.sinceTime
    const reader: HighWaterReader = follow.mark.reader()
    const read = readPodLog(
      this.options.kc,
      {namespace: this.options.namespace, pod: follow.name, container: this.options.container},
      {...options, timestamps: true, ...(sinceTime ? {sinceTime} : {}), keepUnterminated},
      (raw) => {
        if (follow.aborted) return
        const line = parseLogLine(raw)
        if (!reader.admit(line) || line.text === GATE_READY) return
        if (line.nanos !== undefined) follow.drops = 0
        this.options.sink.line(follow.name, line.text, line.nanos === undefined ? new Date() : dateOf(line.nanos))
      },
    )
    follow.current = read
    try {
      return await read.done
    } finally {
      if (follow.current === read) follow.current = undefined
    }
  }

  private async readPod(follow: Follow): Promise<V1Pod | undefined> {
    try {
      return await this.api.readNamespacedPod({name: follow.name, namespace: this.options.namespace})
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined
      throw error
    }
  }

  /** Waits longer each time nothing new came since the last wait (a line delivered resets it). */
  private backOff(follow: Follow): Promise<void> {
    follow.drops += 1
    const {min, max} = this.options.resumeDelayMs ?? {min: 100, max: 5000}
    return this.pause(follow, Math.min(max, min * 2 ** Math.min(follow.drops - 1, 10)))
  }

  private pause(follow: Follow, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done(): void {
        clearTimeout(timer)
        follow.wake = undefined
        resolve()
      }
      follow.wake = done
    })
  }
}

function containerStatus(pod: V1Pod, container: string): V1ContainerStatus | undefined {
  return pod.status?.containerStatuses?.find((s) => s.name === container)
}

/**
 * The instance that runs or has ended (not one waiting to start), by its container ID; `#<restartCount>`
 * where the status has none.
 */
function currentInstance(status: V1ContainerStatus): string | undefined {
  const state = status.state
  if (!state?.running && !state?.terminated) return undefined
  return state.terminated?.containerID || status.containerID || `#${status.restartCount ?? 0}`
}

/** The instance before it (`lastState.terminated`), by its container ID. */
function previousInstance(status: V1ContainerStatus): string | undefined {
  const last = status.lastState?.terminated
  if (!last) return undefined
  return last.containerID || `#${Math.max(0, (status.restartCount ?? 0) - 1)}`
}

/** `containerd://0123456789ab...` -> `0123456789ab`, for messages. */
function shortId(instance: string): string {
  return instance.replace(/^[a-z]+:\/\//, '').slice(0, 12)
}

/** Whether `a` is at least as new as `b` (resourceVersions compare as numbers where they are). */
function newer(a: V1Pod, b: V1Pod): boolean {
  const ra = Number(a.metadata?.resourceVersion)
  const rb = Number(b.metadata?.resourceVersion)
  if (Number.isFinite(ra) && Number.isFinite(rb)) return ra >= rb
  return true
}
