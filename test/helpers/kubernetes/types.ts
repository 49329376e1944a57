// Shapes the fake Kubernetes API server works with. Objects are kept as the JSON the API speaks
// (timestamps are RFC 3339 strings), not as @kubernetes/client-node's classes (which hold Dates).

export type Json = null | boolean | number | string | Json[] | {[key: string]: Json}
export type JsonObject = {[key: string]: Json}

export interface OwnerReference {
  apiVersion: string
  kind: string
  name: string
  uid: string
  controller?: boolean
  blockOwnerDeletion?: boolean
}

export interface ObjectMeta {
  name?: string
  generateName?: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  generation?: number
  creationTimestamp?: string
  deletionTimestamp?: string
  deletionGracePeriodSeconds?: number
  labels?: Record<string, string>
  annotations?: Record<string, string>
  ownerReferences?: OwnerReference[]
  finalizers?: string[]
  [key: string]: unknown
}

export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: ObjectMeta
  spec?: unknown
  status?: unknown
  [key: string]: unknown
}

/** A request as the fake received it. */
export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  contentType?: string
  body?: unknown
  at: number
}

export interface InvalidObject {
  method: string
  path: string
  kind: string
  errors: string
}

export type PodBehaviour =
  | {kind: 'imagePullBackOff'}
  | {kind: 'errImagePull'}
  | {kind: 'createContainerConfigError'; message?: string}
  /** The first run of the container ends OOMKilled (exit 137), then it runs normally. */
  | {kind: 'oomKilled'}
  /** Runs, but the readiness probe never passes. */
  | {kind: 'neverReady'}

export interface FakeTiming {
  /** Pending (unscheduled) -> scheduled, ms. */
  scheduleMs: number
  /** Scheduled -> container started (ContainerCreating), ms. */
  createMs: number
  /** First CrashLoopBackOff delay, ms; doubles per restart up to maxCrashBackoffMs. */
  crashBackoffMs: number
  maxCrashBackoffMs: number
  /** How often readiness probes run until ready, ms (then at periodSeconds, at most 1 s apart). */
  probeMs: number
}

// Container and pod spec fields the fake reads (a subset of the API's).
export interface EnvVar {
  name: string
  value?: string
  valueFrom?: {secretKeyRef?: {name: string; key: string; optional?: boolean}; fieldRef?: {fieldPath: string}}
}
export interface Probe {
  periodSeconds?: number
  tcpSocket?: {port: number | string}
  httpGet?: {port: number | string; path?: string}
  exec?: {command?: string[]}
}
export interface ContainerSpec {
  name: string
  image?: string
  command?: string[]
  args?: string[]
  workingDir?: string
  env?: EnvVar[]
  envFrom?: {secretRef?: {name: string; optional?: boolean}; prefix?: string}[]
  ports?: {containerPort: number; name?: string; protocol?: string}[]
  readinessProbe?: Probe
  volumeMounts?: {name: string; mountPath: string}[]
  stdin?: boolean
  stdinOnce?: boolean
  tty?: boolean
}
export interface PodSpec {
  containers: ContainerSpec[]
  initContainers?: ContainerSpec[]
  restartPolicy?: 'Always' | 'OnFailure' | 'Never'
  terminationGracePeriodSeconds?: number
  activeDeadlineSeconds?: number
  volumes?: {name: string; emptyDir?: unknown}[]
  nodeName?: string
}
export interface PodTemplate {
  metadata?: ObjectMeta
  spec: PodSpec
}
export interface Pod extends KubeObject {
  spec: PodSpec
  status?: JsonObject
}

export function labelsOf(object: KubeObject): Record<string, string> {
  return object.metadata.labels ?? {}
}
