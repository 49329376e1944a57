// bench/api: requests per second and latency of the formation endpoints on a real `tug server`.
//
//   bench/api [--concurrency 16] [--duration 5] [--warmup 0.5]
//
// Builds dist/ if the sources are newer, starts `node bin/run.js server --port 0` on a temp data
// directory (a separate process, as in real use), deploys a one-line Procfile so that `web`
// exists, then drives each endpoint with a fixed number of requests in flight for a fixed time and
// prints one line per endpoint. GET runs twice, with the admin token and with a team member's
// token (every access check taken, issue 17), and the cost of the checks is printed. PATCH alternates web between 0 and 1, so each one is a real change
// (a release-free formation write, committed before the answer). It stops the server and removes
// its data directory when done, also on Ctrl-C.
import {execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'
import {create as createTar} from 'tar'
import {Agent, request} from 'undici'

const root = fileURLToPath(new URL('..', import.meta.url))
const ACCEPT = 'application/vnd.heroku+json; version=3'

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`)
  if (index === -1) return fallback
  const value = Number(process.argv[index + 1])
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`bench/api: --${name} needs a positive number`)
    process.exit(2)
  }
  return value
}

const concurrency = option('concurrency', 16)
const duration = option('duration', 5)
const warmup = option('warmup', 0.5)

execFileSync(process.execPath, [join(root, 'scripts', 'build.js'), '--if-needed'], {cwd: root, stdio: ['ignore', 'ignore', 'inherit']})

const temp = mkdtempSync(join(tmpdir(), 'tug-bench-'))
const dataDir = join(temp, 'data')
const server = spawn(process.execPath, [join(root, 'bin', 'run.js'), 'server', '--port', '0', '--data-dir', dataDir], {
  cwd: root,
  env: {...process.env, HOME: temp, TUG_HOME: dataDir},
  stdio: ['ignore', 'pipe', 'pipe'],
  detached: true,
})
let serverOutput = ''
server.stdout.setEncoding('utf8').on('data', (chunk) => (serverOutput += chunk))
server.stderr.setEncoding('utf8').on('data', (chunk) => (serverOutput += chunk))
const serverExited = new Promise((resolve) => server.on('exit', resolve))

let cleaned = false
async function cleanup() {
  if (cleaned) return
  cleaned = true
  if (server.exitCode === null && server.signalCode === null) {
    try {
      process.kill(-server.pid, 'SIGTERM')
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-server.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }, 10_000)
    await serverExited
    clearTimeout(timer)
  }
  rmSync(temp, {recursive: true, force: true})
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    void cleanup().then(() => process.exit(130))
  })
}

async function main() {
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within 20 s:\n${serverOutput}`)), 20_000)
    server.stdout.on('data', () => {
      const match = /tug server listening on (http:\/\/\S+)/.exec(serverOutput)
      if (match) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    server.on('exit', (code) => reject(new Error(`the server exited (${code}):\n${serverOutput}`)))
  })
  const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()
  const dispatcher = new Agent({connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000})
  const headers = {accept: ACCEPT, authorization: `Bearer ${token}`, 'content-type': 'application/json'}

  async function call(method, path, body, as = headers) {
    const response = await request(url + path, {method, headers: as, body: body === undefined ? undefined : JSON.stringify(body), dispatcher})
    const text = await response.body.text()
    if (response.statusCode >= 300) throw new Error(`${method} ${path}: ${response.statusCode} ${text}`)
    return text === '' ? undefined : JSON.parse(text)
  }

  // A team app and a member of its team (issue 17): the member's requests take every access check
  // (its collaboration and team role are looked up), the admin's are settled by the admin flag.
  await call('POST', '/teams', {name: 'bench-team'})
  const invitation = await call('POST', '/users/invitations', {email: 'member@bench.test'})
  await call('POST', '/users/invitations/accept', {code: invitation.code, password: 'bench member password'}, {accept: ACCEPT, 'content-type': 'application/json'})
  await call('PUT', '/teams/bench-team/members', {user: 'member@bench.test', role: 'member'})
  const basic = Buffer.from('member@bench.test:bench member password').toString('base64')
  const memberToken = (await call('POST', '/oauth/authorizations', {description: 'bench', scope: ['write']}, {...headers, authorization: `Basic ${basic}`})).access_token.token
  const member = {...headers, authorization: `Bearer ${memberToken}`}

  // An app whose release has a `web` process type, through the real sources and builds API.
  await call('POST', '/apps', {name: 'bench', team: 'bench-team'})
  writeFileSync(join(temp, 'Procfile'), 'web: sleep 3600\n')
  const chunks = []
  for await (const chunk of createTar({gzip: true, cwd: temp, portable: true}, ['Procfile'])) chunks.push(chunk)
  const source = await call('POST', '/apps/bench/sources')
  const put = await request(source.source_blob.put_url, {method: 'PUT', body: Buffer.concat(chunks), dispatcher})
  await put.body.text()
  let build = await call('POST', '/apps/bench/builds', {source_blob: {url: source.source_blob.get_url}})
  const buildDeadline = Date.now() + 10_000
  while (build.status === 'pending' && Date.now() < buildDeadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    build = await call('GET', `/apps/bench/builds/${build.id}`)
  }
  if (build.status !== 'succeeded') throw new Error(`the setup build did not succeed: ${build.status}`)

  let toggle = 0
  const endpoints = [
    {label: 'GET   /apps/{app}/formation', run: () => call('GET', '/apps/bench/formation')},
    {label: 'GET   /apps/{app}/formation (team member)', run: () => call('GET', '/apps/bench/formation', undefined, member)},
    {
      label: 'PATCH /apps/{app}/formation',
      run: () => call('PATCH', '/apps/bench/formation', {updates: [{type: 'web', quantity: toggle++ % 2}]}),
    },
  ]

  for (const endpoint of endpoints) {
    await drive(endpoint.run, warmup * 1000)
    const {latencies, errors, elapsed} = await drive(endpoint.run, duration * 1000)
    latencies.sort((a, b) => a - b)
    const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN
    console.log(
      `${endpoint.label}  c=${concurrency} ${(elapsed / 1000).toFixed(1)}s  ` +
        `${latencies.length} req  ${(latencies.length / (elapsed / 1000)).toFixed(0)} req/s  ` +
        `p50 ${pick(0.5).toFixed(2)} ms  p99 ${pick(0.99).toFixed(2)} ms  errors ${errors}`,
    )
  }
  // Issue 17's bound: the member's checks cost at most 10 % against the admin's. Measured again in
  // alternating slices, so that a machine busy with something else weighs on both alike.
  const slices = 10
  const totals = [0, 0]
  const times = [0, 0]
  for (let i = 0; i < slices * 2; i++) {
    const which = i % 2
    const {latencies, elapsed} = await drive(endpoints[which].run, (duration * 1000) / slices)
    totals[which] += latencies.length
    times[which] += elapsed
  }
  const [admin, checked] = totals.map((n, i) => n / (times[i] / 1000))
  console.log(
    `access checks, alternating slices: admin token ${admin.toFixed(0)} req/s, team member ${checked.toFixed(0)} req/s: ` +
      `the member's checks cost ${((1 - checked / admin) * 100).toFixed(1)} %`,
  )
  await dispatcher.close()
}

/** `concurrency` loops, each one request at a time, until `ms` have passed. */
async function drive(run, ms) {
  const latencies = []
  let errors = 0
  const start = performance.now()
  const end = start + ms
  await Promise.all(
    Array.from({length: concurrency}, async () => {
      while (performance.now() < end) {
        const t0 = performance.now()
        try {
          await run()
          latencies.push(performance.now() - t0)
        } catch (error) {
          errors++
          if (errors === 1) console.error(`bench/api: ${error.message}`)
        }
      }
    }),
  )
  return {latencies, errors, elapsed: performance.now() - start}
}

try {
  await main()
} catch (error) {
  console.error(`bench/api: ${error.message}`)
  process.exitCode = 1
} finally {
  await cleanup()
}
