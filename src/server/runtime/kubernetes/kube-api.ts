// The few Kubernetes API calls the runtime makes, over @kubernetes/client-node 1.x, with the error
// handling they share: AlreadyExists is fine for objects made once (Namespace, Service, an immutable
// Secret), NotFound is fine for deletes.
import {
  ApiException,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Deployment,
  type V1Job,
  type V1Namespace,
  type V1NetworkPolicy,
  type V1Secret,
  type V1Service,
} from '@kubernetes/client-node'

export function statusOf(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code
  const code = (error as {code?: unknown; statusCode?: unknown} | null)?.code ?? (error as {statusCode?: unknown} | null)?.statusCode
  return typeof code === 'number' ? code : undefined
}

/** The API server's own message (a Status object's `message`) when there is one. */
export function describeKubeError(error: unknown): string {
  if (error instanceof ApiException) {
    const body = error.body as unknown
    const parsed = typeof body === 'string' ? safeJson(body) : body
    const message = (parsed as {message?: unknown} | null)?.message
    return `${error.code}${typeof message === 'string' ? `: ${message}` : ''}`
  }
  return (error as Error).message
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

async function ignoring<T>(codes: number[], call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call()
  } catch (error) {
    if (codes.includes(statusOf(error) ?? 0)) return undefined
    throw error
  }
}

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch)

export class KubeApi {
  readonly core: CoreV1Api
  readonly apps: AppsV1Api
  readonly batch: BatchV1Api
  readonly networking: NetworkingV1Api

  constructor(readonly kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api)
    this.apps = kc.makeApiClient(AppsV1Api)
    this.batch = kc.makeApiClient(BatchV1Api)
    this.networking = kc.makeApiClient(NetworkingV1Api)
  }

  /** Fails with the API server's answer when it cannot be reached or refuses the credentials. */
  async check(): Promise<void> {
    await this.core.listNamespace({limit: 1})
  }

  ensureNamespace(body: V1Namespace): Promise<unknown> {
    return ignoring([409], () => this.core.createNamespace({body}))
  }

  ensureService(namespace: string, body: V1Service): Promise<unknown> {
    return ignoring([409], () => this.core.createNamespacedService({namespace, body}))
  }

  /** The app namespace's isolation (network-policy.ts), made with the namespace. */
  ensureNetworkPolicy(namespace: string, body: V1NetworkPolicy): Promise<unknown> {
    return ignoring([409], () => this.networking.createNamespacedNetworkPolicy({namespace, body}))
  }

  /** Secrets are immutable: one that exists already is the same release's. */
  ensureSecret(namespace: string, body: V1Secret): Promise<unknown> {
    return ignoring([409], () => this.core.createNamespacedSecret({namespace, body}))
  }

  listDeployments(namespace: string): Promise<V1Deployment[]> {
    return this.apps.listNamespacedDeployment({namespace}).then((list) => list.items)
  }

  createDeployment(namespace: string, body: V1Deployment): Promise<V1Deployment> {
    return this.apps.createNamespacedDeployment({namespace, body})
  }

  /** A merge patch of the Deployment (its template, its annotations), never of its replicas. */
  patchDeployment(namespace: string, name: string, body: object): Promise<V1Deployment> {
    return this.apps.patchNamespacedDeployment({namespace, name, body}, MERGE_PATCH)
  }

  /** Replicas through the `scale` subresource only: the template, and so the pods, stay as they are. */
  scale(namespace: string, name: string, replicas: number): Promise<unknown> {
    return this.apps.patchNamespacedDeploymentScale({namespace, name, body: {spec: {replicas}}}, MERGE_PATCH)
  }

  createJob(namespace: string, body: V1Job): Promise<V1Job> {
    return this.batch.createNamespacedJob({namespace, body})
  }

  deleteJob(namespace: string, name: string): Promise<unknown> {
    return ignoring([404], () => this.batch.deleteNamespacedJob({namespace, name, propagationPolicy: 'Background'}))
  }

  /** Deletes a pod with its own grace, or `graceSeconds` (0: SIGKILL now, R10). */
  deletePod(namespace: string, name: string, graceSeconds?: number): Promise<unknown> {
    return ignoring([404], () => this.core.deleteNamespacedPod({namespace, name, ...(graceSeconds === undefined ? {} : {gracePeriodSeconds: graceSeconds})}))
  }

  deleteNamespace(name: string): Promise<unknown> {
    return ignoring([404], () => this.core.deleteNamespace({name, propagationPolicy: 'Foreground'}))
  }
}
