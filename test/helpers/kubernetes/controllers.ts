// The controllers the fake runs: Deployment (a ReplicaSet per pod-template hash, rolling update,
// status), ReplicaSet (pods), Job (one pod at a time up to backoffLimit, Complete/Failed,
// activeDeadlineSeconds, ttlSecondsAfterFinished), EndpointSlice (one per running pod of a
// Deployment with a port) and Namespace (removed once emptied).
import {createHash} from 'node:crypto'
import {randomSuffix, type Cluster} from './cluster.js'
import type {Kubelet} from './kubelet.js'
import {resourceByKind} from './resources.js'
import {matchesLabelSelector} from './selectors.js'
import type {Store} from './store.js'
import type {KubeObject, OwnerReference, PodTemplate} from './types.js'

const SAFE = 'bcdfghjklmnpqrstvwxz2456789'
const CONTROLLER = {method: 'CONTROLLER', path: '(a controller of the fake)'}

function safeHash(text: string, length: number): string {
  return [...createHash('sha256').update(text).digest()].slice(0, length).map((byte) => SAFE[byte % SAFE.length]).join('')
}

function ownerRef(owner: KubeObject): OwnerReference {
  return {apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name as string, uid: owner.metadata.uid as string, controller: true, blockOwnerDeletion: true}
}

function controllerOf(object: KubeObject): OwnerReference | undefined {
  return object.metadata.ownerReferences?.find((ref) => ref.controller)
}

function ownedBy(objects: KubeObject[], owner: KubeObject): KubeObject[] {
  return objects.filter((object) => controllerOf(object)?.uid === owner.metadata.uid)
}

function phaseOf(pod: KubeObject): string {
  return (pod.status as {phase?: string} | undefined)?.phase ?? 'Pending'
}

function isReady(pod: KubeObject): boolean {
  const conditions = (pod.status as {conditions?: {type: string; status: string}[]} | undefined)?.conditions ?? []
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True')
}

function isActive(pod: KubeObject): boolean {
  return pod.metadata.deletionTimestamp === undefined && phaseOf(pod) !== 'Succeeded' && phaseOf(pod) !== 'Failed'
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z')
}

export class Controllers {
  private readonly queue = new Set<string>()
  private scheduled = false
  private readonly jobTimers = new Map<string, NodeJS.Timeout[]>()
  private closed = false

  constructor(
    private readonly store: Store,
    private readonly cluster: Cluster,
    private readonly kubelet: Kubelet,
  ) {}

  onChange(type: string, object: KubeObject, old: KubeObject | undefined): void {
    const ns = object.metadata.namespace ?? ''
    const owner = controllerOf(object) ?? (old ? controllerOf(old) : undefined)
    switch (object.kind) {
      case 'Deployment':
        this.enqueue(`Deployment/${ns}/${object.metadata.name}`)
        break
      case 'ReplicaSet':
        this.enqueue(`ReplicaSet/${ns}/${object.metadata.name}`)
        if (owner) this.enqueue(`Deployment/${ns}/${owner.name}`)
        break
      case 'Job':
        this.enqueue(`Job/${ns}/${object.metadata.name}`)
        if (type === 'DELETED') this.clearJobTimers(object.metadata.uid as string)
        break
      case 'Pod':
        if (owner) this.enqueue(`${owner.kind}/${ns}/${owner.name}`)
        this.enqueue(`Slice/${ns}/${object.metadata.name}/${object.metadata.uid}`)
        break
    }
    if (type === 'DELETED' && ns !== '') this.enqueue(`Namespace//${ns}`)
  }

  private enqueue(key: string): void {
    this.queue.add(key)
    if (this.scheduled || this.closed) return
    this.scheduled = true
    setImmediate(() => this.flush())
  }

  private flush(): void {
    this.scheduled = false
    if (this.closed) return
    const keys = [...this.queue]
    this.queue.clear()
    for (const key of keys) {
      const [kind, ns, name, uid] = key.split('/') as [string, string, string, string | undefined]
      try {
        if (kind === 'Deployment') this.deployment(ns, name)
        else if (kind === 'ReplicaSet') this.replicaSet(ns, name)
        else if (kind === 'Job') this.job(ns, name)
        else if (kind === 'Slice') this.slice(ns, name, uid as string)
        else if (kind === 'Namespace') this.cluster.finishNamespace(name)
      } catch (error) {
        process.stderr.write(`fake controller ${key}: ${(error as Error).stack ?? String(error)}\n`)
      }
    }
  }

  private writeStatus(object: KubeObject, status: Record<string, unknown>): void {
    if (JSON.stringify(object.status ?? {}) === JSON.stringify(status)) return
    object.status = status
    this.store.update(object)
  }

  // --- Deployment ---

  private deployment(ns: string, name: string): void {
    const deployment = this.store.get('Deployment', ns, name)
    if (!deployment || deployment.metadata.deletionTimestamp) return
    const spec = deployment.spec as {replicas: number; template: PodTemplate; selector: {matchLabels?: Record<string, string>}; strategy?: {type?: string}; revisionHistoryLimit?: number}
    const hash = safeHash(JSON.stringify(spec.template), 10)
    const owned = ownedBy(this.store.list('ReplicaSet', ns), deployment)
    let current = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash)
    const revisions = owned.map((rs) => Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0))
    if (!current) {
      const template: PodTemplate = structuredClone(spec.template)
      template.metadata = {...template.metadata, labels: {...template.metadata?.labels, 'pod-template-hash': hash}}
      current = this.cluster.create(
        resourceByKind('ReplicaSet'),
        ns,
        {
          metadata: {
            name: `${name}-${hash}`,
            labels: {...spec.template.metadata?.labels, 'pod-template-hash': hash},
            annotations: {'deployment.kubernetes.io/revision': String(Math.max(0, ...revisions) + 1), 'deployment.kubernetes.io/desired-replicas': String(spec.replicas)},
            ownerReferences: [ownerRef(deployment)],
          },
          spec: {replicas: 0, selector: {matchLabels: {...spec.selector.matchLabels, 'pod-template-hash': hash}}, template},
        },
        CONTROLLER,
      )
    }
    const old = owned.filter((rs) => rs.metadata.uid !== current.metadata.uid).sort((a, b) => Number(b.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0) - Number(a.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0))
    const replicasOf = (rs: KubeObject): number => (rs.spec as {replicas?: number}).replicas ?? 0
    const statusOf = (rs: KubeObject): {replicas?: number; readyReplicas?: number; availableReplicas?: number} => (rs.status ?? {}) as never
    if (spec.strategy?.type === 'Recreate') {
      for (const rs of old) this.setReplicas(rs, 0)
      const oldPods = old.reduce((sum, rs) => sum + (statusOf(rs).replicas ?? 0), 0)
      this.setReplicas(current, oldPods === 0 ? spec.replicas : 0)
    } else {
      this.setReplicas(current, spec.replicas)
      let allowed = Math.max(0, spec.replicas - (statusOf(current).readyReplicas ?? 0))
      for (const rs of old) {
        const keep = Math.min(replicasOf(rs), allowed)
        allowed -= keep
        this.setReplicas(rs, keep)
      }
    }
    const limit = spec.revisionHistoryLimit ?? 10
    const idle = old.filter((rs) => replicasOf(rs) === 0 && (statusOf(rs).replicas ?? 0) === 0)
    for (const rs of idle.slice(limit)) this.cluster.deleteObject(rs, {propagationPolicy: 'Background'})
    const all = [current, ...old]
    const sum = (pick: (rs: KubeObject) => number): number => all.reduce((total, rs) => total + pick(rs), 0)
    const available = sum((rs) => statusOf(rs).availableReplicas ?? 0)
    const updated = statusOf(current).replicas ?? 0
    const complete = updated === spec.replicas && (statusOf(current).readyReplicas ?? 0) === spec.replicas && sum((rs) => statusOf(rs).replicas ?? 0) === spec.replicas
    const previous = (deployment.status ?? {}) as {conditions?: {type: string; status: string; lastTransitionTime?: string}[]}
    const condition = (type: string, ok: boolean, reason: string, message: string): Record<string, string> => {
      const before = previous.conditions?.find((c) => c.type === type)
      const status = ok ? 'True' : 'False'
      const at = before && before.status === status ? (before.lastTransitionTime as string) : now()
      return {type, status, lastUpdateTime: at, lastTransitionTime: at, reason, message}
    }
    const status: Record<string, unknown> = {
      observedGeneration: deployment.metadata.generation,
      replicas: sum((rs) => statusOf(rs).replicas ?? 0),
      updatedReplicas: updated,
      readyReplicas: sum((rs) => statusOf(rs).readyReplicas ?? 0),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, spec.replicas - available),
      conditions: [
        condition('Available', available >= spec.replicas, available >= spec.replicas ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable', available >= spec.replicas ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.'),
        condition('Progressing', true, complete ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated', `ReplicaSet "${current.metadata.name}" ${complete ? 'has successfully progressed' : 'is progressing'}.`),
      ],
    }
    for (const key of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas']) if (status[key] === 0) delete status[key]
    this.writeStatus(this.store.get('Deployment', ns, name) as KubeObject, status)
  }

  private setReplicas(rs: KubeObject, replicas: number): void {
    const spec = rs.spec as {replicas?: number}
    if (spec.replicas === replicas) return
    const latest = this.store.get('ReplicaSet', rs.metadata.namespace, rs.metadata.name as string)
    if (!latest) return
    ;(latest.spec as {replicas?: number}).replicas = replicas
    latest.metadata.generation = (latest.metadata.generation ?? 1) + 1
    this.store.update(latest)
    ;(rs.spec as {replicas?: number}).replicas = replicas
  }

  // --- ReplicaSet ---

  private replicaSet(ns: string, name: string): void {
    const rs = this.store.get('ReplicaSet', ns, name)
    if (!rs) return
    const spec = rs.spec as {replicas: number; template: PodTemplate; selector: {matchLabels?: Record<string, string>}}
    const pods = ownedBy(this.store.list('Pod', ns), rs)
    const active = pods.filter(isActive)
    const diff = spec.replicas - active.length
    for (let i = 0; i < diff; i++) this.createPod(rs, `${name}-`, spec.template)
    if (diff < 0) {
      const rank = (pod: KubeObject): number => (!(pod.spec as {nodeName?: string}).nodeName ? 0 : phaseOf(pod) === 'Pending' ? 1 : !isReady(pod) ? 2 : 3)
      const victims = [...active].sort((a, b) => rank(a) - rank(b) || String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)) || String(b.metadata.name).localeCompare(String(a.metadata.name)))
      for (const pod of victims.slice(0, -diff)) this.cluster.deleteObject(pod)
    }
    const current = ownedBy(this.store.list('Pod', ns), rs).filter(isActive)
    const ready = current.filter(isReady).length
    const labels = current.filter((pod) => matchesLabelSelector(spec.selector, pod.metadata.labels ?? {})).length
    const status: Record<string, unknown> = {replicas: current.length, fullyLabeledReplicas: labels, readyReplicas: ready, availableReplicas: ready, observedGeneration: rs.metadata.generation}
    for (const key of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas']) if (status[key] === 0) delete status[key]
    this.writeStatus(this.store.get('ReplicaSet', ns, name) as KubeObject, status)
  }

  private createPod(owner: KubeObject, prefix: string, template: PodTemplate): void {
    this.cluster.create(
      resourceByKind('Pod'),
      owner.metadata.namespace,
      {metadata: {name: `${prefix}${randomSuffix()}`, generateName: prefix, labels: {...template.metadata?.labels}, annotations: template.metadata?.annotations, ownerReferences: [ownerRef(owner)]}, spec: structuredClone(template.spec)},
      CONTROLLER,
    )
  }

  // --- Job ---

  private clearJobTimers(uid: string): void {
    for (const timer of this.jobTimers.get(uid) ?? []) clearTimeout(timer)
    this.jobTimers.delete(uid)
  }

  private jobTimer(job: KubeObject, ms: number, action: () => void): void {
    const uid = job.metadata.uid as string
    const timer = setTimeout(() => {
      if (!this.closed) action()
    }, Math.max(0, ms))
    this.jobTimers.set(uid, [...(this.jobTimers.get(uid) ?? []), timer])
  }

  private job(ns: string, name: string): void {
    const job = this.store.get('Job', ns, name)
    if (!job) return
    const spec = job.spec as {backoffLimit: number; completions: number; activeDeadlineSeconds?: number; ttlSecondsAfterFinished?: number; template: PodTemplate}
    const status = structuredClone((job.status ?? {}) as {active?: number; succeeded?: number; failed?: number; ready?: number; startTime?: string; completionTime?: string; conditions?: Record<string, string>[]})
    const finished = status.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')
    if (finished) return
    const pods = ownedBy(this.store.list('Pod', ns), job)
    const succeeded = pods.filter((pod) => phaseOf(pod) === 'Succeeded').length
    const failed = Math.max(status.failed ?? 0, pods.filter((pod) => phaseOf(pod) === 'Failed').length)
    let active = pods.filter(isActive)
    if (!status.startTime) {
      status.startTime = now()
      if (spec.activeDeadlineSeconds !== undefined) this.jobTimer(job, spec.activeDeadlineSeconds * 1000, () => this.deadline(ns, name, job.metadata.uid as string))
    }
    const finish = (type: 'Complete' | 'Failed', reason: string, message: string): void => {
      const at = now()
      const first = type === 'Complete' ? 'SuccessCriteriaMet' : 'FailureTarget'
      status.conditions = [
        {type: first, status: 'True', lastProbeTime: at, lastTransitionTime: at, reason, message},
        {type, status: 'True', lastProbeTime: at, lastTransitionTime: at, reason, message},
      ]
      if (type === 'Complete') status.completionTime = at
      for (const pod of active) this.cluster.deleteObject(pod, {gracePeriodSeconds: 0})
      active = []
      if (spec.ttlSecondsAfterFinished !== undefined) {
        this.jobTimer(job, spec.ttlSecondsAfterFinished * 1000, () => {
          const latest = this.store.get('Job', ns, name)
          if (latest && latest.metadata.uid === job.metadata.uid) this.cluster.deleteObject(latest, {propagationPolicy: 'Background'})
        })
      }
    }
    if (succeeded >= spec.completions) finish('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods')
    else if (failed > spec.backoffLimit) finish('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit')
    else if (active.length === 0) {
      this.createPod(job, `${name}-`, spec.template)
      active = ownedBy(this.store.list('Pod', ns), job).filter(isActive)
    }
    const next = {...status, active: active.length, ready: active.filter(isReady).length, succeeded, failed, terminating: 0, uncountedTerminatedPods: {}}
    for (const key of ['active', 'succeeded', 'failed'] as const) if (next[key] === 0) delete next[key]
    this.writeStatus(this.store.get('Job', ns, name) as KubeObject, next)
  }

  /** activeDeadlineSeconds passed: the Job fails (DeadlineExceeded) and its pods are killed. */
  private deadline(ns: string, name: string, uid: string): void {
    const job = this.store.get('Job', ns, name)
    if (!job || job.metadata.uid !== uid) return
    const status = structuredClone((job.status ?? {}) as {conditions?: Record<string, string>[]; active?: number})
    if (status.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')) return
    const at = now()
    const message = 'Job was active longer than specified deadline'
    status.conditions = [
      {type: 'FailureTarget', status: 'True', lastProbeTime: at, lastTransitionTime: at, reason: 'DeadlineExceeded', message},
      {type: 'Failed', status: 'True', lastProbeTime: at, lastTransitionTime: at, reason: 'DeadlineExceeded', message},
    ]
    delete status.active
    this.writeStatus(job, status)
    for (const pod of ownedBy(this.store.list('Pod', ns), job).filter(isActive)) this.cluster.deleteObject(pod, {gracePeriodSeconds: 0})
    const ttl = (job.spec as {ttlSecondsAfterFinished?: number}).ttlSecondsAfterFinished
    if (ttl !== undefined) {
      this.jobTimer(job, ttl * 1000, () => {
        const latest = this.store.get('Job', ns, name)
        if (latest && latest.metadata.uid === uid) this.cluster.deleteObject(latest, {propagationPolicy: 'Background'})
      })
    }
  }

  // --- EndpointSlice ---

  private deploymentOf(pod: KubeObject): KubeObject | undefined {
    const rsRef = controllerOf(pod)
    if (rsRef?.kind !== 'ReplicaSet') return undefined
    const rs = this.store.get('ReplicaSet', pod.metadata.namespace, rsRef.name)
    const depRef = rs ? controllerOf(rs) : undefined
    return depRef?.kind === 'Deployment' ? this.store.get('Deployment', pod.metadata.namespace, depRef.name) : undefined
  }

  private slice(ns: string, podName: string, uid: string): void {
    const pod = this.store.get('Pod', ns, podName)
    const deployment = pod && pod.metadata.uid === uid ? this.deploymentOf(pod) : undefined
    const sliceName = `${(deployment?.metadata.name ?? podName).slice(0, 50)}-${safeHash(uid, 5)}`
    const existing = this.store.list('EndpointSlice', ns).find((slice) => slice.metadata.annotations?.['fake.kubernetes/pod-uid'] === uid)
    const containerPort = pod ? (pod.spec as {containers: {ports?: {containerPort: number; name?: string}[]}[]}).containers.flatMap((c) => c.ports ?? [])[0] : undefined
    const port = this.kubelet.portOf(uid) ?? containerPort?.containerPort
    if (!pod || !deployment || phaseOf(pod) !== 'Running' || containerPort === undefined || port === undefined) {
      if (existing) this.store.remove('EndpointSlice', ns, existing.metadata.name as string)
      return
    }
    const ready = isReady(pod)
    const terminating = pod.metadata.deletionTimestamp !== undefined
    const body = {
      metadata: {
        name: existing?.metadata.name ?? sliceName,
        labels: {'kubernetes.io/service-name': deployment.metadata.name as string, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io'},
        annotations: {'fake.kubernetes/pod-uid': uid},
        ownerReferences: [{...ownerRef(deployment), blockOwnerDeletion: true}],
      },
      addressType: 'IPv4',
      endpoints: [{addresses: ['127.0.0.1'], conditions: {ready: ready && !terminating, serving: ready, terminating}, targetRef: {kind: 'Pod', name: podName, namespace: ns, uid}, nodeName: 'fake-node'}],
      ports: [{name: containerPort.name ?? '', port, protocol: 'TCP'}],
    }
    if (!existing) {
      this.cluster.create(resourceByKind('EndpointSlice'), ns, body, CONTROLLER)
      return
    }
    const next = {...existing, endpoints: body.endpoints, ports: body.ports}
    if (JSON.stringify(next) !== JSON.stringify(existing)) this.store.update(next)
  }

  close(): void {
    this.closed = true
    for (const uid of [...this.jobTimers.keys()]) this.clearJobTimers(uid)
  }
}
