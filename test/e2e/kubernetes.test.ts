// The Kubernetes backend end to end (issue 18): the REAL `tug server --backend kubernetes` process
// and the real `tug` binary, against the fake API server (test/helpers/kubernetes), whose kubelet
// runs each pod's containers as local processes and fetches each pod's slug from the control
// plane's capability URL. With KUBECONFIG set (`npm run test:k8s`), the same scenarios run against
// that cluster instead, the checks that read the fake's own records (its requests, its schema
// failures) left out; pods must then reach this machine: set TUG_K8S_PORT (the API's port, listened
// on 0.0.0.0) and TUG_K8S_SLUG_URL_BASE (http://<this machine's address as pods see it>:<port>).
// That cannot run here: there is no cluster on the project's machines.
//
// Scenarios: deploy a Procfile app; scale up and down (`ps:scale web=5` from 3 is ONE scale
// request and no Deployment update); a crash shown and restarted; a one-off's exit code; `logs
// --tail` across a pod replaced; the release phase gating a release; every object valid.
import assert from 'node:assert/strict'
import {spawn, type ChildProcessByStdio} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Readable} from 'node:stream'

import type {Dyno, Release} from '../../src/shared/api-types.js'
import {apiCall, BIN, cleanEnv, ROOT, startControlPlane, type ControlPlane} from '../helpers/control-plane.js'
import {startFakeKubernetes, type FakeKubernetes} from '../helpers/kubernetes/fake-api-server.js'
import {tugOnPty} from '../helpers/pty.js'
import {getThroughRouter, routerPortOf} from '../helpers/router-client.js'
import {waitFor, withDeadline} from '../helpers/wait-for.js'

const APP = 'kube'
const POD_NAME = /^web-[a-z0-9]{6,10}-[a-z0-9]{5}$/
/** Generous: each pod is a node process started by the fake kubelet on a loaded 2-core machine. */
const CONVERGE_MS = 90_000
const realCluster = process.env.KUBECONFIG !== undefined && process.env.KUBECONFIG !== ''

const SERVER_JS = `
const http = require('http')
const server = http.createServer((req, res) => res.end('hello from ' + process.env.DYNO + '\\n'))
server.listen(Number(process.env.PORT), () => console.log('listening as ' + process.env.DYNO + ' on ' + process.env.PORT))
process.on('SIGTERM', () => { console.log('bye from ' + process.env.DYNO); process.exit(0) })
`

/** For a real cluster: the API on every address, at a port pods are told through --slug-url-base. */
function realClusterArgs(): {args: string[]; port?: number} {
  const port = Number(process.env.TUG_K8S_PORT)
  const base = process.env.TUG_K8S_SLUG_URL_BASE
  if (!Number.isInteger(port) || port <= 0 || !base) {
    throw new Error('Against a real cluster, set TUG_K8S_PORT (the port the control plane listens on) and TUG_K8S_SLUG_URL_BASE (http://ADDRESS:PORT as pods reach this machine).')
  }
  return {args: ['--host', '0.0.0.0', '--slug-url-base', base], port}
}

describe('e2e: tug server --backend kubernetes', function () {
  this.timeout(600_000)
  let fake: FakeKubernetes | undefined
  let plane: ControlPlane
  let code: string
  const tails: Array<ChildProcessByStdio<null, Readable, Readable>> = []

  const api = <T>(method: string, path: string, body?: unknown): Promise<T> => apiCall<T>(plane, method, path, body)
  const dynos = (): Promise<Dyno[]> => api<Dyno[]>('GET', `/apps/${APP}/dynos`)
  const tug = async (args: string[], expectCode = 0): Promise<{stdout: string; stderr: string}> => {
    const result = await plane.run([...args, '-a', APP], {timeoutMs: 180_000})
    assert.equal(result.code, expectCode, `tug ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`)
    return result
  }
  const typeUp = (type: string, count: number): Promise<Dyno[]> => {
    let seen = ''
    return waitFor(
      async () => {
        const all = (await dynos()).filter((d) => d.type === type)
        seen = all.map((d) => `${d.name}:${d.state}`).join(' ')
        return all.length === count && all.every((d) => d.state === 'up') ? all : undefined
      },
      {timeoutMs: CONVERGE_MS, intervalMs: 200, what: () => `${count} ${type} dynos up (seen: ${seen || 'none'})`},
    )
  }

  before(async function () {
    this.timeout(180_000)
    const kubeconfig = realCluster ? (process.env.KUBECONFIG as string) : (fake = await startFakeKubernetes()).kubeconfigPath
    // Pods reach the control plane on the loopback of this machine (the fake's kubelet runs here).
    const cluster = realCluster ? realClusterArgs() : {args: []}
    plane = await startControlPlane({
      args: ['--backend', 'kubernetes', '--kubeconfig', kubeconfig, '--namespace-prefix', 'e2e-', ...cluster.args],
      env: {TUG_STOP_GRACE_MS: '2000', TUG_ROUTER_PORT: '0', TUG_RENDEZVOUS_PORT: '0'},
      ...(cluster.port === undefined ? {} : {port: cluster.port}),
    })
    code = mkdtempSync(join(tmpdir(), 'tug-e2e-k8s-'))
    writeFileSync(join(code, 'server.js'), SERVER_JS)
    writeFileSync(join(code, 'Procfile'), 'web: node server.js\ncrasher: echo about to crash; exit 3\nrelease: echo migrated\n')
    assert.equal((await plane.run(['apps:create', APP, '--no-remote'])).code, 0)
  })

  after(async function () {
    this.timeout(120_000)
    for (const tail of tails) tail.kill('SIGKILL')
    if (plane) await plane.close()
    if (code) rmSync(code, {recursive: true, force: true})
    await fake?.close()
  })

  it('deploys a Procfile app: a web pod runs the release, named by its pod', async () => {
    const deployed = await tug(['deploy', code])
    assert.match(deployed.stdout + deployed.stderr, /migrated/, 'the release phase ran and its output was shown')
    const [web] = await typeUp('web', 1)
    assert.match(web?.name ?? '', POD_NAME)
    // The router sends the app's traffic to its ready pods, read from EndpointSlices.
    const routerPort = routerPortOf(plane)
    let last = ''
    const body = await waitFor(
      async () => {
        const response = await getThroughRouter(routerPort, `${APP}.localhost`)
        last = `${response.status} ${response.body}`
        return response.status === 200 ? response.body : undefined
      },
      {timeoutMs: CONVERGE_MS, intervalMs: 200, what: () => `a 200 from the web pod through the router (last: ${last})`},
    )
    assert.equal(body, `hello from ${web?.name}\n`)
    if (fake) {
      const namespace = fake.get('Namespace', undefined, `e2e-${APP}`)
      assert.ok(namespace, 'a namespace per app, with the prefix')
      const deployment = fake.get('Deployment', `e2e-${APP}`, 'web') as {spec: {template: {spec: {containers: Array<{resources: unknown}>}}}} | undefined
      assert.ok(deployment?.spec.template.spec.containers[0]?.resources, 'resources from the dyno size')
      assert.ok(fake.get('Secret', `e2e-${APP}`, 'config-v2'), 'the release config in its own Secret')
    }
  })

  it('scales up and down; web=5 from 3 is one scale request and no Deployment update', async () => {
    await tug(['ps:scale', 'web=3'])
    await typeUp('web', 3)
    const mark = fake?.requests.length ?? 0
    await tug(['ps:scale', 'web=5'])
    const five = await typeUp('web', 5)
    assert.ok(five.every((d) => POD_NAME.test(d.name)))
    if (fake) {
      const sent = fake.requests.slice(mark).filter((r) => r.method !== 'GET' && r.path.includes('/deployments/'))
      assert.deepEqual(
        sent.map((r) => `${r.method} ${r.path}`),
        [`PATCH /apis/apps/v1/namespaces/e2e-${APP}/deployments/web/scale`],
        'one scale request, no update of the Deployment (so no pod is rolled)',
      )
    }
    await tug(['ps:scale', 'web=1'])
    await typeUp('web', 1)
  })

  it('shows a crash (crashed in ps, the exit in the log) and restarts it', async () => {
    await tug(['ps:scale', 'crasher=1'])
    const crashed = await waitFor(
      async () => (await dynos()).find((d) => d.type === 'crasher' && d.state === 'crashed'),
      {timeoutMs: CONVERGE_MS, intervalMs: 200, what: 'the crasher dyno crashed'},
    )
    const log = await waitFor(
      async () => {
        const {stdout} = await tug(['logs', '-n', '500', '--dyno', 'crasher'])
        return /Process exited with status 3/.test(stdout) && /to crashed/.test(stdout) && /about to crash/.test(stdout) ? stdout : undefined
      },
      {timeoutMs: CONVERGE_MS, intervalMs: 500, what: "the crasher's output, its exit status and the crash in the log"},
    )
    assert.match(log, new RegExp(`app\\[${crashed.name}\\]: about to crash`))
    const restarted = await waitFor(
      async () => {
        const found = (await dynos()).find((d) => d.name === crashed.name) as (Dyno & {restart_count?: number}) | undefined
        return found && (found.restart_count ?? 0) >= 2 ? found : undefined
      },
      {timeoutMs: CONVERGE_MS, intervalMs: 300, what: 'the crashed dyno restarted by its Deployment (restart_count >= 2)'},
    )
    assert.equal(restarted.type, 'crasher')
    await tug(['ps:scale', 'crasher=0'])
  })

  it("a one-off's exit code is tug run's", async () => {
    const result = await plane.run(['run', '-a', APP, '--', 'echo from the one-off; exit 3'], {timeoutMs: 180_000})
    assert.equal(result.code, 3, `${result.stdout}\n${result.stderr}`)
    assert.match(result.stdout, /from the one-off/)
    const piped = await plane.run(['run', '-a', APP, '--no-tty', '--', 'wc -l'], {input: 'a\nb\nc\n', timeoutMs: 180_000})
    assert.equal(piped.code, 0, piped.stderr)
    assert.equal(piped.stdout.trim(), '3', 'stdin reached the pod, and its end too')
    const detached = await plane.run(['run:detached', '-a', APP, '--', 'exit 0'], {timeoutMs: 60_000})
    assert.equal(detached.code, 0, detached.stderr)
  })

  it('tug run under a terminal: the pod runs with a tty of the client\'s size, keys reach it, its status is the exit code', async () => {
    const term = tugOnPty(['run', '-a', APP, '--', 'stty size; read -r line; echo "got:$line"; exit 7'], {
      cols: 100,
      rows: 30,
      env: {HOME: plane.home, TUG_API_URL: plane.url, TUG_API_KEY: plane.token},
    })
    try {
      await waitFor(() => /30 100/.test(term.output()), {timeoutMs: CONVERGE_MS, what: () => `the terminal's size in:\n${term.output()}`})
      term.write('hello\r')
      const {exitCode} = await withDeadline(term.exited, CONVERGE_MS, 'the CLI to exit')
      assert.match(term.output(), /got:hello/)
      assert.equal(exitCode, 7, term.output())
    } finally {
      term.kill('SIGKILL')
    }
  })

  it('logs --tail follows across a pod replaced (ps:stop by the pod name)', async () => {
    const tail = spawn(process.execPath, [BIN, 'logs', '--tail', '-a', APP], {
      cwd: ROOT,
      env: cleanEnv({HOME: plane.home, TUG_API_URL: plane.url, TUG_API_KEY: plane.token}),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    tails.push(tail)
    let output = ''
    tail.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    const [old] = await typeUp('web', 1)
    const oldName = old?.name ?? ''
    await waitFor(() => output.includes(`listening as ${oldName}`), {timeoutMs: CONVERGE_MS, what: () => `the old pod's line in the tail:\n${output}`})
    await tug(['ps:stop', oldName])
    const replaced = await waitFor(
      async () => (await dynos()).find((d) => d.type === 'web' && d.name !== oldName && d.state === 'up'),
      {timeoutMs: CONVERGE_MS, intervalMs: 200, what: 'a new web pod up'},
    )
    await waitFor(() => output.includes(`listening as ${replaced.name}`), {timeoutMs: CONVERGE_MS, what: () => `the new pod's line in the same tail:\n${output}`})
    assert.match(output, new RegExp(`bye from ${oldName}`), 'the old pod ended with SIGTERM, its last line followed')
    tail.kill('SIGTERM')
  })

  it('the release phase gates a release: a failed one does not become current and the pods stay', async () => {
    const before = await dynos()
    writeFileSync(join(code, 'Procfile'), 'web: node server.js\nrelease: echo broken; exit 4\n')
    const failed = await plane.run(['deploy', code, '-a', APP], {timeoutMs: 180_000})
    assert.equal(failed.code, 1, `${failed.stdout}\n${failed.stderr}`)
    const releases = await api<Release[]>('GET', `/apps/${APP}/releases`)
    const last = releases[releases.length - 1]
    assert.equal(last?.status, 'failed')
    assert.equal(releases.find((r) => r.current)?.version, 2)
    const after = (await dynos()).filter((d) => d.type === 'web').map((d) => d.name)
    assert.deepEqual(after, before.filter((d) => d.type === 'web').map((d) => d.name), 'no pod rolled for a failed release')
  })

  it('every object tug sent is valid, and the namespace and the slug URLs go with the app', async () => {
    let slugUrl: string | undefined
    if (fake) {
      assert.deepEqual(fake.invalid, [])
      const deployment = fake.get('Deployment', `e2e-${APP}`, 'web') as {spec: {template: {spec: {initContainers: Array<{env: Array<{name: string; value: string}>}>}}}}
      slugUrl = deployment.spec.template.spec.initContainers[0]?.env.find((e) => e.name === 'TUG_SLUG_URL')?.value
      // <app id>.<release id>.<43 base64url chars of HMAC>
      assert.match(slugUrl ?? '', new RegExp(`^${plane.url}/slugs/[A-Za-z0-9-]+\\.[A-Za-z0-9-]+\\.[A-Za-z0-9_-]{43}$`))
      const slug = await fetch(slugUrl ?? '')
      assert.equal(slug.status, 200, 'a capability URL: no credentials needed')
      assert.equal(slug.headers.get('content-type'), 'application/gzip')
      await slug.arrayBuffer()
    }
    const guesses = [`${plane.url}/slugs/${'A'.repeat(43)}`]
    // The real ids with a forged mac, and a path that tries to climb out.
    if (slugUrl) guesses.push(slugUrl.replace(/[A-Za-z0-9_-]{43}$/, 'A'.repeat(43)), `${plane.url}/slugs/..%2F..%2Fetc%2Fpasswd`)
    for (const url of guesses) {
      const guessed = await fetch(url)
      assert.equal(guessed.status, 404, url)
      await guessed.arrayBuffer()
    }
    // No listing: the bare prefix is refused (the API's 400 for a missing token).
    const listing = await fetch(`${plane.url}/slugs/`)
    assert.ok(listing.status >= 400 && listing.status < 500, `GET /slugs/ answered ${listing.status}`)
    await listing.arrayBuffer()
    assert.equal((await plane.run(['apps:destroy', APP, '--confirm', APP])).code, 0)
    if (slugUrl) {
      const revoked = await fetch(slugUrl)
      assert.equal(revoked.status, 404, 'revoked with the app')
      await revoked.arrayBuffer()
    }
    if (fake) {
      const current = fake
      await waitFor(() => current.get('Namespace', undefined, `e2e-${APP}`) === undefined, {timeoutMs: CONVERGE_MS, what: 'the namespace deleted'})
      assert.deepEqual(current.invalid, [])
    }
  })
})

describe('e2e: tug server --backend kubernetes, bad flags', function () {
  this.timeout(120_000)
  const server = async (args: string[]): Promise<{code: number | null; stderr: string}> => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tug-e2e-k8s-flags-'))
    try {
      const child = spawn(process.execPath, [BIN, 'server', '--port', '0', '--router-port', '0', '--rendezvous-port', '0', '--data-dir', dataDir, ...args], {cwd: ROOT, env: cleanEnv({KUBERNETES_SERVICE_HOST: undefined}), stdio: ['ignore', 'pipe', 'pipe']})
      let stderr = ''
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
      child.stdout.resume()
      const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)))
      return {code, stderr}
    } finally {
      rmSync(dataDir, {recursive: true, force: true})
    }
  }

  it('refuses Kubernetes flags without --backend kubernetes', async () => {
    const result = await server(['--kubeconfig', '/nonexistent'])
    assert.equal(result.code, 2, result.stderr)
    assert.match(result.stderr, /--kubeconfig only apply to --backend kubernetes/)
  })

  it('says when the API server cannot be reached, or when no cluster config is given outside a cluster', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tug-e2e-kubeconfig-'))
    try {
      const path = join(dir, 'kubeconfig')
      writeFileSync(path, ['apiVersion: v1', 'kind: Config', 'current-context: gone', 'clusters: [{name: gone, cluster: {server: "http://127.0.0.1:9"}}]', 'users: [{name: u, user: {token: t}}]', 'contexts: [{name: gone, context: {cluster: gone, user: u}}]', ''].join('\n'))
      const unreachable = await server(['--backend', 'kubernetes', '--kubeconfig', path])
      assert.equal(unreachable.code, 1, unreachable.stderr)
      assert.match(unreachable.stderr, /Cannot reach the Kubernetes API server at http:\/\/127\.0\.0\.1:9/)
      const outside = await server(['--backend', 'kubernetes'])
      assert.equal(outside.code, 1, outside.stderr)
      assert.match(outside.stderr, /Not running inside a Kubernetes cluster.*--kubeconfig FILE/)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
