// The pod status the fake kubelet writes: phase, conditions (with stable transition times), and
// each container's state, lastState, readiness and restart count, from the kubelet's own view.
import type {ChildProcess} from 'node:child_process'
import type {ContainerInstance} from './container-logs.js'
import type {ContainerSpec, PodBehaviour, PodSpec} from './types.js'

export interface Terminated {exitCode: number; reason: string; startedAt?: string; finishedAt: string; containerID?: string; signal?: number}
export interface ContainerState {waiting?: {reason: string; message?: string}; running?: {startedAt: string}; terminated?: Terminated}

export interface ContainerRun {
  spec: ContainerSpec
  state: ContainerState
  lastState: {terminated?: Terminated}
  restartCount: number
  ready: boolean
  started: boolean
  containerID?: string
  child?: ChildProcess
  instance?: ContainerInstance
  /** The log of the instance lastState.terminated describes (what `previous=true` reads). */
  lastInstance?: ContainerInstance
  runs: number
  oomKill?: boolean
  probing?: boolean
  probedAt?: number
  /** Raw output (1 stdout, 2 stderr) of the current process, for attach. */
  readonly output: Set<(channel: 1 | 2, chunk: Buffer) => void>
  readonly exits: Set<() => void>
}

export interface PodRun {
  namespace: string
  name: string
  uid: string
  dir: string
  spec: PodSpec
  init: ContainerRun[]
  containers: ContainerRun[]
  behaviour?: PodBehaviour
  timers: Set<NodeJS.Timeout>
  port?: number
  startTime?: string
  initialized: boolean
  finalPhase?: 'Succeeded' | 'Failed'
  terminating: boolean
  stopped: boolean
  transitions: Map<string, {status: string; at: string}>
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z')
}

function condition(run: PodRun, type: string, ok: boolean, reason?: string, message?: string): Record<string, string> {
  const status = ok ? 'True' : 'False'
  const previous = run.transitions.get(type)
  if (!previous || previous.status !== status) run.transitions.set(type, {status, at: now()})
  const condition: Record<string, string> = {type, status, lastProbeTime: null as unknown as string, lastTransitionTime: (run.transitions.get(type) as {at: string}).at}
  if (!ok && reason) condition.reason = reason
  if (!ok && message) condition.message = message
  return condition
}

function containerStatus(container: ContainerRun): Record<string, unknown> {
  const status: Record<string, unknown> = {
    name: container.spec.name,
    state: container.state,
    lastState: container.lastState,
    ready: container.ready,
    restartCount: container.restartCount,
    image: container.spec.image ?? '',
    imageID: '',
    started: container.state.running !== undefined,
  }
  if (container.containerID) status.containerID = container.containerID
  return status
}

/** The pod status a kubelet reports for this run. */
export function podStatus(run: PodRun): Record<string, unknown> {
  const started = run.containers.some((c) => c.started)
  const phase = run.finalPhase ?? (run.initialized && started ? 'Running' : 'Pending')
  const allReady = run.containers.every((c) => c.ready)
  const unready = run.containers.filter((c) => !c.ready).map((c) => c.spec.name)
  const finished = run.finalPhase !== undefined
  const status: Record<string, unknown> = {
    phase,
    conditions: [
      condition(run, 'PodReadyToStartContainers', run.startTime !== undefined),
      condition(run, 'Initialized', run.initialized, 'ContainersNotInitialized', `containers with incomplete status: [${run.init.filter((c) => c.state.terminated?.exitCode !== 0).map((c) => c.spec.name).join(' ')}]`),
      condition(run, 'Ready', allReady, finished ? 'PodCompleted' : 'ContainersNotReady', finished ? undefined : `containers with unready status: [${unready.join(' ')}]`),
      condition(run, 'ContainersReady', allReady, finished ? 'PodCompleted' : 'ContainersNotReady', finished ? undefined : `containers with unready status: [${unready.join(' ')}]`),
      condition(run, 'PodScheduled', true),
    ],
    hostIP: '127.0.0.1',
    hostIPs: [{ip: '127.0.0.1'}],
    podIP: '127.0.0.1',
    podIPs: [{ip: '127.0.0.1'}],
    startTime: run.startTime,
    containerStatuses: run.containers.map((c) => containerStatus(c)),
    qosClass: 'BestEffort',
  }
  if (run.init.length > 0) status.initContainerStatuses = run.init.map((c) => containerStatus(c))
  return status
}
