// Benchmark of the HTTP router (src/server/router): requests per second and p50/p99 latency
// through the router, through reference proxies, and directly to one backend, same client and
// concurrency, in one run, interleaved over several rounds (medians).
//
//   node bench/router [--seconds 5] [--concurrency 8] [--rounds 3] [--body 0] [--no-install] [--profile DIR] [--baseline DIR]
//
// `--baseline DIR`: a second router built from another checkout (DIR/dist, e.g. a worktree of an
// older commit with `npm run build` done), measured in the same interleaved rounds as `router-base`:
// old and new side by side, under the same load.
//
// Processes: this one (the load generator, undici with keep-alive), a backend like the demo
// app's web dyno, the router in front of it, and for reference a bare 10-line node:http proxy
// (no routing, header rewriting or log line), a TCP pipe (each client connection piped to its
// own backend connection: no HTTP at all, the floor for any proxy on node), nginx and HAProxy
// (one process each, keep-alive to the backend: what a proxy written in C does on the same
// machine and cores), and nginx doing the router's job (`nginx-job`: the router's headers both
// ways and a log line per request, bench/lib/proxy-reference.mjs). nginx and HAProxy are
// installed with apt-get when missing.
// Each also reports its CPU time per request, which other load on the machine disturbs far less
// than requests per second do. Builds dist/ first when needed.
import {execFileSync, fork, spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {connect} from 'node:net'
import {createServer} from 'node:http'
import {cpus, loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {freePort, nginxConfig} from './lib/proxy-reference.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const self = fileURLToPath(new URL('router.mjs', import.meta.url))
const role = process.env.TUG_BENCH_ROLE
const args = process.argv.slice(2)
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`)
  const value = index === -1 ? NaN : Number(args[index + 1])
  return Number.isFinite(value) ? value : fallback
}

if (role) {
  process.on('message', (message) => {
    if (message !== 'cpu') return
    const {user, system} = process.cpuUsage()
    process.send({cpu: {user, system}})
  })
}

if (role === 'backend') {
  const body = Buffer.alloc(Number(process.env.TUG_BENCH_BODY) || 0, 'x')
  const text = body.length > 0 ? body : Buffer.from('hello from web.1\n')
  const server = createServer((req, res) => {
    req.resume()
    res.writeHead(200, {'content-type': 'text/plain; charset=utf-8', 'content-length': text.length})
    res.end(text)
  })
  server.keepAliveTimeout = 60_000
  server.listen(0, '127.0.0.1', () => process.send({port: server.address().port}))
  process.on('disconnect', () => process.exit(0))
} else if (role === 'node-proxy') {
  const {Agent, request} = await import('node:http')
  const dynoPort = Number(process.env.TUG_BENCH_DYNO_PORT)
  const agent = new Agent({keepAlive: true})
  const server = createServer((req, res) => {
    const proxyReq = request({host: '127.0.0.1', port: dynoPort, method: req.method, path: req.url, headers: req.headers, agent}, (proxyRes) => {
      res.writeHead(proxyRes.statusCode, proxyRes.headers)
      proxyRes.pipe(res)
    })
    req.pipe(proxyReq)
  })
  server.listen(0, '127.0.0.1', () => process.send({port: server.address().port}))
  process.on('disconnect', () => process.exit(0))
} else if (role === 'tcp-pipe') {
  // The floor of any proxy written for node: each client connection piped to its own backend
  // connection, bytes as they come, no HTTP parsing at all.
  const {createServer: createTcpServer, connect: tcpConnect} = await import('node:net')
  const dynoPort = Number(process.env.TUG_BENCH_DYNO_PORT)
  const server = createTcpServer({noDelay: true}, (client) => {
    const upstream = tcpConnect({port: dynoPort, host: '127.0.0.1', noDelay: true})
    client.pipe(upstream).on('error', () => client.destroy())
    upstream.pipe(client).on('error', () => upstream.destroy())
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
  })
  server.listen(0, '127.0.0.1', () => process.send({port: server.address().port}))
  process.on('disconnect', () => process.exit(0))
} else if (role === 'router') {
  const dist = process.env.TUG_BENCH_ROUTER_DIST ?? join(root, 'dist')
  const {HttpRouter} = await import(pathToFileURL(join(dist, 'server', 'router', 'router.js')).href)
  const dynoPort = Number(process.env.TUG_BENCH_DYNO_PORT)
  let lines = 0
  const router = new HttpRouter({
    directory: {list: (name) => (name === 'bench' ? [{name: 'web.1', host: '127.0.0.1', port: dynoPort, state: 'up'}] : [])},
    resolveApp: (name) => (name === 'bench' ? {id: 'bench-id', name} : undefined),
    // The real wiring formats and hands over every line too; only the log router's work is left out.
    log: () => void lines++,
    host: '127.0.0.1',
    port: 0,
    // Under valgrind (bench/router-instructions) everything is 20-50x slower: the headers and
    // keep-alive timeouts would close the load generator's connections under it.
    ...(process.env.TUG_BENCH_PATIENT ? {connections: {headersTimeoutMs: 240_000, keepAliveTimeoutMs: 240_000}} : {}),
  })
  const {port} = await router.listen()
  // How many requests took the fast path (issue 19; a router without one says 0).
  process.on('message', (message) => {
    if (message === 'fast') process.send({fast: router.fastRequests ?? 0})
  })
  process.send({port})
  process.on('disconnect', () => void router.close().then(() => process.exit(0)))
} else {
  execFileSync(process.execPath, [join(root, 'scripts', 'build.js'), '--if-needed'], {stdio: 'inherit'})
  const {Pool} = await import('undici')
  const seconds = option('seconds', 5)
  const concurrency = option('concurrency', 8)
  const bodySize = option('body', 0)
  const rounds = Math.max(1, option('rounds', 3))
  const profileDir = args.includes('--profile') ? args[args.indexOf('--profile') + 1] : undefined
  const baselineDir = args.includes('--baseline') ? args[args.indexOf('--baseline') + 1] : undefined

  const start = (name, env) =>
    new Promise((resolve, reject) => {
      // `--profile DIR` writes the router's CPU profile there (node --cpu-prof; open it in Chrome's DevTools).
      const execArgv = name === 'router' && profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []
      const child = fork(self, [], {execArgv, env: {...process.env, TUG_BENCH_ROLE: name, ...env}, stdio: ['ignore', 'inherit', 'inherit', 'ipc']})
      child.once('message', (message) => resolve({child, port: message.port}))
      child.on('error', reject)
      child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)))
    })

  /** `concurrency` loops of back-to-back requests for `ms`; latencies in ms. */
  async function load(port, host, ms) {
    const pool = new Pool(`http://127.0.0.1:${port}`, {connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000})
    const latencies = []
    let errors = 0
    const until = performance.now() + ms
    const worker = async () => {
      while (performance.now() < until) {
        const began = performance.now()
        try {
          const {statusCode, body} = await pool.request({path: '/', method: 'GET', headers: {host}})
          await body.dump({limit: Infinity})
          if (statusCode !== 200) errors++
          else latencies.push(performance.now() - began)
        } catch {
          errors++
        }
      }
    }
    const began = performance.now()
    await Promise.all(Array.from({length: concurrency}, worker))
    const elapsed = (performance.now() - began) / 1000
    await pool.close()
    latencies.sort((a, b) => a - b)
    const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN
    return {rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), count: latencies.length, errors}
  }

  /** CPU time ({user, system}, µs) the child has used so far. */
  const cpuOf = (child) =>
    new Promise((resolve) => {
      const onMessage = (message) => {
        if (message?.cpu === undefined) return
        child.off('message', onMessage)
        resolve(message.cpu)
      }
      child.on('message', onMessage)
      child.send('cpu')
    })

  /**
   * `load`, with the CPU µs per request (user and system apart) of the proxy in front (if any), of
   * the backend and of the load generator (this process): what the proxy makes the others do (the
   * headers it adds, how it frames its answers) counts on two cores as much as its own time.
   */
  async function measure(port, host, ms, proxy) {
    const proxyCpu = () => (!proxy ? {user: 0, system: 0} : proxy.cpu ? proxy.cpu() : cpuOf(proxy.child))
    const before = await Promise.all([proxyCpu(), cpuOf(backend.child), process.cpuUsage()])
    const result = await load(port, host, ms)
    const after = await Promise.all([proxyCpu(), cpuOf(backend.child), process.cpuUsage()])
    const served = Math.max(1, result.count)
    const per = (i, kind) => (after[i][kind] - before[i][kind]) / served
    const cpu = {proxyUser: per(0, 'user'), proxySystem: per(0, 'system'), backendUser: per(1, 'user'), backendSystem: per(1, 'system'), clientUser: per(2, 'user'), clientSystem: per(2, 'system')}
    return {...result, ...cpu, proxyCpu: cpu.proxyUser + cpu.proxySystem, backendCpu: cpu.backendUser + cpu.backendSystem, totalCpu: Object.values(cpu).reduce((a, b) => a + b, 0)}
  }

  const PATH = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`
  const installed = (binary) => spawnSync('sh', ['-c', `command -v ${binary}`], {env: {...process.env, PATH}}).status === 0

  /**
   * The reference rows must be there: nginx and HAProxy are installed with apt-get when missing
   * (as root, or through sudo without a password); `--no-install` skips that.
   */
  function installReferences() {
    const missing = ['nginx', 'haproxy'].filter((binary) => !installed(binary))
    if (missing.length === 0 || args.includes('--no-install')) return
    if (!installed('apt-get')) return console.error(`router bench: ${missing.join(' and ')} missing and no apt-get to install them`)
    const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n']
    const packages = missing.map((binary) => (binary === 'nginx' ? 'nginx-light' : binary))
    console.error(`router bench: installing ${packages.join(' ')} (apt-get) for the reference rows`)
    const run = (command) => {
      const [file, ...rest] = [...sudo, ...command]
      return spawnSync(file, rest, {stdio: ['ignore', 'ignore', 'inherit'], env: {...process.env, PATH, DEBIAN_FRONTEND: 'noninteractive'}}).status === 0
    }
    const install = ['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...packages]
    if (!run(install) && !(run(['apt-get', 'update', '-q']) && run(install))) console.error('router bench: apt-get could not install them; the reference rows are left out')
  }

  /**
   * nginx, nginx doing the router's job (`nginx-job`: the same headers both ways and a log line per
   * request, see bench/lib/proxy-reference.mjs) or HAProxy in front of the backend, one process each;
   * undefined when not installed.
   */
  async function startExternal(kind, dynoPort) {
    if (!installed(kind === 'haproxy' ? 'haproxy' : 'nginx')) return undefined
    const dir = mkdtempSync(join(tmpdir(), `tug-bench-${kind}-`))
    const port = await freePort()
    let child
    if (kind === 'nginx' || kind === 'nginx-job') {
      child = spawn('nginx', nginxConfig(dir, port, dynoPort, {job: kind === 'nginx-job'}), {stdio: 'ignore', env: {...process.env, PATH}})
    } else {
      writeFileSync(
        join(dir, 'haproxy.cfg'),
        `global
  nbthread 1
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 30s
  option http-keep-alive
frontend web
  bind 127.0.0.1:${port}
  option forwardfor
  http-request set-header X-Request-Id %[uuid()]
  default_backend dynos
backend dynos
  balance leastconn
  http-reuse always
  server web1 127.0.0.1:${dynoPort}
`,
      )
      child = spawn('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], {stdio: 'ignore', env: {...process.env, PATH}})
    }
    const deadline = performance.now() + 10_000
    for (;;) {
      const open = await new Promise((resolve) => {
        const socket = connect(port, '127.0.0.1', () => socket.end(() => resolve(true))).on('error', () => resolve(false))
      })
      if (open) break
      if (performance.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL')
        rmSync(dir, {recursive: true, force: true})
        return undefined
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    // Its CPU time from /proc (clock ticks of 10 ms), as the forked roles report theirs over IPC.
    const cpu = () => {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ')
      return {user: Number(fields[11]) * 10_000, system: Number(fields[12]) * 10_000}
    }
    const stop = async () => {
      child.kill('SIGKILL')
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve))
      rmSync(dir, {recursive: true, force: true})
    }
    return {kind, port, child, cpu, stop}
  }

  installReferences()
  const backend = await start('backend', {TUG_BENCH_BODY: String(bodySize)})
  const router = await start('router', {TUG_BENCH_DYNO_PORT: String(backend.port)})
  const baseline = baselineDir ? await start('router-base', {TUG_BENCH_ROLE: 'router', TUG_BENCH_DYNO_PORT: String(backend.port), TUG_BENCH_ROUTER_DIST: join(baselineDir, 'dist')}) : undefined
  const nodeProxy = await start('node-proxy', {TUG_BENCH_DYNO_PORT: String(backend.port)})
  const tcpPipe = await start('tcp-pipe', {TUG_BENCH_DYNO_PORT: String(backend.port)})
  const externals = []
  try {
    for (const kind of ['nginx', 'nginx-job', 'haproxy']) {
      const external = await startExternal(kind, backend.port)
      if (external) externals.push(external)
    }
    const paths = [
      {name: 'direct', port: backend.port, host: `127.0.0.1:${backend.port}`},
      {name: 'router', port: router.port, host: `bench.localhost:${router.port}`, proxy: router},
      ...(baseline ? [{name: 'router-base', port: baseline.port, host: `bench.localhost:${baseline.port}`, proxy: baseline}] : []),
      {name: 'node-proxy', port: nodeProxy.port, host: `bench.localhost:${nodeProxy.port}`, proxy: nodeProxy},
      {name: 'tcp-pipe', port: tcpPipe.port, host: `bench.localhost:${tcpPipe.port}`, proxy: tcpPipe},
      ...externals.map((external) => ({name: external.kind, port: external.port, host: `bench.localhost:${external.port}`, proxy: external})),
    ]
    // Warm every path (JIT, connection pools), then measure them in turn, `rounds` times
    // interleaved, so that a change of load on the machine falls on every path alike.
    const warmed = new Map()
    for (const path of paths) warmed.set(path.name, (await load(path.port, path.host, 1000)).count)
    const results = new Map(paths.map((path) => [path.name, []]))
    for (let round = 0; round < rounds; round++) {
      for (const path of paths) results.get(path.name).push(await measure(path.port, path.host, seconds * 1000, path.proxy))
    }
    const median = (values) => {
      const sorted = [...values].sort((a, b) => a - b)
      const mid = Math.floor(sorted.length / 2)
      return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
    const summary = (name) => {
      const list = results.get(name)
      const pick = (key) => median(list.map((r) => r[key]))
      const cpu = Object.fromEntries(['proxyUser', 'proxySystem', 'backendUser', 'backendSystem', 'clientUser', 'clientSystem', 'totalCpu'].map((key) => [key, pick(key)]))
      return {rps: pick('rps'), p50: pick('p50'), p99: pick('p99'), proxyCpu: pick('proxyCpu'), backendCpu: pick('backendCpu'), ...cpu, count: list.reduce((n, r) => n + r.count, 0), errors: list.reduce((n, r) => n + r.errors, 0)}
    }
    const us = (value) => `${value.toFixed(0)} µs`
    const pct = (value) => `${(value * 100).toFixed(1)}%`
    const row = (name, r) =>
      `${name.padEnd(10)} ${r.rps.toFixed(0).padStart(8)} req/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms   cpu/req ${name === 'direct' ? '     -' : us(r.proxyCpu).padStart(6)}, backend ${us(r.backendCpu).padStart(6)}   (${r.count} requests, ${r.errors} errors)`
    console.log(`router bench: ${concurrency} concurrent keep-alive clients, ${seconds} s per path, ${rounds} interleaved rounds (medians), ${bodySize || 17}-byte responses`)
    console.log(`machine: ${cpus().length} cpus, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, node ${process.version}`)
    console.log('measures: the router alone in its own process (in-memory directory; log lines formatted, not stored), not the control plane around it')
    console.log('paths: node-proxy = a bare 10-line node:http proxy; tcp-pipe = each client connection piped to its own backend connection, no HTTP parsing (the floor for any proxy on node)')
    console.log("paths: nginx = nginx as a bare proxy (adds X-Forwarded-For, logs nothing); nginx-job = nginx doing the router's job (Request-Id, X-Forwarded-*, Via both ways, Keep-Alive, a log line per request)")
    for (const path of paths) console.log(row(path.name, summary(path.name)))
    // Where each path's CPU goes, per request (medians over the rounds): on two cores the sum bounds the throughput.
    const tenth = (value) => value.toFixed(1).padStart(5)
    console.log('cpu µs per request, user + system:  proxy           backend         load generator  all three')
    for (const path of paths) {
      const r = summary(path.name)
      const proxyPart = path.name === 'direct' ? '      -        ' : `${tenth(r.proxyUser)} + ${tenth(r.proxySystem)}`
      console.log(`cpu        ${path.name.padEnd(10)}               ${proxyPart}   ${tenth(r.backendUser)} + ${tenth(r.backendSystem)}   ${tenth(r.clientUser)} + ${tenth(r.clientSystem)}   ${tenth(r.totalCpu)}`)
    }
    const direct = summary('direct')
    const routed = summary('router')
    for (const path of paths.slice(1)) console.log(`reference  ${path.name.padEnd(10)} keeps ${pct(summary(path.name).rps / direct.rps)} of direct throughput`)
    if (externals.length === 0) console.log('reference  nginx and HAProxy are not installed and could not be (apt-get install nginx-light haproxy adds them)')
    const perRound = (name) => results.get('router').map((r, i) => r.rps / results.get(name)[i].rps)
    const has = (kind) => externals.some((e) => e.kind === kind)
    const nginx = has('nginx') ? perRound('nginx') : undefined
    console.log(`ratio      router / node-proxy ${pct(median(perRound('node-proxy')))}, router / tcp-pipe ${pct(median(perRound('tcp-pipe')))}`)
    if (nginx) console.log(`ratio      router / nginx ${pct(median(nginx))} (rounds: ${nginx.map(pct).join(', ')}; target >= 90%)`)
    if (has('nginx-job')) {
      const job = perRound('nginx-job')
      console.log(`ratio      router / nginx-job ${pct(median(job))} (rounds: ${job.map(pct).join(', ')}): nginx doing the router's job (its headers both ways, a log line per request)`)
      if (nginx) {
        const cost = results.get('nginx-job').map((r, i) => r.rps / results.get('nginx')[i].rps)
        console.log(`ratio      nginx-job / nginx ${pct(median(cost))} (rounds: ${cost.map(pct).join(', ')}): what the router's job costs nginx itself`)
      }
    }
    if (baseline && externals.some((e) => e.kind === 'nginx')) {
      const base = results.get('router-base').map((r, i) => r.rps / results.get('nginx')[i].rps)
      console.log(`baseline   router-base / nginx ${pct(median(base))} (rounds: ${base.map(pct).join(', ')}), from ${baselineDir}`)
    }
    const fast = await new Promise((resolve) => {
      const onMessage = (message) => {
        if (message?.fast === undefined) return
        router.child.off('message', onMessage)
        resolve(message.fast)
      }
      router.child.on('message', onMessage)
      router.child.send('fast')
    })
    console.log(`fast path  the router served ${fast} of its ${summary('router').count + warmed.get('router')} requests (warm-up included) on its fast path`)
    const added = results.get('router').map((r, i) => r.p99 - results.get('direct')[i].p99)
    console.log(`added      p50 +${(routed.p50 - direct.p50).toFixed(2)} ms, p99 +${median(added).toFixed(2)} ms (rounds: ${added.map((a) => a.toFixed(2)).join(', ')}; target < 1 ms at p99)`)
  } finally {
    for (const external of externals) await external.stop()
    for (const child of [router, baseline, nodeProxy, tcpPipe, backend]) child?.child.disconnect()
    // The profile is written as the router exits.
    if (profileDir && router.child.exitCode === null) await new Promise((resolve) => router.child.once('exit', resolve))
  }
}
