// The Kubernetes backend's reconciler against the fake API server (issue 18's done-when): a real
// `tug server --backend kubernetes --kubeconfig <fake>` and the real CLI, on an app whose web
// process is a small node HTTP server (each pod one local process run by the fake's kubelet).
//
//   node bench/k8s.mjs [--dynos 50] [--trials 3]
//
// Per trial, from web=1:
//   1. `tug ps:scale web=N`: from the CLI's start to the `scale` PATCH arriving at the fake (the
//      fake's own record of the request), and, separately, from the API's PATCH /formation sent
//      by this script to that request (the control plane alone, no CLI start-up);
//   2. from the last pod event of the scale-up (this script watches the namespace's pods itself;
//      the event in which the N-th pod became Ready) to the API showing N web dynos up (polled
//      every 10 ms), and what one `tug ps` then takes and shows.
// Then back to web=1. Medians over --trials, each trial's figures on stderr. Builds dist/ first
// when needed; removes everything it made.
import {execFile, execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync} from 'node:fs'
import {loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {Watch} from '@kubernetes/client-node'
import {register} from 'tsx/esm/api'

const root = fileURLToPath(new URL('..', import.meta.url))
const bin = join(root, 'bin', 'run.js')
const args = process.argv.slice(2)
const option = (name, fallback) => {
  const at = args.indexOf(name)
  const value = at === -1 ? NaN : Number(args[at + 1])
  return Number.isInteger(value) && value > 0 ? value : fallback
}
const DYNOS = option('--dynos', 50)
const TRIALS = option('--trials', 3)
const APP = 'bench'
const NAMESPACE = `tug-${APP}`
const ACCEPT = 'application/vnd.heroku+json; version=3'

execFileSync(process.execPath, [join(root, 'scripts', 'build.js'), '--if-needed'], {stdio: 'inherit'})
register()
const {startFakeKubernetes} = await import('../test/helpers/kubernetes/fake-api-server.ts')

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const fake = await startFakeKubernetes()
const temp = mkdtempSync(join(tmpdir(), 'tug-bench-k8s-'))
const [dataDir, home, code] = ['data', 'home', 'code'].map((name) => join(temp, name))
for (const dir of [dataDir, home, code]) mkdirSync(dir, {recursive: true})
writeFileSync(join(code, 'Procfile'), 'web: node server.js\n')
writeFileSync(join(code, 'server.js'), "require('http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT))\n")
const server = spawn(process.execPath, [bin, 'server', '--port', '0', '--rendezvous-port', '0', '--router-port', '0', '--data-dir', dataDir, '--backend', 'kubernetes', '--kubeconfig', fake.kubeconfigPath], {
  cwd: root,
  env: {...process.env, HOME: home, NO_COLOR: '1'},
  stdio: ['ignore', 'pipe', 'pipe'],
  detached: true,
})
let watchRequest
const cleanup = async () => {
  watchRequest?.abort()
  try {
    process.kill(-server.pid, 'SIGTERM')
  } catch {
    // already gone
  }
  await new Promise((resolve) => (server.exitCode !== null || server.signalCode !== null ? resolve() : server.once('exit', resolve)))
  await fake.close()
  rmSync(temp, {recursive: true, force: true})
}

try {
  let output = ''
  server.stdout.setEncoding('utf8').on('data', (chunk) => (output += chunk))
  server.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk))
  for (const deadline = Date.now() + 60_000; !/Use it with/.test(output); await sleep(20)) {
    if (server.exitCode !== null || Date.now() > deadline) throw new Error(`tug server did not start:\n${output}`)
  }
  const url = /listening on (\S+)/.exec(output)[1]
  const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()
  const env = {...process.env, HOME: home, NO_COLOR: '1', TUG_API_URL: url, TUG_API_KEY: token}
  // Never spawnSync: the fake API server runs in this process and must keep answering.
  const tug = (cliArgs) =>
    new Promise((resolve, reject) => {
      execFile(process.execPath, [bin, ...cliArgs], {cwd: root, env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024}, (error, stdout, stderr) => {
        if (error) reject(new Error(`tug ${cliArgs.join(' ')} failed:\n${stderr}`))
        else resolve(stdout)
      })
    })
  const api = async (method, path, body) => {
    const response = await fetch(url + path, {method, headers: {Accept: ACCEPT, Authorization: `Bearer ${token}`, 'Content-Type': 'application/json'}, body: body && JSON.stringify(body)})
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`)
    return response.json()
  }
  const webUp = async () => (await api('GET', `/apps/${APP}/dynos`)).filter((d) => d.type === 'web' && d.state === 'up').length
  const until = async (what, condition, timeoutMs = 300_000) => {
    for (const deadline = Date.now() + timeoutMs; !(await condition()); await sleep(10)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    }
    return Date.now()
  }
  process.stderr.write(`tug server --backend kubernetes on ${url}; deploying...\n`)
  await tug(['apps:create', APP, '--no-remote'])
  await tug(['deploy', code, '-a', APP])
  await until('web=1 up', async () => (await webUp()) === 1)

  // This script's own watch of the pods: when each became Ready.
  const ready = new Map()
  let lastReadyAt = 0
  watchRequest = await new Watch(fake.kubeConfig()).watch(`/api/v1/namespaces/${NAMESPACE}/pods`, {}, (phase, pod) => {
    const name = pod.metadata?.name
    const isReady = phase !== 'DELETED' && !pod.metadata?.deletionTimestamp && pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
    if (isReady && !ready.has(name)) {
      ready.set(name, Date.now())
      lastReadyAt = Date.now()
    } else if (!isReady) ready.delete(name)
  }, () => {})

  const scaleRequestAfter = (mark) => fake.requests.slice(mark).find((r) => r.method === 'PATCH' && r.path === `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/web/scale`)
  const results = {cli: [], api: [], visible: [], ps: []}
  for (let trial = 1; trial <= TRIALS; trial++) {
    // 1a. The CLI's ps:scale to the scale request.
    let mark = fake.requests.length
    const cliStart = Date.now()
    await tug(['ps:scale', `web=${DYNOS}`, '-a', APP])
    const cliRequest = scaleRequestAfter(mark)
    if (!cliRequest) throw new Error('no scale request after ps:scale')
    const cliMs = cliRequest.at - cliStart
    // 2. The last pod event to the API showing all up.
    await until(`${DYNOS} pods Ready (watch)`, () => ready.size >= DYNOS)
    const lastEvent = lastReadyAt
    const visibleAt = await until(`${DYNOS} web dynos up (API)`, async () => (await webUp()) === DYNOS)
    const psStart = Date.now()
    const ps = await tug(['ps', '-a', APP])
    const psMs = Date.now() - psStart
    const shownUp = ps.split('\n').filter((line) => /^web-\S+: up /.test(line)).length
    // A pod may crash right after it was up (the fake kubelet picks a free port per pod, which can race
    // under load): reported, not hidden.
    if (shownUp !== DYNOS) process.stderr.write(`note: tug ps showed ${shownUp} web dynos up, not ${DYNOS}:\n${ps.split('\n').filter((l) => !/: up /.test(l)).join('\n')}\n`)
    // Back to 1, then 1b: the API's PATCH /formation to the scale request, without the CLI.
    await tug(['ps:scale', 'web=1', '-a', APP])
    await until('web=1 up', async () => (await webUp()) === 1 && ready.size === 1)
    mark = fake.requests.length
    const apiStart = Date.now()
    await api('PATCH', `/apps/${APP}/formation`, {updates: [{type: 'web', quantity: DYNOS}]})
    await until('the scale request', () => scaleRequestAfter(mark) !== undefined, 30_000)
    const apiMs = scaleRequestAfter(mark).at - apiStart
    await tug(['ps:scale', 'web=1', '-a', APP])
    await until('web=1 up', async () => (await webUp()) === 1 && ready.size === 1)
    results.cli.push(cliMs)
    results.api.push(apiMs)
    results.visible.push(visibleAt - lastEvent)
    results.ps.push(psMs)
    process.stderr.write(`trial ${trial}: ps:scale -> scale request ${cliMs} ms; PATCH /formation -> scale request ${apiMs} ms; last pod Ready -> API all up ${visibleAt - lastEvent} ms; tug ps ${psMs} ms\n`)
  }
  const load = loadavg().map((v) => v.toFixed(2)).join(' ')
  console.log(`bench/k8s: ${DYNOS} web dynos against the fake API server, median of ${TRIALS} (load average ${load})`)
  const rows = [
    [`tug ps:scale web=${DYNOS} -> scale request at the API server`, `${median(results.cli)} ms (CLI start-up included)`],
    [`PATCH /apps/${APP}/formation -> scale request`, `${median(results.api)} ms (the control plane alone)`],
    [`last pod event (pod ${DYNOS} of ${DYNOS} Ready) -> API shows ${DYNOS} up`, `${median(results.visible)} ms`],
    [`then one tug ps showing all ${DYNOS} up`, `${median(results.ps)} ms`],
  ]
  const width = Math.max(...rows.map(([label]) => label.length)) + 2
  for (const [label, value] of rows) console.log(`  ${`${label}:`.padEnd(width)}${value}`)
  if (fake.invalid.length > 0) throw new Error(`the fake refused objects: ${JSON.stringify(fake.invalid)}`)
} finally {
  await cleanup()
}
