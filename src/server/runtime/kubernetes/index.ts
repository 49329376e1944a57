// `tug server --backend kubernetes`: the cluster's credentials, checked before anything starts,
// and the runtime (runtime.ts) over them.
import {KubeConfig} from '@kubernetes/client-node'

import {msFromEnv} from '../env.js'
import {describeKubeError, KubeApi} from './kube-api.js'

import {KubernetesRuntime, type KubernetesRuntimeOptions} from './runtime.js'
import {loadSlugKey} from './slugs.js'

export {KubernetesRuntime, type KubernetesRuntimeOptions} from './runtime.js'
export {DEFAULT_NAMESPACE_PREFIX, DEFAULT_STACK_IMAGE} from './manifests.js'

export interface KubernetesConnection {
  /** A kubeconfig file; without it, the in-cluster service account (the control plane runs in a pod). */
  kubeconfig?: string
}

/** Loads the credentials and asks the API server once; fails with what is wrong and how to fix it. */
export async function connectKubernetes(options: KubernetesConnection): Promise<KubeConfig> {
  const kc = new KubeConfig()
  if (options.kubeconfig !== undefined) {
    try {
      kc.loadFromFile(options.kubeconfig)
    } catch (error) {
      throw new Error(`Cannot read the kubeconfig ${options.kubeconfig}: ${(error as Error).message}`)
    }
  } else {
    if (!process.env.KUBERNETES_SERVICE_HOST) {
      throw new Error('Not running inside a Kubernetes cluster (KUBERNETES_SERVICE_HOST is not set): pass --kubeconfig FILE to reach one from outside.')
    }
    kc.loadFromCluster()
  }
  const server = kc.getCurrentCluster()?.server ?? 'the API server'
  try {
    await new KubeApi(kc).check()
  } catch (error) {
    throw new Error(`Cannot reach the Kubernetes API server at ${server}: ${describeKubeError(error)}`)
  }
  return kc
}

/** `tug server`'s Kubernetes flags. */
export interface KubernetesServerOptions extends KubernetesConnection {
  /** Namespace per app: `<prefix><app>` (default `tug-`). */
  namespacePrefix?: string
  /** The image pods run (default heroku/heroku:24): it needs bash, curl and tar. */
  stackImage?: string
  /** The control plane's address as pods reach it (default: the API's own URL). */
  slugUrlBase?: string
}

/** Connects (failing clearly when the cluster cannot be reached), then makes the runtime. */
export async function createKubernetesRuntime(
  options: KubernetesServerOptions,
  deps: Omit<KubernetesRuntimeOptions, 'kc' | 'slugKey' | 'slugUrlBase' | 'namespacePrefix' | 'stackImage'> & {dataDir: string; apiUrl: () => string},
): Promise<KubernetesRuntime> {
  if (options.namespacePrefix !== undefined && !/^[a-z0-9]([-a-z0-9]{0,30})$/.test(options.namespacePrefix)) {
    throw new Error(`--namespace-prefix ${JSON.stringify(options.namespacePrefix)} cannot start a namespace name: use lowercase letters, digits and '-', starting with a letter or digit, at most 31 characters.`)
  }
  const kc = await connectKubernetes(options)
  const {dataDir, apiUrl, ...rest} = deps
  // As the local runtime: the default SIGTERM-to-SIGKILL grace (the pods' terminationGracePeriodSeconds)
  // and the boot timeout (R10) from the environment.
  const stopGraceMs = msFromEnv('TUG_STOP_GRACE_MS')
  const bootTimeoutMs = msFromEnv('TUG_BOOT_TIMEOUT_MS')
  return new KubernetesRuntime({
    ...(stopGraceMs === undefined ? {} : {stopGraceMs}),
    ...(bootTimeoutMs === undefined ? {} : {bootTimeoutMs}),
    ...rest,
    kc,
    slugKey: loadSlugKey(dataDir),
    slugUrlBase: () => options.slugUrlBase ?? apiUrl(),
    // In the cluster, the service account's namespace (client-node reads it); else the docs' `tug`.
    ...(options.kubeconfig === undefined && kc.getContextObject(kc.getCurrentContext())?.namespace
      ? {controlPlaneNamespace: kc.getContextObject(kc.getCurrentContext())?.namespace}
      : {}),
    ...(options.namespacePrefix === undefined ? {} : {namespacePrefix: options.namespacePrefix}),
    ...(options.stackImage === undefined ? {} : {stackImage: options.stackImage}),
  })
}
