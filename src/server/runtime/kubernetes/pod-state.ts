// A pod's status read as a dyno's state (issue 18, point 4). Kubernetes keeps a crash-looping
// container's pod in phase Running, so the phase alone says little: the app container's status
// decides. None of Deis, Dokku, Kubero or Epinio maps these; the table is tug's:
//   Pending / ContainerCreating / init containers running   -> starting
//   Running and Ready                                        -> up
//   Running, not Ready                                       -> starting
//   waiting CrashLoopBackOff / Error, or an init that failed -> crashed
//   ImagePullBackOff / ErrImagePull / CreateContainerConfigError / InvalidImageName -> crashed, reason shown
//   Succeeded                                                -> down (exit 0)
//   Failed                                                   -> crashed (exit code kept)
//   being deleted                                            -> down
import type {V1ContainerStatus, V1Pod} from '@kubernetes/client-node'

import type {DynoState} from '../../../shared/api-types.js'
import {APP_CONTAINER} from './manifests.js'

/** Waiting reasons that mean the container cannot start until someone fixes something. */
export const BLOCKING_REASONS = new Set(['ImagePullBackOff', 'ErrImagePull', 'CreateContainerConfigError', 'InvalidImageName', 'CreateContainerError'])
const CRASH_REASONS = new Set(['CrashLoopBackOff', 'Error', 'RunContainerError'])

export interface PodDynoState {
  state: DynoState
  /** Why it is not running (`ImagePullBackOff: <message>`, `Init:Error`); undefined when nothing to say. */
  reason?: string
  /** The app container's exit code once it terminated (Jobs), or its last one (a restart). */
  exitCode?: number
  /** The container ended with this reason (OOMKilled, Error, Completed). */
  terminatedReason?: string
  /** How many times the app container restarted. */
  restarts: number
  /** The current container instance's id (a restart is a new one). */
  containerId?: string
  /** The last termination of the container (lastState), to report once per restart. */
  lastTermination?: {exitCode: number; reason?: string; finishedAt?: string}
  /** The pod has ended for good (a Job's pod, or one being deleted). */
  final: boolean
}

function appStatus(pod: V1Pod): V1ContainerStatus | undefined {
  return pod.status?.containerStatuses?.find((c) => c.name === APP_CONTAINER) ?? pod.status?.containerStatuses?.[0]
}

function withMessage(reason: string, message: string | undefined): string {
  return message ? `${reason}: ${message}` : reason
}

/** An init container (the slug fetch) that failed or waits after a failure. */
function initProblem(pod: V1Pod): string | undefined {
  for (const init of pod.status?.initContainerStatuses ?? []) {
    const waiting = init.state?.waiting
    if (waiting?.reason && (CRASH_REASONS.has(waiting.reason) || BLOCKING_REASONS.has(waiting.reason))) {
      return withMessage(`Init:${waiting.reason}`, waiting.message ?? init.lastState?.terminated?.message)
    }
    const terminated = init.state?.terminated
    if (terminated && terminated.exitCode !== 0) return withMessage('Init:Error', terminated.message ?? `exit status ${terminated.exitCode}`)
  }
  return undefined
}

export function podDynoState(pod: V1Pod): PodDynoState {
  const status = appStatus(pod)
  const restarts = status?.restartCount ?? 0
  const base = {
    restarts,
    ...(status?.containerID ? {containerId: status.containerID} : {}),
    ...(status?.lastState?.terminated
      ? {
          lastTermination: {
            exitCode: status.lastState.terminated.exitCode,
            ...(status.lastState.terminated.reason ? {reason: status.lastState.terminated.reason} : {}),
            ...(status.lastState.terminated.finishedAt ? {finishedAt: String(status.lastState.terminated.finishedAt)} : {}),
          },
        }
      : {}),
  }
  const phase = pod.status?.phase
  const terminated = status?.state?.terminated
  const ended = terminated ? {exitCode: terminated.exitCode, ...(terminated.reason ? {terminatedReason: terminated.reason} : {})} : {}
  if (phase === 'Succeeded') return {...base, ...ended, state: 'down', exitCode: terminated?.exitCode ?? 0, final: true}
  if (phase === 'Failed') {
    const init = initProblem(pod)
    const reason = init ?? pod.status?.reason ?? terminated?.reason
    return {...base, ...ended, state: 'crashed', exitCode: terminated?.exitCode ?? 1, ...(reason ? {reason} : {}), final: true}
  }
  if (pod.metadata?.deletionTimestamp) return {...base, ...ended, state: 'down', final: true}
  const init = initProblem(pod)
  if (init) return {...base, state: 'crashed', reason: init, final: false}
  const waiting = status?.state?.waiting
  if (waiting?.reason && BLOCKING_REASONS.has(waiting.reason)) {
    return {...base, state: 'crashed', reason: withMessage(waiting.reason, waiting.message), final: false}
  }
  if (waiting?.reason && CRASH_REASONS.has(waiting.reason)) return {...base, state: 'crashed', reason: waiting.reason, final: false}
  if (terminated) return {...base, ...ended, state: 'crashed', final: false}
  if (phase === 'Running' && status?.state?.running) return {...base, state: status.ready ? 'up' : 'starting', final: false}
  return {...base, state: 'starting', final: false}
}

/** The line Heroku prints when the kernel kills a dyno for memory. */
export const R15_LINE = 'Error R15 (Memory quota vastly exceeded)'

/**
 * Platform lines for a change between two reads of the same pod, as the local runtime writes them:
 * `State changed from starting to up`, `Process exited with status 1`, R15 for an OOM kill, the
 * reason a container cannot start.
 */
export function transitionLines(previous: PodDynoState | undefined, next: PodDynoState): string[] {
  const lines: string[] = []
  const newTermination =
    next.lastTermination !== undefined &&
    (previous?.lastTermination === undefined ||
      previous.lastTermination.finishedAt !== next.lastTermination.finishedAt ||
      previous.restarts !== next.restarts)
  if (newTermination && next.lastTermination) {
    if (next.lastTermination.reason === 'OOMKilled') lines.push(R15_LINE)
    lines.push(`Process exited with status ${next.lastTermination.exitCode}`)
  }
  if (next.final && next.exitCode !== undefined && previous?.exitCode === undefined) {
    if (next.terminatedReason === 'OOMKilled') lines.push(R15_LINE)
    lines.push(`Process exited with status ${next.exitCode}`)
  }
  const from = previous?.state ?? 'starting'
  if (previous !== undefined && from !== next.state) lines.push(`State changed from ${from} to ${next.state}`)
  if (next.reason && next.reason !== previous?.reason && next.state === 'crashed' && !CRASH_REASONS.has(next.reason)) lines.push(`Cannot run: ${next.reason}`)
  return lines
}
