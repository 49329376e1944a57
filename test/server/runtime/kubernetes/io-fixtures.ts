// What the io tests (pod logs, attach, EndpointSlices) create in the fake API server: a namespace,
// a Deployment or a Job whose container runs a shell command, a pod watch that plays the core's
// part, and a TCP proxy in front of the fake whose connections a test can cut (a dropped stream).
import {createServer, connect as netConnect} from 'node:net'
import type {Server, Socket} from 'node:net'

import {AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, makeInformer} from '@kubernetes/client-node'
import type {Informer, ObjectCache, V1Container, V1Deployment, V1Job, V1Pod} from '@kubernetes/client-node'

export async function createNamespace(kc: KubeConfig, name: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).createNamespace({body: {apiVersion: 'v1', kind: 'Namespace', metadata: {name}}})
}

const VOLUME = {name: 'app', emptyDir: {}}

/** The container `app`, running `script` with bash in the pod's emptyDir. */
function container(script: string, extra: Partial<V1Container> = {}): V1Container {
  return {name: 'app', image: 'heroku/heroku:24', command: ['bash', '-c', script], workingDir: '/app', volumeMounts: [{name: 'app', mountPath: '/app'}], ...extra}
}

export async function createDeployment(
  kc: KubeConfig,
  namespace: string,
  name: string,
  script: string,
  options: {port?: number; readiness?: boolean; grace?: number} = {},
): Promise<V1Deployment> {
  const labels = {'tug.dev/app': 'demo', 'tug.dev/type': name}
  const body: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {name, namespace, labels},
    spec: {
      replicas: 1,
      selector: {matchLabels: labels},
      template: {
        metadata: {labels},
        spec: {
          terminationGracePeriodSeconds: options.grace ?? 2,
          volumes: [VOLUME],
          containers: [
            container(
              script,
              options.port
                ? {
                    env: [{name: 'PORT', value: String(options.port)}],
                    ports: [{name: 'web', containerPort: options.port, protocol: 'TCP'}],
                    ...(options.readiness ? {readinessProbe: {tcpSocket: {port: options.port}, periodSeconds: 1}} : {}),
                  }
                : {},
            ),
          ],
        },
      },
    },
  }
  return kc.makeApiClient(AppsV1Api).createNamespacedDeployment({namespace, body})
}

export async function createJob(kc: KubeConfig, namespace: string, name: string, script: string, options: {tty?: boolean} = {}): Promise<V1Job> {
  const body: V1Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {name, namespace},
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: 120,
      template: {
        metadata: {labels: {'tug.dev/type': 'run'}},
        spec: {
          restartPolicy: 'Never',
          volumes: [VOLUME],
          containers: [container(script, {stdin: true, stdinOnce: true, tty: options.tty ?? false})],
        },
      },
    },
  }
  return kc.makeApiClient(BatchV1Api).createNamespacedJob({namespace, body})
}

/** A pod watch like the core's: every pod event goes to `onPod`, a deletion to `onGone`. */
export async function watchPods(
  kc: KubeConfig,
  namespace: string,
  onPod: (pod: V1Pod) => void,
  onGone: (pod: V1Pod) => void = () => {},
): Promise<Informer<V1Pod> & ObjectCache<V1Pod>> {
  const api = kc.makeApiClient(CoreV1Api)
  const informer = makeInformer<V1Pod>(kc, `/api/v1/namespaces/${namespace}/pods`, () => api.listNamespacedPod({namespace}))
  informer.on('add', onPod)
  informer.on('update', onPod)
  informer.on('delete', onGone)
  await informer.start()
  return informer
}

/** A TCP proxy to `target` (http://127.0.0.1:PORT) whose open connections `cut()` resets. */
export interface CuttableProxy {
  kc: KubeConfig
  /** Resets every open connection; returns how many there were. */
  cut(): number
  close(): Promise<void>
}

export async function cuttableProxy(kc: KubeConfig): Promise<CuttableProxy> {
  const target = new URL(kc.getCurrentCluster()?.server ?? '')
  const pairs = new Set<[Socket, Socket]>()
  const server: Server = createServer((client) => {
    const upstream = netConnect(Number(target.port), target.hostname)
    const pair: [Socket, Socket] = [client, upstream]
    pairs.add(pair)
    client.pipe(upstream)
    upstream.pipe(client)
    const done = (): void => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on('error', done).on('close', done)
    upstream.on('error', done).on('close', done)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  const proxied = new KubeConfig()
  proxied.loadFromOptions({
    clusters: [{name: 'proxied', server: `http://127.0.0.1:${port}`, skipTLSVerify: true}],
    users: kc.users,
    contexts: [{name: 'proxied', cluster: 'proxied', user: kc.getCurrentUser()?.name ?? ''}],
    currentContext: 'proxied',
  })
  return {
    kc: proxied,
    cut() {
      const count = pairs.size
      for (const [client, upstream] of [...pairs]) {
        client.resetAndDestroy()
        upstream.destroy()
      }
      return count
    },
    close() {
      for (const [client, upstream] of [...pairs]) {
        client.destroy()
        upstream.destroy()
      }
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
