// Defaulting as the API server does it on create/update (the fields clients read back), and the
// checks the schema cannot express (names, immutable fields, a Job's restartPolicy).
import {invalid, type ApiError} from './errors.js'
import type {KubeObject, PodSpec, PodTemplate} from './types.js'

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const LABEL_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/

/** Name and label rules; the schema does not check them. */
export function metadataErrors(object: KubeObject): {field: string; message: string}[] {
  const errors: {field: string; message: string}[] = []
  const name = object.metadata.name ?? ''
  const label = object.kind === 'Namespace' || object.kind === 'Service'
  const pattern = label ? DNS_LABEL : DNS_SUBDOMAIN
  if (!pattern.test(name) || name.length > (label ? 63 : 253)) {
    errors.push({
      field: 'metadata.name',
      message: `Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 ${label ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    })
  }
  const labelSets: [string, Record<string, string> | undefined][] = [['metadata.labels', object.metadata.labels]]
  const template = (object.spec as {template?: PodTemplate} | undefined)?.template
  if (template?.metadata?.labels) labelSets.push(['spec.template.metadata.labels', template.metadata.labels])
  for (const [field, labels] of labelSets) {
    for (const [key, value] of Object.entries(labels ?? {})) {
      if (!LABEL_NAME.test(key) || key.split('/').pop()!.length > 63) errors.push({field, message: `Invalid value: ${JSON.stringify(key)}: name part must consist of alphanumeric characters, '-', '_' or '.'`})
      if (typeof value !== 'string' || !LABEL_VALUE.test(value) || value.length > 63) errors.push({field: `${field}[${key}]`, message: `Invalid value: ${JSON.stringify(value)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', at most 63 characters`})
    }
  }
  return errors
}

function defaultPodSpec(spec: PodSpec | undefined, restartPolicy: 'Always' | 'Never' | undefined): void {
  if (!spec) return
  spec.restartPolicy ??= restartPolicy ?? 'Always'
  spec.terminationGracePeriodSeconds ??= 30
  const extra = spec as unknown as Record<string, unknown>
  extra.dnsPolicy ??= 'ClusterFirst'
  extra.schedulerName ??= 'default-scheduler'
  extra.securityContext ??= {}
  for (const container of [...spec.containers, ...(spec.initContainers ?? [])]) {
    const c = container as unknown as Record<string, unknown>
    c.imagePullPolicy ??= 'IfNotPresent'
    c.terminationMessagePath ??= '/dev/termination-log'
    c.terminationMessagePolicy ??= 'File'
    c.resources ??= {}
    for (const port of container.ports ?? []) port.protocol ??= 'TCP'
  }
}

/** Fills in what the API server defaults; mutates `object`. */
export function applyDefaults(object: KubeObject): void {
  const spec = object.spec as Record<string, unknown> | undefined
  switch (object.kind) {
    case 'Namespace':
      object.metadata.labels = {...object.metadata.labels, 'kubernetes.io/metadata.name': object.metadata.name as string}
      object.spec = {finalizers: ['kubernetes']}
      object.status ??= {phase: 'Active'}
      break
    case 'Secret': {
      object.type ??= 'Opaque'
      const stringData = object.stringData as Record<string, string> | undefined
      if (stringData) {
        const data = (object.data as Record<string, string> | undefined) ?? {}
        for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(v).toString('base64')
        object.data = data
        delete object.stringData
      }
      break
    }
    case 'Pod':
      defaultPodSpec(object.spec as PodSpec, undefined)
      break
    case 'Deployment':
    case 'ReplicaSet':
      if (spec) {
        spec.replicas ??= 1
        spec.revisionHistoryLimit ??= 10
        if (object.kind === 'Deployment') {
          spec.progressDeadlineSeconds ??= 600
          spec.strategy ??= {type: 'RollingUpdate', rollingUpdate: {maxSurge: '25%', maxUnavailable: '25%'}}
        }
        defaultPodSpec((spec.template as PodTemplate | undefined)?.spec, 'Always')
      }
      break
    case 'Job':
      if (spec) {
        spec.backoffLimit ??= 6
        spec.completions ??= 1
        spec.parallelism ??= 1
        spec.completionMode ??= 'NonIndexed'
        spec.suspend ??= false
        const template = spec.template as PodTemplate | undefined
        const uid = object.metadata.uid
        if (template && uid) {
          const labels = {'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': object.metadata.name as string, 'controller-uid': uid, 'job-name': object.metadata.name as string}
          spec.selector ??= {matchLabels: {'batch.kubernetes.io/controller-uid': uid}}
          template.metadata = {...template.metadata, labels: {...template.metadata?.labels, ...labels}}
        }
        defaultPodSpec(template?.spec, undefined)
      }
      break
  }
}

/** What the API server refuses beyond the schema, on create (old undefined) or update. */
export function semanticErrors(object: KubeObject, old: KubeObject | undefined, group: string): ApiError | undefined {
  const name = object.metadata.name as string
  const causes = metadataErrors(object)
  if (object.kind === 'Job') {
    const policy = (object.spec as {template?: PodTemplate}).template?.spec?.restartPolicy
    if (policy !== 'Never' && policy !== 'OnFailure') {
      causes.push({field: 'spec.template.spec.restartPolicy', message: `Required value: valid values: "OnFailure", "Never" (got ${JSON.stringify(policy ?? '')})`})
    }
    if (old && JSON.stringify((old.spec as {template?: unknown}).template) !== JSON.stringify((object.spec as {template?: unknown}).template)) {
      causes.push({field: 'spec.template', message: 'Invalid value: field is immutable'})
    }
  }
  if (object.kind === 'Deployment' || object.kind === 'ReplicaSet') {
    const spec = object.spec as {selector?: {matchLabels?: Record<string, string>}; template?: PodTemplate}
    const labels = spec.template?.metadata?.labels ?? {}
    for (const [k, v] of Object.entries(spec.selector?.matchLabels ?? {})) {
      if (labels[k] !== v) causes.push({field: 'spec.template.metadata.labels', message: `Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\``})
    }
    if (old && JSON.stringify((old.spec as {selector?: unknown}).selector) !== JSON.stringify(spec.selector)) {
      causes.push({field: 'spec.selector', message: 'Invalid value: field is immutable'})
    }
  }
  if (object.kind === 'Secret' && old && old.immutable === true) {
    if (JSON.stringify(old.data ?? {}) !== JSON.stringify(object.data ?? {})) causes.push({field: 'data', message: 'Forbidden: field is immutable when `immutable` is set'})
    if (object.immutable !== true) causes.push({field: 'immutable', message: 'Forbidden: field is immutable when `immutable` is set'})
  }
  return causes.length > 0 ? invalid(object.kind, group, name, causes) : undefined
}
