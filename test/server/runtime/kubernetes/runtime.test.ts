// KubernetesRuntime against the fake API server (test/helpers/kubernetes), in process: what the
// reconciler sends for each change (read from fake.requests), and what the pod watch writes back
// (dyno records named by the pods, platform lines for OOM kills and image pull failures), through
// a 410 Gone, and the slug capability URLs the fake's kubelet fetches.
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {chmodSync, mkdtempSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {createRelease} from '../../../../src/server/domain/releases.js'
import {AppWatch} from '../../../../src/server/runtime/kubernetes/app-watch.js'
import {KubeApi} from '../../../../src/server/runtime/kubernetes/kube-api.js'
import {buildNamespace} from '../../../../src/server/runtime/kubernetes/manifests.js'
import {KubernetesRuntime, type KubernetesRuntimeOptions} from '../../../../src/server/runtime/kubernetes/runtime.js'
import {loadSlugKey, SlugTokens} from '../../../../src/server/runtime/kubernetes/slugs.js'
import {Store, type AccountRecord} from '../../../../src/server/store/index.js'
import {startFakeKubernetes, type FakeKubernetes, type KubeObject} from '../../../helpers/kubernetes/fake-api-server.js'
import {waitFor} from '../../../helpers/wait-for.js'

const WAIT_MS = 60_000
const NS = 'tug-shop'

describe('kubernetes runtime: reconciler and pod watch against the fake API server', function () {
  this.timeout(180_000)
  let fake: FakeKubernetes
  let store: Store
  let runtime: KubernetesRuntime
  let slugServer: Server
  let code: string
  let appId: string
  let slugBase: string
  const slugKey = randomBytes(32)
  let account: AccountRecord
  const lines: string[] = []
  /** A second runtime's slugs, served by the same slug server. */
  let other: KubernetesRuntime | undefined

  const records = (type: string) => store.dynos.list(appId).filter((d) => d.type === type && !d.one_off)
  const allUp = (type: string, count: number) =>
    waitFor(() => {
      const found = records(type)
      return found.length === count && found.every((d) => d.state === 'up') ? found : undefined
    }, {timeoutMs: WAIT_MS, what: () => `${count} ${type} dynos up (${records(type).map((d) => `${d.name}:${d.state}`).join(' ')})`})
  const scale = async (type: string, quantity: number) => {
    const entry = store.formation.getByType(appId, type)
    assert.ok(entry, `formation has ${type}`)
    store.formation.update(appId, entry.id, {quantity, size: entry.size})
    await runtime.formationChanged(appId)
  }
  const writes = (from: number) => fake.requests.slice(from).filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`)
  const ofType = (type: string) => (pod: KubeObject) => (pod.metadata as {labels?: Record<string, string>} | undefined)?.labels?.['tug.dev/type'] === type

  /** The runtime under test, on the fake, writing its lines and errors into `lines`. */
  const makeRuntime = (): KubernetesRuntime =>
    new KubernetesRuntime({
      kc: fake.kubeConfig(),
      store,
      logs: {write: (_app, input) => lines.push(`${input.source}[${input.dyno}]: ${input.message}`)},
      slugKey,
      slugUrlBase: () => slugBase,
      stopGraceMs: 1000,
      reconcileIntervalMs: 60_000,
      onError: (error) => lines.push(`error: ${(error as Error).message}`),
    })

  before(async () => {
    fake = await startFakeKubernetes()
    code = mkdtempSync(join(tmpdir(), 'tug-k8s-runtime-'))
    writeFileSync(join(code, 'server.js'), "require('http').createServer((q, s) => s.end(process.env.GREETING)).listen(Number(process.env.PORT), () => console.log('web ' + process.env.DYNO + ' ' + process.env.GREETING))\n")
    writeFileSync(join(code, 'worker.js'), "console.log('working'); setInterval(() => {}, 1000)\n")
    slugServer = createServer((request, response) => {
      const token = decodeURIComponent((request.url ?? '').replace(/^\/slugs\//, ''))
      const slug = runtime.slug(token) ?? other?.slug(token)
      if (!slug) return void response.writeHead(404).end('no slug')
      response.writeHead(200, {'Content-Type': 'application/gzip'})
      slug.stream().pipe(response)
    })
    await new Promise<void>((resolve) => slugServer.listen(0, '127.0.0.1', resolve))
    slugBase = `http://127.0.0.1:${(slugServer.address() as AddressInfo).port}`
    store = new Store({path: ':memory:'})
    account = store.accounts.create({email: 'a@example.com', name: null})
    appId = store.apps.create({name: 'shop', owner_id: account.id, region: 'us', stack: 'heroku-24'}).id
    createRelease(store, {appId, description: 'Initial release', user: account})
    createRelease(store, {
      appId,
      description: 'Deploy',
      codeDir: code,
      processTypes: [
        {name: 'web', command: 'node server.js'},
        {name: 'worker', command: 'node worker.js'},
        {name: 'pull', command: 'node worker.js'},
      ],
      config: {GREETING: 'hi'},
      user: account,
    })
    runtime = makeRuntime()
    await runtime.ready
  })

  after(async () => {
    await runtime?.close()
    await fake?.close()
    await new Promise<void>((resolve) => (slugServer ? slugServer.close(() => resolve()) : resolve()))
    store?.close()
    if (code) rmSync(code, {recursive: true, force: true})
  })

  it('creates the namespace, the Service, the release Secret and web at 1; records are the pods', async () => {
    const [web] = await allUp('web', 1)
    assert.match(web?.name ?? '', /^web-[a-z0-9]+-[a-z0-9]{5}$/)
    assert.ok(fake.get('Namespace', undefined, NS))
    assert.ok(fake.get('Service', NS, 'web'))
    assert.ok(fake.get('Secret', NS, 'config-v2'))
    // The app's isolation exists before its first pod: made right after the namespace.
    assert.ok(fake.get('NetworkPolicy', NS, 'tug-isolation'))
    const made = fake.requests.filter((r) => r.method === 'POST').map((r) => r.path)
    assert.ok(made.indexOf(`/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies`) < made.indexOf(`/apis/apps/v1/namespaces/${NS}/deployments`), made.join('\n'))
    assert.ok(lines.some((l) => l === `tug[${web?.name}]: State changed from starting to up`), lines.join('\n'))
    assert.ok(lines.some((l) => l === `app[${web?.name}]: web ${web?.name} hi`), 'the pod log followed under the pod name')
  })

  it('an app that never had code gets no namespace', async () => {
    const empty = store.apps.create({name: 'empty', owner_id: account.id, region: 'us', stack: 'heroku-24'})
    createRelease(store, {appId: empty.id, description: 'Initial release', user: account})
    await runtime.formationChanged(empty.id)
    assert.equal(fake.get('Namespace', undefined, 'tug-empty'), undefined)
  })

  it("the router's web directory lists the ready web pods at their EndpointSlice's address", async () => {
    const [web] = await allUp('web', 1)
    const listed = await waitFor(() => {
      const dynos = runtime.webDirectory().list('shop')
      return dynos.length === 1 ? dynos : undefined
    }, {timeoutMs: WAIT_MS, what: () => `the web pod in the directory (${JSON.stringify(runtime.webDirectory().list('shop'))}; slices ${JSON.stringify(fake.list('EndpointSlice', NS))})`})
    assert.equal(listed[0]?.name, web?.name)
    const response = await fetch(`http://${listed[0]?.host}:${listed[0]?.port}/`)
    assert.equal(await response.text(), 'hi')
  })

  it('scale web=5 from 3 sends one scale request and no Deployment update', async () => {
    await scale('web', 3)
    await allUp('web', 3)
    const mark = fake.requests.length
    await scale('web', 5)
    assert.deepEqual(writes(mark), [`PATCH /apis/apps/v1/namespaces/${NS}/deployments/web/scale`])
    await allUp('web', 5)
    const again = fake.requests.length
    await runtime.formationChanged(appId)
    assert.deepEqual(writes(again), [], 'nothing changed: nothing sent')
    await scale('web', 1)
    await allUp('web', 1)
  })

  it('a new release is a new Secret and a template patch (rolling), no scale request', async () => {
    const before = records('web').map((d) => d.name)
    const mark = fake.requests.length
    createRelease(store, {appId, description: 'Set GREETING', config: {GREETING: 'hola'}, user: account})
    await runtime.releaseChanged(appId)
    assert.deepEqual(writes(mark), [`POST /api/v1/namespaces/${NS}/secrets`, `PATCH /apis/apps/v1/namespaces/${NS}/deployments/web`])
    const secret = fake.get('Secret', NS, 'config-v3') as {immutable?: boolean} | undefined
    assert.equal(secret?.immutable, true)
    await waitFor(() => records('web').length === 1 && records('web').every((d) => d.state === 'up' && !before.includes(d.name)), {timeoutMs: WAIT_MS, what: 'the web pod replaced by the rolling update'})
    const [web] = records('web')
    await waitFor(() => lines.includes(`app[${web?.name}]: web ${web?.name} hola`), {timeoutMs: WAIT_MS, what: 'the new pod runs with the new config'})
  })

  it('ps:restart of a type is a template annotation; ps:stop of a dyno deletes its pod', async () => {
    const [first] = await allUp('web', 1)
    const mark = fake.requests.length
    await runtime.restart(appId, {kind: 'type', type: 'web'})
    assert.deepEqual(writes(mark), [`PATCH /apis/apps/v1/namespaces/${NS}/deployments/web`])
    const deployment = fake.get('Deployment', NS, 'web') as {spec: {template: {metadata: {annotations: Record<string, string>}}}}
    assert.ok(deployment.spec.template.metadata.annotations['tug.dev/restartedAt'])
    const second = await waitFor(() => records('web').find((d) => d.state === 'up' && d.name !== first?.name && records('web').length === 1), {timeoutMs: WAIT_MS, what: 'web restarted'})
    const stopMark = fake.requests.length
    await runtime.stop(appId, {kind: 'dyno', dynoId: second.id})
    assert.deepEqual(writes(stopMark), [`DELETE /api/v1/namespaces/${NS}/pods/${second.name}`])
    await waitFor(() => records('web').find((d) => d.state === 'up' && d.name !== second.name && records('web').length === 1), {timeoutMs: WAIT_MS, what: 'web replaced after the pod delete'})
  })

  it('an OOM kill is an R15 line; an image that cannot be pulled is crashed with the reason', async () => {
    fake.onPod(ofType('worker'), {kind: 'oomKilled'})
    fake.onPod(ofType('pull'), {kind: 'imagePullBackOff'})
    await scale('worker', 1)
    await scale('pull', 1)
    await waitFor(() => lines.find((l) => /^tug\[worker-.*\]: Error R15 \(Memory quota vastly exceeded\)$/.test(l)), {timeoutMs: WAIT_MS, what: () => `the R15 line:\n${lines.join('\n')}`})
    const pull = await waitFor(() => records('pull').find((d) => d.state === 'crashed'), {timeoutMs: WAIT_MS, what: 'the pull dyno crashed'})
    assert.match(runtime.stats(appId, pull.id).state_reason ?? '', /^(ErrImagePull|ImagePullBackOff): /)
    assert.ok(lines.some((l) => l.startsWith(`tug[${pull.name}]: Cannot run: ErrImagePull`)), lines.join('\n'))
    await scale('worker', 0)
    await scale('pull', 0)
  })

  it('keeps following after a 410 Gone (the informer lists again)', async () => {
    const mark = fake.requests.length
    fake.compact()
    await scale('web', 2)
    await allUp('web', 2)
    const relisted = fake.requests.slice(mark).some((r) => r.method === 'GET' && r.path === `/api/v1/namespaces/${NS}/pods` && r.query.watch !== 'true')
    assert.ok(relisted, 'the pods were listed again after the compaction')
    await scale('web', 1)
    await allUp('web', 1)
  })

  it('a one-off Job ends its record with the exit code', async () => {
    const app = store.apps.get(appId)
    const record = await runtime.createOneOff(appId, {command: 'echo one-off; exit 5', type: 'run', size: 'Standard-1X', attach: false, forceNoTty: true, env: {}, timeToLive: 60, releaseId: app?.current_release_id ?? ''})
    assert.equal(record.name, 'run.1')
    const ended = await runtime.waitForOneOff(appId, record.id)
    assert.deepEqual([ended?.state, ended?.exit_status], ['crashed', 5])
    const job = fake.get('Job', NS, 'run-1') as {spec: {backoffLimit: number; activeDeadlineSeconds: number}} | undefined
    assert.deepEqual([job?.spec.backoffLimit, job?.spec.activeDeadlineSeconds], [0, 60])
    await waitFor(() => lines.includes('app[run.1]: one-off'), {timeoutMs: WAIT_MS, what: "the one-off's output under its name"})
  })

  it('a scheduled run is a one-off Job scheduler.N started by the scheduler', async () => {
    const now = new Date().toISOString()
    const id = await runtime.runScheduled(appId, {id: 's1', app_id: appId, expression: '* * * * *', timezone: 'UTC', command: 'echo scheduled', size: 'Standard-1X', last_run_at: null, created_at: now, updated_at: now})
    const ended = await runtime.waitForOneOff(appId, id)
    assert.deepEqual([ended?.name, ended?.state, ended?.exit_status], ['scheduler.1', 'down', 0])
    assert.ok(fake.get('Job', NS, 'scheduler-1'))
    assert.equal(runtime.isRunning(id), false)
  })

  it('a restarted control plane reads the pods back: same dyno records, nothing re-created', async () => {
    const before = records('web').map((d) => `${d.name}:${d.state}`)
    assert.equal(before.length, 1)
    await runtime.close()
    const mark = fake.requests.length
    runtime = makeRuntime()
    await runtime.ready
    await waitFor(() => fake.requests.slice(mark).some((r) => r.path === `/api/v1/namespaces/${NS}/pods` && r.query.watch === 'true'), {timeoutMs: WAIT_MS, what: 'the new pod watch'})
    // The namespace, the Service and the release's Secret are created again and answered 409 (they exist).
    assert.deepEqual(writes(mark).filter((w) => w.includes('/deployments')), [], 'the Deployments were found as they were: nothing created, patched or scaled')
    assert.deepEqual(records('web').map((d) => `${d.name}:${d.state}`), before)
  })

  /** Another app on its own runtime (its own options) and store, on the same fake, in namespaces `<prefix>*`. */
  const secondRuntime = (name: string, prefix: string, options: Partial<KubernetesRuntimeOptions>) => {
    const ownStore = new Store({path: ':memory:'})
    const ownLines: string[] = []
    const owner = ownStore.accounts.create({email: `${name}@example.com`, name: null})
    const id = ownStore.apps.create({name, owner_id: owner.id, region: 'us', stack: 'heroku-24'}).id
    createRelease(ownStore, {appId: id, description: 'Deploy', codeDir: code, processTypes: [{name: 'web', command: 'node server.js'}], config: {GREETING: 'hi'}, user: owner})
    const own = new KubernetesRuntime({
      kc: fake.kubeConfig(),
      store: ownStore,
      logs: {write: (_app, input) => ownLines.push(`${input.source}[${input.dyno}]: ${input.message}`)},
      slugKey,
      slugUrlBase: () => slugBase,
      namespacePrefix: prefix,
      stopGraceMs: 1000,
      reconcileIntervalMs: 60_000,
      onError: (error) => ownLines.push(`error: ${(error as Error).message}`),
      ...options,
    })
    other = own
    return {
      runtime: own,
      appId: id,
      lines: ownLines,
      async close() {
        await own.close()
        other = undefined
        ownStore.close()
      },
    }
  }

  it('R10: a web pod not Ready within the boot timeout gets the R10 line and is deleted at once; its ReplicaSet makes another', async () => {
    fake.onPod((pod) => (pod.metadata as {labels?: Record<string, string>}).labels?.['tug.dev/app'] === 'slow', {kind: 'neverReady'})
    const slow = secondRuntime('slow', 'r10-', {bootTimeoutMs: 1500})
    const slowLines = slow.lines
    try {
      await slow.runtime.ready
      const r10 = await waitFor(() => slowLines.find((l) => l.includes('Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 2 seconds of launch')), {
        timeoutMs: WAIT_MS,
        what: () => `an R10 line (${slowLines.join(' | ')})`,
      })
      const pod = /^tug\[([^\]]+)\]/.exec(r10)?.[1] ?? ''
      assert.match(pod, /^web-/)
      assert.ok(slowLines.includes(`tug[${pod}]: Stopping process with SIGKILL`))
      await waitFor(() => fake.requests.find((r) => r.method === 'DELETE' && r.path === `/api/v1/namespaces/r10-slow/pods/${pod}`), {timeoutMs: WAIT_MS, what: 'the pod deleted'})
      const deletion = fake.requests.find((r) => r.method === 'DELETE' && r.path === `/api/v1/namespaces/r10-slow/pods/${pod}`)
      const grace = deletion?.query.gracePeriodSeconds ?? (deletion?.body as {gracePeriodSeconds?: number} | undefined)?.gracePeriodSeconds
      assert.equal(String(grace), '0', 'no grace: the SIGKILL of the local runtime')
      await waitFor(() => fake.list('Pod', 'r10-slow').some((p) => (p.metadata as {name: string}).name !== pod), {timeoutMs: WAIT_MS, what: 'a replacement pod'})
      // A pod that becomes Ready in time is never touched: the shop's web pods got no R10.
      assert.ok(!lines.some((l) => l.includes('R10')), lines.join('\n'))
      await slow.runtime.appDestroyed(slow.appId)
    } finally {
      await slow.close()
    }
    assert.deepEqual(fake.invalid, [])
  })

  it("a Deployment tug did not make is never changed; the refusal is said once in the app's log, not at every converge", async () => {
    const api = new KubeApi(fake.kubeConfig())
    await api.ensureNamespace(buildNamespace('fx-foreign', 'foreign'))
    const labels = {app: 'theirs'}
    await api.createDeployment('fx-foreign', {metadata: {name: 'web', labels}, spec: {replicas: 0, selector: {matchLabels: labels}, template: {metadata: {labels}, spec: {containers: [{name: 'x', image: 'nginx'}]}}}})
    const mark = fake.requests.length
    const foreign = secondRuntime('foreign', 'fx-', {reconcileIntervalMs: 100})
    try {
      await foreign.runtime.ready
      const refused = (l: string) => l.startsWith('tug[api]: Error: the Kubernetes API refused a change: a Deployment web exists in fx-foreign that tug did not make')
      await waitFor(() => foreign.lines.some(refused), {timeoutMs: WAIT_MS, what: () => `the refusal (${foreign.lines.join(' | ')})`})
      // Several periodic converges later, still one line.
      const creates = () => fake.requests.slice(mark).filter((r) => r.method === 'POST' && r.path === '/apis/apps/v1/namespaces/fx-foreign/deployments').length
      await waitFor(() => creates() >= 4, {timeoutMs: WAIT_MS, what: 'four converges'})
      assert.equal(foreign.lines.filter(refused).length, 1, foreign.lines.join('\n'))
      const touched = fake.requests.slice(mark).filter((r) => (r.method === 'PATCH' || r.method === 'PUT') && r.path.startsWith('/apis/apps/v1/namespaces/fx-foreign/deployments/web'))
      assert.deepEqual(touched, [])
      await foreign.runtime.appDestroyed(foreign.appId)
    } finally {
      await foreign.close()
    }
    assert.deepEqual(fake.invalid, [])
  })

  it("a pod watch that closes fails its one-offs' pod waits at once (nothing waits two minutes, no timer left)", async () => {
    const watch = new AppWatch({kc: fake.kubeConfig(), api: new KubeApi(fake.kubeConfig()), namespace: NS, appId, store, logs: {write: () => {}}, bootTimeoutMs: 60_000, event: () => {}, now: Date.now, endOneOff: () => {}, stopRequested: () => false, onError: () => {}})
    await watch.started
    const waiting = watch.podOf('no-such-dyno')
    const started = Date.now()
    await watch.close()
    await assert.rejects(waiting, /shutting down/)
    assert.ok(Date.now() - started < 10_000)
  })

  it('slug tokens: unknown ones lead nowhere, and destroying the app revokes them and deletes its namespace', async () => {
    assert.equal(runtime.slug('x'.repeat(43)), undefined)
    const deployment = fake.get('Deployment', NS, 'web') as {spec: {template: {spec: {initContainers: Array<{env: Array<{name: string; value: string}>}>}}}}
    const url = deployment.spec.template.spec.initContainers[0]?.env.find((e) => e.name === 'TUG_SLUG_URL')?.value ?? ''
    const token = url.slice(url.lastIndexOf('/') + 1)
    const [tokenApp, tokenRelease, mac] = token.split('.')
    assert.equal(tokenApp, appId)
    assert.equal(Buffer.from(mac ?? '', 'base64url').length, 32)
    assert.ok(runtime.slug(token))
    // A forged mac (one bit off), another release's id under this mac, a traversal: nothing.
    const flipped = Buffer.from(mac ?? '', 'base64url')
    flipped[0] = (flipped[0] ?? 0) ^ 1
    for (const forged of [`${tokenApp}.${tokenRelease}.${flipped.toString('base64url')}`, `${tokenApp}.${randomBytes(8).toString('hex')}.${mac}`, `${tokenApp}.${tokenRelease}.${mac}.x`, `../${tokenRelease}.${mac}`, '']) {
      assert.equal(runtime.slug(forged), undefined, forged)
    }
    // Recomputed, not remembered: a control plane restarted with the same key honours it.
    const again = new SlugTokens(store, slugKey)
    assert.ok(again.resolve(token))
    await runtime.appDestroyed(appId)
    assert.equal(runtime.slug(token), undefined)
    await waitFor(() => fake.get('Namespace', undefined, NS) === undefined, {timeoutMs: WAIT_MS, what: 'the namespace deleted'})
    assert.deepEqual(fake.invalid, [])
    assert.deepEqual(lines.filter((l) => l.startsWith('error:')), [])
  })

  it('the slug key file is made 0600, and one made looser is tightened', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tug-slug-key-'))
    try {
      const key = loadSlugKey(dir)
      assert.equal(statSync(join(dir, 'kubernetes-slug-key')).mode & 0o777, 0o600)
      chmodSync(join(dir, 'kubernetes-slug-key'), 0o644)
      assert.deepEqual(loadSlugKey(dir), key, 'the same key')
      assert.equal(statSync(join(dir, 'kubernetes-slug-key')).mode & 0o777, 0o600)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
