// The fake Kubernetes API server (test/helpers/kubernetes) driven by the real
// @kubernetes/client-node 1.4: what the backend's tests rely on must hold with the client's own
// serialisation, paths and content types.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'
import {
  AppsV1Api,
  Attach,
  BatchV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  Exec,
  type KubeConfig,
  Log,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1Job,
  type V1Pod,
  type V1Status,
  Watch,
} from '@kubernetes/client-node'
import {startFakeKubernetes, type FakeKubernetes} from '../helpers/kubernetes/fake-api-server.js'
import {RESOURCES, apiVersionOf} from '../helpers/kubernetes/resources.js'
import {schemaErrors} from '../helpers/kubernetes/schema.js'
import {waitFor, withDeadline} from '../helpers/wait-for.js'

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

/** What the fake itself wrote (statuses, ReplicaSets, pods, slices) must be valid objects too. */
function invalidStored(fake: FakeKubernetes): string[] {
  return RESOURCES.filter((type) => type.kind !== 'Event').flatMap((type) =>
    fake.list(type.kind).flatMap((object) => {
      const errors = schemaErrors(apiVersionOf(type), type.kind, object)
      return errors ? [`${type.kind} ${object.metadata.namespace}/${object.metadata.name}: ${errors}`] : []
    }),
  )
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
    assert.deepEqual(invalidStored(fake), [])
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

  function job(name: string, command: string[], extra: Partial<NonNullable<V1Job['spec']>> = {}, container: Record<string, unknown> = {}): V1Job {
    return {
      metadata: {name, labels: {'tug.dev/app': 'demo'}},
      spec: {
        backoffLimit: 0,
        ...extra,
        template: {
          metadata: {labels: {'tug.dev/type': 'run'}},
          spec: {restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{name: 'app', image: 'heroku/heroku:24', command, ...container}]},
        },
      },
    }
  }

  async function runningPod(selector: string): Promise<V1Pod> {
    return waitFor(async () => (await pods(selector)).find(running), {what: `a running pod for ${selector}`, timeoutMs: 20_000})
  }

  it('a crashing container shows CrashLoopBackOff with lastState exit 3, restarts, and keeps the previous log', async () => {
    await setup()
    await apps.createNamespacedDeployment({namespace: NS, body: deployment('worker', 'echo crashing; exit 3', 1)})
    const pod = await waitFor(async () => {
      const [found] = await pods('tug.dev/type=worker')
      const status = found?.status?.containerStatuses?.[0]
      return status?.state?.waiting?.reason === 'CrashLoopBackOff' && (status.restartCount ?? 0) >= 1 && found
    }, {what: 'CrashLoopBackOff', timeoutMs: 20_000})
    const status = pod.status?.containerStatuses?.[0]
    assert.equal(pod.status?.phase, 'Running', 'a crash-looping pod stays Running')
    assert.equal(status?.lastState?.terminated?.exitCode, 3)
    assert.equal(status?.lastState?.terminated?.reason, 'Error')
    const previous = await core.readNamespacedPodLog({name: pod.metadata?.name as string, namespace: NS, container: 'app', previous: true})
    assert.equal(previous, 'crashing\n')
    await waitFor(async () => ((await pods('tug.dev/type=worker'))[0]?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2, {what: 'a second restart', timeoutMs: 20_000})
  })

  it('a Job ends Succeeded or Failed with its exit code; a Job over its activeDeadlineSeconds is killed (DeadlineExceeded); ttlSecondsAfterFinished deletes it', async () => {
    await setup()
    const batch = kc.makeApiClient(BatchV1Api)
    await batch.createNamespacedJob({namespace: NS, body: job('run-1', ['bash', '-c', 'echo done'], {ttlSecondsAfterFinished: 1})})
    await batch.createNamespacedJob({namespace: NS, body: job('run-2', ['bash', '-c', 'exit 7'])})
    await batch.createNamespacedJob({namespace: NS, body: job('run-3', ['sleep', '30'], {activeDeadlineSeconds: 1})})
    const ok = await waitFor(async () => (await pods('job-name=run-1')).find((pod) => pod.status?.phase === 'Succeeded'), {what: 'run-1 Succeeded', timeoutMs: 20_000})
    assert.match(ok.metadata?.name ?? '', /^run-1-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
    assert.equal(ok.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0)
    const failed = await waitFor(async () => (await pods('job-name=run-2')).find((pod) => pod.status?.phase === 'Failed'), {what: 'run-2 Failed', timeoutMs: 20_000})
    assert.equal(failed.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 7)
    const failedJob = await waitFor(async () => {
      const read = await batch.readNamespacedJob({name: 'run-2', namespace: NS})
      return read.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True') && read
    }, {what: 'run-2 condition Failed'})
    assert.equal(failedJob.status?.failed, 1)
    assert.equal(failedJob.status?.conditions?.find((c) => c.type === 'Failed')?.reason, 'BackoffLimitExceeded')
    assert.deepEqual(invalidStored(fake), [])
    const deadline = await waitFor(async () => {
      const read = await batch.readNamespacedJob({name: 'run-3', namespace: NS})
      return read.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True')
    }, {what: 'run-3 DeadlineExceeded', timeoutMs: 20_000})
    assert.equal(deadline.reason, 'DeadlineExceeded')
    await waitFor(async () => (await pods('job-name=run-3')).length === 0, {what: 'run-3 pod killed'})
    await waitFor(() => fake.get('Job', NS, 'run-1') === undefined && fake.list('Pod', NS).every((pod) => pod.metadata.labels?.['job-name'] !== 'run-1'), {what: 'run-1 deleted by its TTL, pods too'})
    assert.deepEqual(fake.invalid, [])
  })

  it('exec returns the exit code in the status channel; attach with stdin echoes through cat and ends with the container', async () => {
    await setup()
    await apps.createNamespacedDeployment({namespace: NS, body: deployment('web', 'sleep 30', 1)})
    const web = await runningPod('tug.dev/type=web')
    const stdout = new PassThrough()
    let out = ''
    stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    const status = await withDeadline(new Promise<V1Status>((resolve, reject) => {
      new Exec(kc).exec(NS, web.metadata?.name as string, 'app', ['bash', '-c', 'echo "in $PWD as $GREETING"; exit 4'], stdout, new PassThrough(), null, false, resolve).catch(reject)
    }), 15_000, 'the exec status')
    assert.equal(status.status, 'Failure')
    assert.equal(status.reason, 'NonZeroExitCode')
    assert.deepEqual(status.details?.causes, [{reason: 'ExitCode', message: '4'}])
    assert.match(out, /in \/.* as hello/)
    const success = await withDeadline(new Promise<V1Status>((resolve, reject) => {
      new Exec(kc).exec(NS, web.metadata?.name as string, 'app', ['true'], new PassThrough(), new PassThrough(), null, false, resolve).catch(reject)
    }), 15_000, 'the exec status')
    assert.equal(success.status, 'Success')

    const batch = kc.makeApiClient(BatchV1Api)
    await batch.createNamespacedJob({namespace: NS, body: job('run-1', ['cat'], {}, {stdin: true, stdinOnce: true})})
    const pod = await runningPod('job-name=run-1')
    const input = new PassThrough()
    const output = new PassThrough()
    let echoed = ''
    output.on('data', (chunk: Buffer) => (echoed += chunk.toString()))
    await new Attach(kc).attach(NS, pod.metadata?.name as string, 'app', output, new PassThrough(), input, false)
    input.write('hello through cat\n')
    await waitFor(() => echoed.includes('hello through cat\n'), {what: `the echo, got ${JSON.stringify(echoed)}`})
    input.end()
    const done = await waitFor(async () => (await pods('job-name=run-1')).find((p) => p.status?.phase === 'Succeeded'), {what: 'cat ended by the end of stdin', timeoutMs: 20_000})
    assert.equal(done.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0)
  })

  it('attach with a TTY runs under a pseudo-terminal; a resize is recorded and applied; exec with a TTY gives its exit code', async () => {
    await setup()
    const batch = kc.makeApiClient(BatchV1Api)
    await batch.createNamespacedJob({namespace: NS, body: job('run-1', ['bash', '-c', 'read line; echo "tty=$(tty) got=$line size=$(stty size)"'], {}, {stdin: true, stdinOnce: true, tty: true})})
    const pod = await runningPod('job-name=run-1')
    const input = new PassThrough()
    const output = new PassThrough()
    let text = ''
    output.on('data', (chunk: Buffer) => (text += chunk.toString()))
    const socket = await new Attach(kc).attach(NS, pod.metadata?.name as string, 'app', output, null, input, true)
    socket.send(Buffer.concat([Buffer.from([4]), Buffer.from(JSON.stringify({Width: 100, Height: 40}))]))
    input.write('typed\n')
    await waitFor(() => /tty=\/dev\/pts\/\d+ got=typed size=40 100/.test(text), {what: `the tty echo at the new size, got ${JSON.stringify(text)}`})
    await waitFor(() => fake.resizes.some((r) => r.width === 100 && r.height === 40), {what: 'the resize recorded'})
    await apps.createNamespacedDeployment({namespace: NS, body: deployment('web', 'sleep 30', 1)})
    const web = await runningPod('tug.dev/type=web')
    const ttyOut = new PassThrough()
    let ttyText = ''
    ttyOut.on('data', (chunk: Buffer) => (ttyText += chunk.toString()))
    const ttyIn = new PassThrough()
    const status = withDeadline(new Promise<V1Status>((resolve, reject) => {
      new Exec(kc).exec(NS, web.metadata?.name as string, 'app', ['bash', '-c', 'read answer; echo "answer=$answer on $(tty)"; exit 5'], ttyOut, null, ttyIn, true, resolve).catch(reject)
    }), 15_000, 'the tty exec status')
    ttyIn.write('yes\n')
    const ended = await status
    assert.deepEqual(ended.details?.causes, [{reason: 'ExitCode', message: '5'}])
    assert.match(ttyText, /answer=yes on \/dev\/pts\/\d+/)
    await batch.createNamespacedJob({namespace: NS, body: job('run-2', ['sleep', '30'], {}, {stdin: true, tty: true})})
    const sleeper = await runningPod('job-name=run-2')
    await waitFor(() => processesOf([sleeper.metadata?.name as string]).length >= 2, {what: 'the runner and the program under the pty'})
    await fake.close()
    assert.deepEqual(processesOf([sleeper.metadata?.name as string, pod.metadata?.name as string, web.metadata?.name as string]), [])
  })

  it('refuses an invalid object 422 and records it in fake.invalid; nothing is stored', async () => {
    await setup()
    const body = deployment('web', 'sleep 30', 1) as unknown as {spec: {replicas: unknown}}
    body.spec.replicas = 'two'
    await assert.rejects(apps.createNamespacedDeployment({namespace: NS, body: body as unknown as V1Deployment}), (error: {code?: number; body?: string}) => {
      assert.equal(error.code, 422)
      assert.match(String(error.body), /replicas/)
      return true
    })
    assert.equal(fake.invalid.length, 1)
    assert.equal(fake.invalid[0]?.kind, 'Deployment')
    assert.match(fake.invalid[0]?.errors ?? '', /\/spec\/replicas: must be integer/)
    assert.equal(fake.get('Deployment', NS, 'web'), undefined)
    await assert.rejects(core.createNamespacedSecret({namespace: NS, body: {metadata: {name: 'config-v1'}}}), (error: {code?: number}) => error.code === 409)
    await assert.rejects(core.createNamespacedSecret({namespace: 'nope', body: {metadata: {name: 'x'}}}), (error: {code?: number}) => error.code === 404)
  })

  it('a watch from a compacted resourceVersion gets 410 Gone; an informer relists and goes on', async () => {
    await setup()
    const first = await core.listNamespacedSecret({namespace: NS})
    const old = first.metadata?.resourceVersion as string
    await core.createNamespacedSecret({namespace: NS, body: {metadata: {name: 'config-v2'}, stringData: {A: 'b'}}})
    const events: string[] = []
    let ended: unknown
    const watching = await new Watch(kc).watch(`/api/v1/namespaces/${NS}/secrets`, {resourceVersion: old}, (type, object: {metadata?: {name?: string}}) => events.push(`${type} ${object.metadata?.name}`), (error) => (ended = error ?? 'ended'))
    await waitFor(() => events.includes('ADDED config-v2') || ended !== undefined, {timeoutMs: 30_000, what: 'the watch to replay what came after its resourceVersion'})
    watching.abort()
    assert.ok(events.includes('ADDED config-v2'), `a watch from ${old} replays what came after: ${events.join(', ')}`)
    fake.compact()
    let gone: {type: string; code?: number} | undefined
    await new Promise<void>((resolve) => {
      void new Watch(kc).watch(`/api/v1/namespaces/${NS}/secrets`, {resourceVersion: old}, (type, object: {code?: number}) => (gone = {type, code: object.code}), () => resolve())
    })
    assert.deepEqual(gone, {type: 'ERROR', code: 410})

    const informer = makeInformer(kc, `/api/v1/namespaces/${NS}/pods`, () => core.listNamespacedPod({namespace: NS}))
    const seen = new Set<string>()
    informer.on('add', (pod) => seen.add(pod.metadata?.name as string))
    await informer.start()
    try {
      await apps.createNamespacedDeployment({namespace: NS, body: deployment('web', 'sleep 30', 1)})
      await waitFor(() => seen.size === 1, {what: 'the informer sees the pod'})
      fake.compact()
      await apps.patchNamespacedDeploymentScale({name: 'web', namespace: NS, body: {spec: {replicas: 2}}}, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))
      await waitFor(() => seen.size === 2, {what: 'the informer, relisted after 410, sees the new pod'})
      const watches = fake.requests.filter((r) => r.path === `/api/v1/namespaces/${NS}/pods` && r.query.watch === 'true')
      assert.ok(watches.length >= 2, 'the informer watched again after the compaction')
    } finally {
      await informer.stop()
    }
  })

  it('deleting a pod stops its process gracefully and the ReplicaSet replaces it; EndpointSlices carry each ready pod and its rewritten PORT', async () => {
    await setup()
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: deployment('web', 'exec python3 -c "import http.server,os; http.server.HTTPServer((\'127.0.0.1\', int(os.environ[\'PORT\'])), http.server.SimpleHTTPRequestHandler).serve_forever()"', 2, {port: true}),
    })
    const discovery = kc.makeApiClient(DiscoveryV1Api)
    const slices = await waitFor(async () => {
      const list = (await discovery.listNamespacedEndpointSlice({namespace: NS, labelSelector: 'kubernetes.io/service-name=web'})).items
      return list.length === 2 && list.every((slice) => slice.endpoints[0]?.conditions?.ready) && list
    }, {what: 'two ready endpoint slices', timeoutMs: 20_000})
    const ports = slices.map((slice) => slice.ports?.[0]?.port as number)
    assert.notEqual(ports[0], ports[1], 'each pod has its own port')
    for (const port of ports) assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 200)
    assert.deepEqual(invalidStored(fake), [])
    const victim = slices[0]?.endpoints[0]?.targetRef?.name as string
    await core.deleteNamespacedPod({name: victim, namespace: NS})
    await waitFor(async () => {
      const list = await pods('tug.dev/type=web')
      return list.length === 2 && !list.some((pod) => pod.metadata?.name === victim) && list.every(ready)
    }, {what: 'a replacement pod, ready', timeoutMs: 20_000})
    assert.deepEqual(processesOf([victim]), [])
    await waitFor(async () => {
      const list = (await discovery.listNamespacedEndpointSlice({namespace: NS})).items
      return list.length === 2 && list.every((slice) => slice.endpoints[0]?.targetRef?.name !== victim)
    }, {what: 'the slices follow the pods'})
    assert.deepEqual(fake.invalid, [])
  })

  it('deleting the namespace stops its processes and removes everything in it', async () => {
    await setup()
    await apps.createNamespacedDeployment({namespace: NS, body: deployment('web', 'sleep 30', 2)})
    const names = await waitFor(async () => {
      const list = await pods('tug.dev/type=web')
      return list.length === 2 && list.every(running) && list.map((pod) => pod.metadata?.name as string)
    }, {what: 'two running pods', timeoutMs: 20_000})
    await core.deleteNamespace({name: NS})
    await waitFor(() => fake.get('Namespace', undefined, NS) === undefined, {what: 'the namespace gone', timeoutMs: 20_000})
    assert.deepEqual(processesOf(names), [])
    assert.deepEqual(fake.list('Deployment', NS), [])
    assert.deepEqual(fake.list('Secret', NS), [])
  })

  describe('slug-fetch init containers', () => {
    let dir: string
    let slugServer: Server
    let base: string
    const fetched: string[] = []

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tug-fake-slug-'))
      mkdirSync(join(dir, 'app'))
      writeFileSync(join(dir, 'app', 'hello.txt'), 'from the slug\n')
      execFileSync('tar', ['-czf', join(dir, 'slug.tgz'), '-C', join(dir, 'app'), '.'])
      const slug = readFileSync(join(dir, 'slug.tgz'))
      slugServer = createServer((request, response) => {
        fetched.push(`${request.url} ${request.headers.authorization ?? 'no-auth'}`)
        if (request.url === '/slugs/good.tgz') response.end(slug)
        else if (request.url === '/slugs/garbage.tgz') response.end('not a tarball')
        else response.writeHead(404).end('no such slug')
      })
      await new Promise<void>((resolve) => slugServer.listen(0, '127.0.0.1', resolve))
      const address = slugServer.address() as {port: number}
      base = `http://127.0.0.1:${address.port}`
    })

    after(async () => {
      await new Promise<void>((resolve) => slugServer.close(() => resolve()))
      rmSync(dir, {recursive: true, force: true})
    })

    function withSlug<T extends V1Deployment | V1Job>(object: T, url: string): T {
      const spec = object.spec?.template.spec as NonNullable<V1Pod['spec']>
      spec.volumes = [{name: 'app', emptyDir: {}}]
      spec.initContainers = [{name: 'slug', image: 'heroku/heroku:24', env: [{name: 'TUG_SLUG_URL', value: url}], volumeMounts: [{name: 'app', mountPath: '/app'}]}]
      for (const container of spec.containers) {
        container.workingDir = '/app'
        container.volumeMounts = [{name: 'app', mountPath: '/app'}]
      }
      return object
    }

    it('fetches the slug without credentials and unpacks it into the emptyDir the container runs in', async () => {
      await setup()
      await apps.createNamespacedDeployment({namespace: NS, body: withSlug(deployment('web', 'cat hello.txt; sleep 30', 1), `${base}/slugs/good.tgz`)})
      const pod = await runningPod('tug.dev/type=web')
      assert.equal(pod.status?.initContainerStatuses?.[0]?.state?.terminated?.exitCode, 0)
      const name = pod.metadata?.name as string
      await waitFor(async () => (await core.readNamespacedPodLog({name, namespace: NS, container: 'app'})) === 'from the slug\n', {what: 'the slug file read by the process'})
      assert.deepEqual(fetched, ['/slugs/good.tgz no-auth'])
    })

    it('a missing or broken slug fails the init container: a Job pod Failed, a Deployment pod in Init CrashLoopBackOff, the reason in the init log', async () => {
      await setup()
      const batch = kc.makeApiClient(BatchV1Api)
      await batch.createNamespacedJob({namespace: NS, body: withSlug(job('run-1', ['true']), `${base}/slugs/missing.tgz`)})
      const failed = await waitFor(async () => (await pods('job-name=run-1')).find((p) => p.status?.phase === 'Failed'), {what: 'the Job pod Failed', timeoutMs: 20_000})
      assert.equal(failed.status?.initContainerStatuses?.[0]?.state?.terminated?.exitCode, 1)
      const log = await core.readNamespacedPodLog({name: failed.metadata?.name as string, namespace: NS, container: 'slug'})
      assert.match(log, /404/)
      await apps.createNamespacedDeployment({namespace: NS, body: withSlug(deployment('web', 'sleep 30', 1), `${base}/slugs/garbage.tgz`)})
      const looping = await waitFor(async () => {
        const [pod] = await pods('tug.dev/type=web')
        return pod?.status?.initContainerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' && pod
      }, {what: 'Init CrashLoopBackOff', timeoutMs: 20_000})
      assert.equal(looping.status?.phase, 'Pending')
      assert.match(await core.readNamespacedPodLog({name: looping.metadata?.name as string, namespace: NS, container: 'slug'}), /not a gzipped tarball/)
    })
  })

  it('onPod behaviours: OOMKilled once then running, ImagePullBackOff, CreateContainerConfigError, never ready; a missing Secret is CreateContainerConfigError until it exists', async () => {
    fake.onPod((pod) => pod.metadata.labels?.['tug.dev/type'] === 'oom', {kind: 'oomKilled'})
    fake.onPod((pod) => pod.metadata.labels?.['tug.dev/type'] === 'pull', {kind: 'imagePullBackOff'})
    fake.onPod((pod) => pod.metadata.labels?.['tug.dev/type'] === 'config', {kind: 'createContainerConfigError', message: 'no such key'})
    fake.onPod((pod) => pod.metadata.labels?.['tug.dev/type'] === 'unready', {kind: 'neverReady'})
    await setup()
    for (const type of ['oom', 'pull', 'config', 'unready']) await apps.createNamespacedDeployment({namespace: NS, body: deployment(type, 'sleep 30', 1)})
    const status = (type: string) => async () => (await pods(`tug.dev/type=${type}`))[0]?.status?.containerStatuses?.[0]
    const oom = await waitFor(async () => {
      const s = await status('oom')()
      return s?.lastState?.terminated?.reason === 'OOMKilled' && s.state?.running && s
    }, {what: 'OOMKilled then running again', timeoutMs: 20_000})
    assert.equal(oom.lastState?.terminated?.exitCode, 137)
    await waitFor(async () => (await status('pull')())?.state?.waiting?.reason === 'ImagePullBackOff', {what: 'ImagePullBackOff'})
    const config = await waitFor(async () => (await status('config')())?.state?.waiting, {what: 'CreateContainerConfigError'})
    assert.deepEqual({...config}, {reason: 'CreateContainerConfigError', message: 'no such key'})
    const unready = await waitFor(async () => (await pods('tug.dev/type=unready')).find(running), {what: 'unready pod running'})
    assert.equal(ready(unready), false)

    const body = deployment('late', 'echo $GREETING; sleep 30', 1)
    const env = body.spec?.template.spec?.containers[0]?.env?.[0]
    if (env?.valueFrom?.secretKeyRef) env.valueFrom.secretKeyRef.name = 'config-v2'
    await apps.createNamespacedDeployment({namespace: NS, body})
    const waiting = await waitFor(async () => (await status('late')())?.state?.waiting?.reason === 'CreateContainerConfigError' && (await status('late')()), {what: 'missing secret'})
    assert.match(waiting.state?.waiting?.message ?? '', /secret "config-v2" not found/)
    await core.createNamespacedSecret({namespace: NS, body: {metadata: {name: 'config-v2'}, stringData: {GREETING: 'later'}}})
    await waitFor(async () => (await status('late')())?.state?.running, {what: 'started once the secret exists', timeoutMs: 20_000})
  })

  it('a pod template change rolls the Deployment to a new ReplicaSet; server-side apply and strategic merge patches work', async () => {
    await setup()
    await apps.createNamespacedDeployment({namespace: NS, body: deployment('web', 'sleep 30', 2)})
    const first = await waitFor(async () => {
      const list = await pods('tug.dev/type=web')
      return list.length === 2 && list.every(ready) && list.map((p) => p.metadata?.name as string)
    }, {what: 'two ready pods', timeoutMs: 20_000})
    await apps.patchNamespacedDeployment(
      {name: 'web', namespace: NS, body: {spec: {template: {metadata: {annotations: {'tug.dev/restarted-at': '2026-12-06T00:00:00Z'}}}}}},
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    )
    await waitFor(async () => {
      const list = await pods('tug.dev/type=web')
      return list.length === 2 && list.every(ready) && list.every((p) => !first.includes(p.metadata?.name as string))
    }, {what: 'the pods replaced by the rollout', timeoutMs: 30_000})
    assert.equal(fake.list('ReplicaSet', NS).length, 2)
    const applied = await apps.patchNamespacedDeployment(
      {name: 'web', namespace: NS, fieldManager: 'tug', body: {apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'web', labels: {extra: 'yes'}}}},
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    )
    assert.equal(applied.metadata?.labels?.extra, 'yes')
    assert.equal(applied.spec?.replicas, 2)
    await assert.rejects(
      apps.patchNamespacedDeployment({name: 'web', namespace: NS, body: {metadata: {labels: {x: 'y'}}}}, setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply)),
      (error: {code?: number}) => error.code === 400,
    )
    assert.deepEqual(fake.invalid, [])
  })

  it('log options: tailLines, sinceTime (whole seconds), limitBytes, and a follow that ends with the container', async () => {
    await setup()
    const batch = kc.makeApiClient(BatchV1Api)
    await batch.createNamespacedJob({namespace: NS, body: job('run-1', ['bash', '-c', 'for i in 1 2 3 4 5; do echo line $i; done; read x'], {}, {stdin: true, stdinOnce: true})})
    const pod = await runningPod('job-name=run-1')
    const name = pod.metadata?.name as string
    await waitFor(async () => (await core.readNamespacedPodLog({name, namespace: NS})).includes('line 5'), {what: 'five lines'})
    assert.equal(await core.readNamespacedPodLog({name, namespace: NS, tailLines: 2}), 'line 4\nline 5\n')
    assert.equal(await core.readNamespacedPodLog({name, namespace: NS, limitBytes: 9}), 'line 1\nli')
    const stamped = await core.readNamespacedPodLog({name, namespace: NS, timestamps: true})
    const times = stamped.trim().split('\n').map((line) => line.split(' ')[0] as string)
    assert.equal(new Set(times).size, 5, 'each line has its own time')
    // readNamespacedPodLog has no sinceTime (the OpenAPI spec lacks it); the Log class sends it.
    const sinceText = async (sinceTime: string): Promise<string> => {
      const sink = new PassThrough()
      let text = ''
      sink.on('data', (chunk: Buffer) => (text += chunk.toString()))
      const finished = new Promise<void>((resolve) => sink.on('finish', () => resolve()))
      await new Log(kc).log(NS, name, 'app', sink, {sinceTime})
      await withDeadline(finished, 15_000, 'the log answer')
      return text
    }
    const lastSecond = new Date(Math.floor(Date.parse(times[4] as string) / 1000) * 1000)
    assert.equal(await sinceText(new Date(lastSecond.getTime() + 1000).toISOString()), '')
    assert.match(await sinceText(new Date(lastSecond.getTime() + 999).toISOString()), /line 5\n$/, 'only whole seconds of sinceTime count')
    const out = new PassThrough()
    let followed = ''
    out.on('data', (chunk: Buffer) => (followed += chunk.toString()))
    const ended = new Promise<void>((resolve) => out.on('finish', () => resolve()))
    await new Log(kc).log(NS, name, 'app', out, {follow: true, tailLines: 1})
    const input = new PassThrough()
    await new Attach(kc).attach(NS, name, 'app', null, null, input, false)
    input.end('\n')
    await withDeadline(ended, 15_000, 'the follow to end with the container')
    assert.equal(followed, 'line 5\n')
  })

  it('selectors, a watch that sees objects leave its selector, and deletion policies (a Job orphans its pods by default, with a Warning)', async () => {
    await setup()
    await core.createNamespacedSecret({namespace: NS, body: {metadata: {name: 'a', labels: {tier: 'x'}}}})
    await core.createNamespacedSecret({namespace: NS, body: {metadata: {name: 'b', labels: {tier: 'y'}}}})
    const names = async (query: {labelSelector?: string; fieldSelector?: string}): Promise<string[]> =>
      (await core.listNamespacedSecret({namespace: NS, ...query})).items.map((secret) => secret.metadata?.name as string)
    assert.deepEqual(await names({labelSelector: 'tier in (x,y)'}), ['a', 'b'])
    assert.deepEqual(await names({labelSelector: 'tier!=x,tier'}), ['b'])
    assert.deepEqual(await names({fieldSelector: 'metadata.name=a'}), ['a'])
    const page = await core.listNamespacedSecret({namespace: NS, labelSelector: 'tier', limit: 1})
    assert.deepEqual([page.items.map((secret) => secret.metadata?.name), page.metadata?.remainingItemCount], [['a'], 1])
    const rest = await core.listNamespacedSecret({namespace: NS, labelSelector: 'tier', limit: 1, _continue: page.metadata?._continue})
    assert.deepEqual([rest.items.map((secret) => secret.metadata?.name), rest.metadata?._continue], [['b'], undefined])
    await assert.rejects(names({labelSelector: 'tier in x'}), (error: {code?: number}) => error.code === 400)
    const events: string[] = []
    const controller = await new Watch(kc).watch(`/api/v1/namespaces/${NS}/secrets`, {labelSelector: 'tier=x'}, (type, object: {metadata?: {name?: string}}) => events.push(`${type} ${object.metadata?.name}`), () => {})
    try {
      await waitFor(() => events.includes('ADDED a'), {what: 'the initial ADDED'})
      await core.patchNamespacedSecret({name: 'a', namespace: NS, body: {metadata: {labels: {tier: 'z'}}}}, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))
      await core.patchNamespacedSecret({name: 'b', namespace: NS, body: {metadata: {labels: {tier: 'x'}}}}, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))
      await waitFor(() => events.length >= 3, {what: `three events, got ${events.join(', ')}`})
      assert.deepEqual(events, ['ADDED a', 'DELETED a', 'ADDED b'])
    } finally {
      controller.abort()
    }

    const batch = kc.makeApiClient(BatchV1Api)
    await batch.createNamespacedJob({namespace: NS, body: job('run-1', ['sleep', '30'])})
    await runningPod('job-name=run-1')
    const response = await fetch(`${fake.url}/apis/batch/v1/namespaces/${NS}/jobs/run-1`, {method: 'DELETE', headers: {Authorization: 'Bearer fake-token'}})
    assert.equal(response.status, 200)
    assert.match(response.headers.get('warning') ?? '', /child pods are preserved by default/)
    const orphan = (await pods('job-name=run-1'))[0]
    assert.equal(orphan?.metadata?.ownerReferences, undefined, 'the pod is orphaned, not deleted')
    await batch.createNamespacedJob({namespace: NS, body: job('run-2', ['sleep', '30'])})
    await runningPod('job-name=run-2')
    await batch.deleteNamespacedJob({name: 'run-2', namespace: NS, propagationPolicy: 'Background'})
    await waitFor(async () => (await pods('job-name=run-2')).length === 0, {what: 'run-2 pods deleted with the Job (Background)'})
  })
})
