// The formation reconciler: the store's formation and current release -> one Deployment per
// process type. What it last applied is remembered per app (the replicas, and a hash of the pod
// template's inputs, also kept on the Deployment as an annotation so that a restarted control plane
// knows it), so that a converge sends only what changed:
//   - a quantity that changed: ONE `scale` subresource request for that type, nothing else (the
//     template, and so the pods, stay as they are; `ps:scale web=5` never rolls a pod);
//   - a new release, command, size or `ps:restart`: a merge patch of the pod template (a rolling
//     update, Kubernetes' own), after the release's immutable Secret exists.
// Converges of one app run one after the other; each reads the store afresh, so the last one wins.
import {createHash} from 'node:crypto'

import type {V1Deployment, V1NetworkPolicy} from '@kubernetes/client-node'

import {RELEASE_PHASE_TYPE} from '../../domain/releases.js'
import type {ReleaseRecord, Store} from '../../store/index.js'
import type {KubeApi} from './kube-api.js'
import {statusOf} from './kube-api.js'
import {
  ANNOTATION_RESTARTED_AT,
  buildConfigSecret,
  buildDeployment,
  buildNamespace,
  buildPodTemplate,
  buildWebService,
  deploymentName,
  LABEL_MANAGED_BY,
  LABEL_TYPE,
  secretName,
  typeLabelValue,
  typeOf,
  type DeploymentInput,
  type PodSource,
} from './manifests.js'

const ANNOTATION_TEMPLATE_HASH = 'tug.dev/template-hash'

export interface FormationContext {
  api: KubeApi
  store: Store
  namespaceFor(appName: string): string
  /** Every pod of the release fetches its slug here. */
  slugUrl(appId: string, releaseId: string): string
  stackImage: string
  stopGraceSeconds(appId: string): number
  /** The NetworkPolicy every app namespace gets (network-policy.ts). */
  networkPolicy(appName: string): V1NetworkPolicy
  /** The app's namespace is new to this control plane (start its watches). */
  prepared(appId: string, appName: string): void
}

interface Applied {
  replicas: number
  hash: string
  restartedAt?: string
}

interface AppState {
  namespace: string
  deployments: Map<string, Applied>
  secrets: Set<number>
}

export class FormationReconciler {
  private readonly apps = new Map<string, AppState>()
  private readonly chains = new Map<string, Promise<void>>()
  /** Restarts asked for but not yet applied: type ('*' for all) -> time. */
  private readonly restarts = new Map<string, Map<string, string>>()

  constructor(private readonly context: FormationContext) {}

  /** Converges the app's Deployments; resolves once the requests are answered. */
  converge(appId: string): Promise<void> {
    const previous = this.chains.get(appId) ?? Promise.resolve()
    const next = previous.catch(() => {}).then(() => this.apply(appId))
    this.chains.set(appId, next)
    return next
  }

  /** `ps:restart` (all, or a type): a new template annotation, applied by the next converge. */
  restart(appId: string, type: string | undefined, at: string): Promise<void> {
    const wanted = this.restarts.get(appId) ?? new Map<string, string>()
    wanted.set(type ?? '*', at)
    this.restarts.set(appId, wanted)
    return this.converge(appId)
  }

  /** The namespace, its Service and the release's Secret exist (a one-off needs them too). */
  async prepare(appId: string, release: ReleaseRecord | undefined): Promise<AppState | undefined> {
    const {store, api} = this.context
    const app = store.apps.get(appId)
    if (!app) return undefined
    let state = this.apps.get(appId)
    if (!state) {
      const namespace = this.context.namespaceFor(app.name)
      await api.ensureNamespace(buildNamespace(namespace, app.name))
      // Before any pod: an app's pods are never without their isolation.
      await api.ensureNetworkPolicy(namespace, this.context.networkPolicy(app.name))
      await api.ensureService(namespace, buildWebService(app.name))
      const deployments = new Map<string, Applied>()
      for (const deployment of await api.listDeployments(namespace)) remember(deployments, deployment)
      state = {namespace, deployments, secrets: new Set()}
      this.apps.set(appId, state)
      this.context.prepared(appId, app.name)
    }
    if (release && !state.secrets.has(release.version)) {
      const config = store.config.get(appId, release.config_id) ?? {}
      await api.ensureSecret(state.namespace, buildConfigSecret(app.name, release.version, config))
      state.secrets.add(release.version)
    }
    return state
  }

  /** What a pod of the release runs from (for one-offs too). */
  podSource(appId: string, appName: string, release: ReleaseRecord): PodSource {
    return {
      appName,
      releaseVersion: release.version,
      slugUrl: this.context.slugUrl(appId, release.id),
      stackImage: this.context.stackImage,
      stopGraceSeconds: this.context.stopGraceSeconds(appId),
    }
  }

  /** The app is gone: forget what was applied (its namespace is being deleted). */
  forget(appId: string): void {
    this.apps.delete(appId)
    this.restarts.delete(appId)
  }

  namespaceOf(appId: string): string | undefined {
    return this.apps.get(appId)?.namespace
  }

  private async apply(appId: string): Promise<void> {
    const {store, api} = this.context
    const app = store.apps.get(appId)
    if (!app) return
    const release = app.current_release_id ? store.releases.get(appId, app.current_release_id) : undefined
    const runnable = release?.code_dir && release.process_types ? release : undefined
    // An app that never had code gets no namespace until it has some (or runs a one-off).
    if (!runnable && !this.apps.has(appId)) return
    const state = await this.prepare(appId, runnable)
    if (!state) return
    const commands = new Map((runnable?.process_types ?? []).map((p) => [p.name, p.command]))
    const wanted = new Map<string, {quantity: number; size: string; command: string}>()
    for (const entry of store.formation.list(appId)) {
      const command = commands.get(entry.type)
      if (command === undefined || entry.type === RELEASE_PHASE_TYPE) continue
      wanted.set(entry.type, {quantity: entry.quantity, size: entry.size, command})
    }
    const restarts = this.restarts.get(appId)
    this.restarts.delete(appId)
    for (const [type, applied] of state.deployments) {
      if (!wanted.has(type) && applied.replicas !== 0) {
        await api.scale(state.namespace, deploymentName(type), 0)
        applied.replicas = 0
      }
    }
    if (!runnable) return
    // One type the API refuses does not hold the others back; the first failure is reported.
    const failures: unknown[] = []
    for (const [type, want] of wanted) {
      const restartedAt = restarts?.get(type) ?? restarts?.get('*') ?? state.deployments.get(type)?.restartedAt
      const input: DeploymentInput = {
        ...this.podSource(appId, app.name, runnable),
        type,
        command: want.command,
        size: want.size,
        replicas: want.quantity,
        ...(restartedAt === undefined ? {} : {restartedAt}),
      }
      await this.applyType(state, input).catch((error: unknown) => failures.push(error))
    }
    if (failures.length > 0) throw failures[0]
  }

  private async applyType(state: AppState, input: DeploymentInput): Promise<void> {
    const {api} = this.context
    const {type, replicas, restartedAt} = input
    const name = deploymentName(type)
    const hash = templateHash(input)
    let applied = state.deployments.get(type)
    if (!applied) {
      if (replicas === 0) return
      const deployment = buildDeployment(input)
      deployment.metadata = {...deployment.metadata, annotations: {...deployment.metadata?.annotations, [ANNOTATION_TEMPLATE_HASH]: hash}}
      try {
        await api.createDeployment(state.namespace, deployment)
        state.deployments.set(type, {replicas, hash, ...(restartedAt === undefined ? {} : {restartedAt})})
        return
      } catch (error) {
        if (statusOf(error) !== 409) throw error
      }
      // Made meanwhile (from before a restart, by a converge we did not see): read it, then update it.
      for (const found of await api.listDeployments(state.namespace)) remember(state.deployments, found)
      applied = state.deployments.get(type)
      if (!applied) throw new Error(`a Deployment ${name} exists in ${state.namespace} that tug did not make (no ${LABEL_TYPE} label ${typeLabelValue(type)}): delete it or rename the process type`)
    }
    if (applied.hash !== hash) {
      await api.patchDeployment(state.namespace, name, {metadata: {annotations: {[ANNOTATION_TEMPLATE_HASH]: hash}}, spec: {template: buildPodTemplate(input)}})
      applied.hash = hash
      if (restartedAt !== undefined) applied.restartedAt = restartedAt
    }
    if (applied.replicas !== replicas) {
      await api.scale(state.namespace, name, replicas)
      applied.replicas = replicas
    }
  }
}

/** A Deployment tug made, as it is in the cluster: what tug last applied to it. Others are not tug's to change. */
function remember(into: Map<string, Applied>, deployment: V1Deployment): void {
  const name = typeOf(deployment.metadata)
  if (!name || deployment.metadata?.labels?.[LABEL_MANAGED_BY] !== 'tug') return
  const restartedAt = deployment.spec?.template.metadata?.annotations?.[ANNOTATION_RESTARTED_AT]
  into.set(name, {
    replicas: deployment.spec?.replicas ?? 0,
    hash: deployment.metadata?.annotations?.[ANNOTATION_TEMPLATE_HASH] ?? '',
    ...(restartedAt === undefined ? {} : {restartedAt}),
  })
}

/** Everything the pod template is made from; replicas are not part of it. */
function templateHash(input: DeploymentInput): string {
  const {replicas: _replicas, ...template} = input
  return createHash('sha256').update(JSON.stringify({...template, secret: secretName(input.releaseVersion)})).digest('hex').slice(0, 16)
}
