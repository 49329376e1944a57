// Pure manifest builders: an app's formation, release and config -> the Kubernetes objects that run
// it. Nothing here talks to a cluster, so each object can be checked against Kubernetes' own schema
// in a unit test (kubernetes-models' validate()).
//
// The mapping (issue 18): a Namespace per app; the config of each release in an immutable Secret
// `config-v<N>` (a new release is a new Secret, never an edit, so a pod always sees the config of the
// release it runs); a Deployment per process type whose replicas are set once at creation and later
// only through the `scale` subresource (so scaling never rolls pods); a Service `web` whose
// EndpointSlices the router reads; one-offs and the release phase as Jobs that never retry. Pods run
// a stack image whose init container fetches the release's slug from the control plane (a
// capability URL) into an emptyDir at /app, as Deis's slugrunner did, then `bash -c` the command.
import type {
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1Job,
  V1Namespace,
  V1PodSecurityContext,
  V1PodSpec,
  V1ResourceRequirements,
  V1Secret,
  V1SecurityContext,
  V1Service,
} from '@kubernetes/client-node'

import {createHash} from 'node:crypto'

import {dynoSizeSpec} from '../../domain/catalog.js'
import {withProfile} from '../dyno-environment.js'

export const DEFAULT_STACK_IMAGE = 'heroku/heroku:24'
export const DEFAULT_NAMESPACE_PREFIX = 'tug-'
/** $PORT inside every container, as in Heroku's own containers. */
export const CONTAINER_PORT = 5000
/** The container that runs the dyno's process; K3's log and attach modules rely on the name. */
export const APP_CONTAINER = 'app'
export const SLUG_CONTAINER = 'slug'
export const APP_VOLUME = 'app'
export const APP_DIR = '/app'
export const TMP_VOLUME = 'tmp'
/**
 * Every container runs as this uid and gid, never root: the `heroku` user of the heroku-24 stack
 * image (any image works, since the only writable places are the emptyDirs at /app and /tmp).
 */
export const STACK_UID = 1001
/** How long a web pod being removed waits before its SIGTERM, so the router stops sending to it first. */
export const PRE_STOP_SLEEP_SECONDS = 5
/** How long a finished Job (and its pod, with its log) stays before Kubernetes deletes it. */
export const JOB_TTL_AFTER_FINISHED_SECONDS = 600
/** A one-off without a time to live still ends after a day, as on Heroku. */
export const DEFAULT_ONE_OFF_DEADLINE_SECONDS = 86_400

export const LABEL_APP = 'tug.dev/app'
export const LABEL_TYPE = 'tug.dev/type'
export const LABEL_DYNO_ID = 'tug.dev/dyno-id'
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by'
export const ANNOTATION_RELEASE = 'tug.dev/release'
export const ANNOTATION_RESTARTED_AT = 'tug.dev/restartedAt'
export const ANNOTATION_DYNO_NAME = 'tug.dev/dyno-name'
/** The process type as the Procfile says it, when its label had to be made a valid label value. */
export const ANNOTATION_TYPE = 'tug.dev/type'

/** What every pod of an app needs to know about the release it runs. */
export interface PodSource {
  appName: string
  releaseVersion: number
  /** The capability URL the init container fetches the slug from. */
  slugUrl: string
  stackImage: string
  /** SIGTERM to SIGKILL, in seconds (the app's runtime setting). */
  stopGraceSeconds: number
}

export interface DeploymentInput extends PodSource {
  type: string
  command: string
  size: string
  /** Only used when the Deployment is created; later, replicas change through `scale` only. */
  replicas: number
  /** `ps:restart`'s pod-template annotation, kept across releases. */
  restartedAt?: string
}

export interface JobInput extends PodSource {
  /** `run-3`, `release-v7`. */
  jobName: string
  /** The dyno record's id and name (`run.3`): the pod is found by them. */
  dynoId: string
  dynoName: string
  type: string
  command: string
  size: string
  env: Record<string, string>
  /** Seconds; null: DEFAULT_ONE_OFF_DEADLINE_SECONDS. */
  timeToLive: number | null
  /** Attached (`tug run`): stdin open once, a terminal when `tty`. */
  stdio?: {tty: boolean}
}

export function namespaceName(prefix: string, appName: string): string {
  return `${prefix}${appName}`
}

/**
 * A process type's Deployment: named by the type, made a DNS-1123 label (`Worker_2` -> `worker-2`;
 * Procfile types may have capitals and underscores, Kubernetes names may not). The type itself is
 * kept in the `tug.dev/type` label, which is what the runtime reads back.
 */
export function deploymentName(type: string): string {
  return type.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 47) || 'process'
}

export function secretName(releaseVersion: number): string {
  return `config-v${releaseVersion}`
}

function appLabels(appName: string): Record<string, string> {
  return {[LABEL_APP]: appName, [LABEL_MANAGED_BY]: 'tug'}
}

export function buildNamespace(name: string, appName: string): V1Namespace {
  return {apiVersion: 'v1', kind: 'Namespace', metadata: {name, labels: appLabels(appName)}}
}

/** The release's config vars, immutable: a new release gets a new Secret. */
export function buildConfigSecret(appName: string, releaseVersion: number, config: Record<string, string>): V1Secret {
  const data: Record<string, string> = {}
  for (const [key, value] of Object.entries(config)) data[key] = Buffer.from(value, 'utf8').toString('base64')
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {name: secretName(releaseVersion), labels: {...appLabels(appName), [ANNOTATION_RELEASE]: `v${releaseVersion}`}},
    type: 'Opaque',
    immutable: true,
    data,
  }
}

/**
 * A size's memory quota is the request and MEMORY_KILL_FACTOR times it the limit (above it the
 * kernel kills the container: OOMKilled, tug's R15), as the local cgroups do; the CPU request is the
 * size's compute units (cpu.shares 1024 per unit locally, which is what one CPU requests), with no
 * CPU limit, since shares are a weight, not a cap.
 */
export function resourcesFor(size: string): V1ResourceRequirements {
  const {limits, size: spec} = dynoSizeSpec(size)
  return {
    requests: {cpu: `${spec.compute * 1000}m`, memory: String(limits.memoryQuotaBytes)},
    limits: {memory: String(limits.memoryMaxBytes)},
  }
}

/**
 * Isolation (the platform's first promise): no root, no privilege escalation, no capabilities, the
 * runtime's default seccomp profile, and an image that cannot be written to; /app (the slug) and
 * /tmp are the pod's own emptyDirs. Pods get no service-account token (podSpec).
 */
export const POD_SECURITY: V1PodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: STACK_UID,
  runAsGroup: STACK_UID,
  fsGroup: STACK_UID,
  seccompProfile: {type: 'RuntimeDefault'},
}
export const CONTAINER_SECURITY: V1SecurityContext = {
  allowPrivilegeEscalation: false,
  privileged: false,
  readOnlyRootFilesystem: true,
  capabilities: {drop: ['ALL']},
}
function mounts(): NonNullable<V1Container['volumeMounts']> {
  return [
    {name: APP_VOLUME, mountPath: APP_DIR},
    {name: TMP_VOLUME, mountPath: '/tmp'},
  ]
}

function slugInit(source: PodSource): V1Container {
  return {
    name: SLUG_CONTAINER,
    image: source.stackImage,
    command: ['bash', '-c', `set -o pipefail; curl -fsSL --retry 3 "$TUG_SLUG_URL" | tar -xzf - -C ${APP_DIR}`],
    env: [{name: 'TUG_SLUG_URL', value: source.slugUrl}],
    volumeMounts: mounts(),
    securityContext: CONTAINER_SECURITY,
  }
}

/** PORT fixed; DYNO and PS are the pod's own name (the dyno's name, Fir-style) unless given. */
function platformEnv(dynoName?: string): V1EnvVar[] {
  const own = dynoName === undefined ? {valueFrom: {fieldRef: {fieldPath: 'metadata.name'}}} : {value: dynoName}
  return [{name: 'PORT', value: String(CONTAINER_PORT)}, {name: 'DYNO', ...own}, {name: 'PS', ...own}]
}

function appContainer(source: PodSource, command: string, size: string, extra: Partial<V1Container>): V1Container {
  return {
    name: APP_CONTAINER,
    image: source.stackImage,
    command: ['bash', '-c', withProfile(command)],
    workingDir: APP_DIR,
    envFrom: [{secretRef: {name: secretName(source.releaseVersion)}}],
    resources: resourcesFor(size),
    volumeMounts: mounts(),
    securityContext: CONTAINER_SECURITY,
    ...extra,
  }
}

function podSpec(source: PodSource, container: V1Container, restartPolicy: 'Always' | 'Never'): V1PodSpec {
  return {
    restartPolicy,
    terminationGracePeriodSeconds: source.stopGraceSeconds,
    enableServiceLinks: false,
    automountServiceAccountToken: false,
    securityContext: POD_SECURITY,
    initContainers: [slugInit(source)],
    containers: [container],
    volumes: [
      {name: APP_VOLUME, emptyDir: {}},
      {name: TMP_VOLUME, emptyDir: {}},
    ],
  }
}

/**
 * A web pod being removed (scale down, rolling update, a node drained) is first marked terminating,
 * which the router reads from its EndpointSlice and stops sending to; the sleep gives it the time
 * to, before the SIGTERM, as real platforms do. Never more than half the grace.
 */
function preStop(stopGraceSeconds: number): Pick<V1Container, 'lifecycle'> {
  const seconds = Math.min(PRE_STOP_SLEEP_SECONDS, Math.floor(stopGraceSeconds / 2))
  return seconds > 0 ? {lifecycle: {preStop: {exec: {command: ['sleep', String(seconds)]}}}} : {}
}

const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/

/**
 * The `tug.dev/type` label of a process type: the type itself when it is a valid label value (63
 * characters, alphanumerics at both ends); else (a Procfile allows `_job`, or 128 characters) its
 * DNS form with a hash of the type, so that two types never share a selector. The type itself is
 * then kept in the `tug.dev/type` annotation, which typeOf reads first.
 */
export function typeLabelValue(type: string): string {
  if (LABEL_VALUE.test(type)) return type
  return `${deploymentName(type)}-${createHash('sha256').update(type).digest('hex').slice(0, 8)}`
}

export function typeLabels(appName: string, type: string): Record<string, string> {
  return {[LABEL_APP]: appName, [LABEL_TYPE]: typeLabelValue(type)}
}

/** The annotation the type needs, if its label is not the type itself. */
function typeAnnotation(type: string): Record<string, string> {
  return typeLabelValue(type) === type ? {} : {[ANNOTATION_TYPE]: type}
}

/** A Deployment's or a pod's process type, read back. */
export function typeOf(metadata: {labels?: Record<string, string>; annotations?: Record<string, string>} | undefined): string | undefined {
  return metadata?.annotations?.[ANNOTATION_TYPE] ?? metadata?.labels?.[LABEL_TYPE]
}

/** The pod template of a process type: what a release or a restart changes (a rolling update). */
export function buildPodTemplate(input: DeploymentInput): NonNullable<V1Deployment['spec']>['template'] {
  const web = input.type === 'web'
  const container = appContainer(input, input.command, input.size, {
    env: platformEnv(),
    ...(web
      ? {
          ports: [{name: 'http', containerPort: CONTAINER_PORT, protocol: 'TCP'}],
          readinessProbe: {tcpSocket: {port: CONTAINER_PORT}, periodSeconds: 2, failureThreshold: 1, successThreshold: 1},
          ...preStop(input.stopGraceSeconds),
        }
      : {}),
  })
  const annotations: Record<string, string> = {[ANNOTATION_RELEASE]: `v${input.releaseVersion}`, ...typeAnnotation(input.type)}
  if (input.restartedAt !== undefined) annotations[ANNOTATION_RESTARTED_AT] = input.restartedAt
  return {
    metadata: {labels: {...typeLabels(input.appName, input.type), [LABEL_MANAGED_BY]: 'tug'}, annotations},
    spec: podSpec(input, container, 'Always'),
  }
}

export function buildDeployment(input: DeploymentInput): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {name: deploymentName(input.type), labels: {...appLabels(input.appName), [LABEL_TYPE]: typeLabelValue(input.type)}, annotations: typeAnnotation(input.type)},
    spec: {
      replicas: input.replicas,
      revisionHistoryLimit: 5,
      selector: {matchLabels: typeLabels(input.appName, input.type)},
      // A new pod is up before an old one goes, as Heroku's preboot does for web.
      strategy: {type: 'RollingUpdate', rollingUpdate: {maxSurge: '25%', maxUnavailable: 0}},
      template: buildPodTemplate(input),
    },
  }
}

/** Service `web`: a real cluster makes its EndpointSlices, which the router reads. */
export function buildWebService(appName: string): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {name: 'web', labels: {...appLabels(appName), [LABEL_TYPE]: 'web'}},
    spec: {
      type: 'ClusterIP',
      selector: typeLabels(appName, 'web'),
      ports: [{name: 'http', port: 80, targetPort: CONTAINER_PORT, protocol: 'TCP'}],
    },
  }
}

/** A one-off or the release phase: one pod, never retried, ended at its deadline. */
export function buildJob(input: JobInput): V1Job {
  const env = [...platformEnv(input.dynoName), ...Object.entries(input.env).map(([name, value]) => ({name, value}))]
  const stdio = input.stdio ? {stdin: true, stdinOnce: true, tty: input.stdio.tty} : {}
  const labels = {...typeLabels(input.appName, input.type), [LABEL_DYNO_ID]: input.dynoId, [LABEL_MANAGED_BY]: 'tug'}
  const annotations = {[ANNOTATION_DYNO_NAME]: input.dynoName, [ANNOTATION_RELEASE]: `v${input.releaseVersion}`, ...typeAnnotation(input.type)}
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {name: input.jobName, labels, annotations},
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: input.timeToLive && input.timeToLive > 0 ? input.timeToLive : DEFAULT_ONE_OFF_DEADLINE_SECONDS,
      ttlSecondsAfterFinished: JOB_TTL_AFTER_FINISHED_SECONDS,
      template: {
        metadata: {labels, annotations},
        spec: podSpec(input, appContainer(input, input.command, input.size, {env, ...stdio}), 'Never'),
      },
    },
  }
}

/** `run.3` -> `run-3`; `release.2` -> `release-2`: a DNS-1123 label for the Job. */
export function jobNameFor(dynoName: string): string {
  return dynoName.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 52)
}
