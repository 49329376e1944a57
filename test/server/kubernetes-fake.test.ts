// The fake Kubernetes API server (test/helpers/kubernetes) driven by the real
// @kubernetes/client-node 1.4: what the backend's tests rely on must hold with the client's own
// serialisation, paths and content types.
import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {PassThrough} from 'node:stream'
import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  Log,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1Pod,
  type V1Status,
} from '@kubernetes/client-node'
import {startFakeKubernetes, type FakeKubernetes} from '../helpers/kubernetes/fake-api-server.js'
import {waitFor} from '../helpers/wait-for.js'

const NS = 'tug-demo'

function deployment(name: string, command: string, replicas: number, extra: {port?: boolean} = {}): V1Deployment {
  return {
    metadata: {name, labels: {'tug.dev/app': 'demo', 'tug.dev/type': name}},
    spec: {
      replicas,
      selector: {matchLabels: {'tug.dev/type': name}},
      template: {
        metadata: {labels: {'tug.dev/app': 'demo', 'tug.dev/type': name}},
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'app',
              image: 'heroku/heroku:24',
              command: ['bash', '-c', command],
              env: [{name: 'GREETING', valueFrom: {secretKeyRef: {name: 'config-v1', key: 'GREETING'}}}, ...(extra.port ? [{name: 'PORT', value: '5000'}] : [])],
              envFrom: [{secretRef: {name: 'config-v1'}}],
              ...(extra.port ? {ports: [{containerPort: 5000}], readinessProbe: {tcpSocket: {port: 5000}, periodSeconds: 1}} : {}),
            },
          ],
        },
      },
    },
  }
}

/** Pids of live processes whose environment says HOSTNAME=<one of these pods>. */
function processesOf(pods: string[]): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0')
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (/\) Z /.test(stat)) continue
      if (pods.some((pod) => env.includes(`HOSTNAME=${pod}`))) pids.push(Number(entry))
    } catch {
      // gone, or not ours
    }
  }
  return pids
}

function running(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' && pod.status.containerStatuses?.[0]?.state?.running !== undefined
}

function ready(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true
}

describe('fake Kubernetes API server, through @kubernetes/client-node', function () {
  this.timeout(60_000)
  let fake: FakeKubernetes
  let kc: KubeConfig
  let core: CoreV1Api
  let apps: AppsV1Api

  async function pods(selector: string, namespace = NS): Promise<V1Pod[]> {
    return (await core.listNamespacedPod({namespace, labelSelector: selector})).items
  }

  async function setup(): Promise<void> {
    await core.createNamespace({body: {metadata: {name: NS}}})
    await core.createNamespacedSecret({namespace: NS, body: {metadata: {name: 'config-v1'}, immutable: true, stringData: {GREETING: 'hello', OTHER: 'x'}}})
  }

  beforeEach(async () => {
    fake = await startFakeKubernetes()
    kc = fake.kubeConfig()
    core = kc.makeApiClient(CoreV1Api)
    apps = kc.makeApiClient(AppsV1Api)
  })

  afterEach(async () => {
    await fake.close()
  })

  it('refuses a request without the bearer token (401, a Status)', async () => {
    const response = await fetch(`${fake.url}/api/v1/namespaces`)
    assert.equal(response.status, 401)
    assert.equal(((await response.json()) as V1Status).kind, 'Status')
  })

  it('runs a Deployment as real processes: pods Running and Ready, env from the Secret, logs with timestamps, scale through the subresource', async () => {
    await setup()
    await apps.createNamespacedDeployment({namespace: NS, body: deployment('web', 'echo hi $GREETING $OTHER; sleep 30', 2)})
    const up = await waitFor(async () => {
      const list = await pods('tug.dev/type=web')
      return list.length === 2 && list.every((pod) => running(pod) && ready(pod)) && list
    }, {what: 'two web pods Running and Ready', timeoutMs: 20_000})
    for (const pod of up) assert.match(pod.metadata?.name ?? '', /^web-[bcdfghjklmnpqrstvwxz2456789]{10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
    const name = up[0]?.metadata?.name as string
    assert.equal(processesOf([name]).length > 0, true, 'the pod runs as a local process')

    const out = new PassThrough()
    let text = ''
    out.on('data', (chunk: Buffer) => (text += chunk.toString()))
    await new Log(kc).log(NS, name, 'app', out, {follow: true, timestamps: true})
    await waitFor(() => /hi hello x/.test(text), {what: `the log line, got ${JSON.stringify(text)}`})
    assert.match(text, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z hi hello x\n/)

    const before = fake.requests.length
    const scale = await apps.patchNamespacedDeploymentScale({name: 'web', namespace: NS, body: {spec: {replicas: 3}}}, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))
    assert.equal(scale.spec?.replicas, 3)
    const sent = fake.requests.slice(before)
    assert.deepEqual(sent.map((r) => `${r.method} ${r.path} ${r.contentType}`), [`PATCH /apis/apps/v1/namespaces/${NS}/deployments/web/scale application/merge-patch+json`])
    await waitFor(async () => (await pods('tug.dev/type=web')).filter((pod) => running(pod) && ready(pod)).length === 3, {what: 'three web pods', timeoutMs: 20_000})
    const names = (await pods('tug.dev/type=web')).map((pod) => pod.metadata?.name)
    assert.ok(names.includes(name), 'scaling up keeps the pods that run (no rollout)')
    assert.equal(fake.list('ReplicaSet', NS).length, 1)

    await apps.replaceNamespacedDeploymentScale({name: 'web', namespace: NS, body: {metadata: {name: 'web', namespace: NS}, spec: {replicas: 1}}})
    await waitFor(async () => (await pods('tug.dev/type=web')).length === 1, {what: 'scaled down to one pod', timeoutMs: 20_000})
    const deployed = await apps.readNamespacedDeployment({name: 'web', namespace: NS})
    await waitFor(async () => (await apps.readNamespacedDeployment({name: 'web', namespace: NS})).status?.readyReplicas === 1, {what: 'deployment status readyReplicas 1'})
    assert.equal(deployed.spec?.replicas, 1)
    assert.deepEqual(fake.invalid, [])
  })

  it('a merge patch sent as client-node does by default (json-patch+json) is refused 400, nothing changes', async () => {
    await setup()
    await apps.createNamespacedDeployment({namespace: NS, body: deployment('worker', 'sleep 30', 0)})
    await assert.rejects(apps.patchNamespacedDeploymentScale({name: 'worker', namespace: NS, body: {spec: {replicas: 3}}}), (error: {code?: number; body?: string}) => {
      assert.equal(error.code, 400)
      assert.match(String(error.body), /list of operations/)
      return true
    })
    assert.equal((fake.get('Deployment', NS, 'worker')?.spec as {replicas: number}).replicas, 0)
  })

  it('closes leaving no process behind', async () => {
    await setup()
    await apps.createNamespacedDeployment({namespace: NS, body: deployment('web', 'trap "" TERM; echo hi; sleep 30', 2)})
    const up = await waitFor(async () => {
      const list = await pods('tug.dev/type=web')
      return list.length === 2 && list.every(running) && list.map((pod) => pod.metadata?.name as string)
    }, {what: 'two running pods', timeoutMs: 20_000})
    await waitFor(() => processesOf(up).length >= 2, {what: 'their processes'})
    await fake.close()
    assert.deepEqual(processesOf(up), [])
  })
})
