// A stateful fake of the Kubernetes API server for tests, speaking the real REST paths over HTTP
// to the real @kubernetes/client-node: objects validated with kubernetes-models, watches with
// resource versions and 410 Gone, Deployments/ReplicaSets/Jobs/EndpointSlices run by controllers,
// and a kubelet that runs each pod's containers as local processes (logs, readiness, restarts,
// exec/attach over WebSocket). Modules: rest.ts (HTTP), cluster.ts (object semantics), store.ts
// (storage + watch), controllers.ts, kubelet.ts + pod-status.ts + container-process.ts +
// container-logs.ts + pty-runner.ts, streams.ts (exec/attach), patch.ts, schema.ts.
//
// What a real API server does that clients must be ready for, and this fake does too:
// - client-node 1.x refuses a plain-HTTP server unless the kubeconfig's cluster has
//   `insecure-skip-tls-verify: true` (the kubeconfig written here has it).
// - Patch calls are sent as application/json-patch+json unless the call's options set the
//   Content-Type (patch.ts says how); a merge-patch body sent that way is a 400.
// - A Job deleted without propagationPolicy orphans its pods (batch/v1's default), with a Warning.
// - An EndpointSlice lists not-ready endpoints too (conditions.ready false, terminating true while
//   the pod stops): read the conditions, not only the presence of an endpoint.
// - Pod logs: `sinceTime` counts whole seconds only; a container not started yet is a 400
//   ("is waiting to start: ContainerCreating"); during CrashLoopBackOff the current log is the
//   last run's, `previous=true` is the one lastState describes.
// - Deleting a pod sends SIGTERM to the container's main process only, SIGKILL to all of it after
//   the grace period.
// - Lists' items carry no apiVersion/kind.
// Where the fake differs: PORT is rewritten per pod to a free host port (pods share this host's
// loopback; slices carry that port), readiness probes run every probeMs until ready (then at
// periodSeconds, at most 1 s apart), failureThreshold is 1, exec probes are not run, images are never pulled (containers need a command), the init container's
// own command is not run (the slug fetch is done by the fake from TUG_SLUG_URL), Services make no
// EndpointSlices (each pod of a Deployment with a port gets one slice named after the Deployment).
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {KubeConfig} from '@kubernetes/client-node'
import {Cluster} from './cluster.js'
import {Controllers} from './controllers.js'
import {Kubelet} from './kubelet.js'
import {FAKE_TOKEN, handleRest, sendError} from './rest.js'
import {Store} from './store.js'
import {handleUpgrade, type Resize} from './streams.js'
import type {FakeTiming, InvalidObject, KubeObject, PodBehaviour, RecordedRequest} from './types.js'

export type {InvalidObject, KubeObject, PodBehaviour, RecordedRequest} from './types.js'

export interface FakeKubernetesOptions {
  /** Kubelet pacing, ms: Pending -> ContainerCreating -> Running; defaults small. */
  timing?: Partial<FakeTiming> & {bookmarkMs?: number}
}

export interface FakeKubernetes {
  /** http://127.0.0.1:PORT; every request needs `Authorization: Bearer fake-token` (401 otherwise). */
  readonly url: string
  /** A kubeconfig file (context `fake`) pointing at url, for `--kubeconfig`. */
  readonly kubeconfigPath: string
  kubeConfig(): KubeConfig
  readonly requests: ReadonlyArray<RecordedRequest>
  /** Bodies that failed schema validation (answered 422 too). */
  readonly invalid: ReadonlyArray<InvalidObject>
  /** Resize messages received on exec/attach channel 4. */
  readonly resizes: ReadonlyArray<Resize>
  list(kind: string, namespace?: string): KubeObject[]
  get(kind: string, namespace: string | undefined, name: string): KubeObject | undefined
  /** Overrides what the fake kubelet does for matching pods (states that cannot happen locally). */
  onPod(match: (pod: KubeObject) => boolean, behaviour: PodBehaviour): void
  /** Compacts history: watches resuming from an older resourceVersion get 410 Gone; open watches are closed. */
  compact(): void
  /** Kills every process the fake kubelet runs, closes every socket. */
  close(): Promise<void>
}

export const DEFAULT_TIMING: FakeTiming = {scheduleMs: 50, createMs: 100, crashBackoffMs: 200, maxCrashBackoffMs: 2000, probeMs: 100}

export async function startFakeKubernetes(options: FakeKubernetesOptions = {}): Promise<FakeKubernetes> {
  const timing: FakeTiming = {...DEFAULT_TIMING, ...options.timing}
  const dir = mkdtempSync(join(tmpdir(), 'tug-fake-k8s-'))
  const store = new Store()
  const cluster = new Cluster(store)
  const requests: RecordedRequest[] = []
  const resizes: Resize[] = []
  const behaviours: {match: (pod: KubeObject) => boolean; behaviour: PodBehaviour}[] = []
  const streams = new Set<() => void>()
  const trackStream = (end: () => void): (() => void) => {
    streams.add(end)
    return () => streams.delete(end)
  }
  const kubelet = new Kubelet(store, timing, behaviours, join(dir, 'pods'), trackStream)
  const controllers = new Controllers(store, cluster, kubelet)
  store.onChange((type, object, old) => {
    kubelet.onChange(type, object)
    controllers.onChange(type, object, old)
  })

  const sockets = new Set<Socket>()
  const server: Server = createServer((request, response) => {
    handleRest(request, response, {
      cluster,
      requests,
      podLog: (res, namespace, name, query) => kubelet.podLog(res, namespace, name, query),
      trackWatch: trackStream,
      bookmarkMs: options.timing?.bookmarkMs ?? 1000,
    }).catch((error: unknown) => sendError(response, error))
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.on('upgrade', (request, socket, head) => {
    sockets.add(socket as Socket)
    socket.on('close', () => sockets.delete(socket as Socket))
    handleUpgrade(request, socket as Socket, head, {kubelet, requests, resizes, trackStream})
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  const kubeconfigPath = join(dir, 'kubeconfig.yaml')
  writeFileSync(
    kubeconfigPath,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      // client-node 1.x refuses a plain-HTTP server unless the cluster skips TLS verification.
      clusters: [{name: 'fake', cluster: {server: url, 'insecure-skip-tls-verify': true}}],
      users: [{name: 'fake', user: {token: FAKE_TOKEN}}],
      contexts: [{name: 'fake', context: {cluster: 'fake', user: 'fake'}}],
      'current-context': 'fake',
    }, null, 2),
  )
  // A test process that ends without close() (a failed before hook, a timeout) leaves no
  // process and no directory behind either.
  const atExit = (): void => {
    kubelet.killNow()
    rmSync(dir, {recursive: true, force: true})
  }
  process.once('exit', atExit)
  let closing: Promise<void> | undefined
  return {
    url,
    kubeconfigPath,
    kubeConfig() {
      const kc = new KubeConfig()
      kc.loadFromFile(kubeconfigPath)
      return kc
    },
    requests,
    invalid: cluster.invalid,
    resizes,
    list: (kind, namespace) => store.list(kind, namespace),
    get: (kind, namespace, name) => store.get(kind, namespace, name),
    onPod(match, behaviour) {
      behaviours.push({match, behaviour})
    },
    compact: () => store.compact(),
    close() {
      closing ??= (async () => {
        controllers.close()
        store.closeWatches()
        for (const end of [...streams]) end()
        await kubelet.close()
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          for (const socket of sockets) socket.destroy()
        })
        rmSync(dir, {recursive: true, force: true})
        process.removeListener('exit', atExit)
      })()
      return closing
    },
  }
}
