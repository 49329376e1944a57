// Benchmark of the HTTP router (src/server/router): requests per second and p50/p99 latency
// through the router and directly to one backend, same client and concurrency, in one run.
//
//   node bench/router [--seconds 5] [--concurrency 8] [--body 0]
//
// Four processes: this one (the load generator, undici with keep-alive), a backend like the
// demo app's web dyno, the router in front of it, and for reference a bare 10-line node:http
// proxy (no routing, header rewriting or log line): the floor for any proxy built on node:http.
// When nginx or HAProxy is installed (`apt-get install nginx-light haproxy`), each also runs as a
// reference, one process with keep-alive to the backend: what a proxy written in C keeps of
// direct throughput on the same machine and cores.
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
    process.send({cpu: user + system})
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
} else if (role === 'router') {
  const {HttpRouter} = await import(pathToFileURL(join(root, 'dist', 'server', 'router', 'router.js')).href)
  const dynoPort = Number(process.env.TUG_BENCH_DYNO_PORT)
  let lines = 0
  const router = new HttpRouter({
    directory: {list: (name) => (name === 'bench' ? [{name: 'web.1', host: '127.0.0.1', port: dynoPort, state: 'up'}] : [])},
    resolveApp: (name) => (name === 'bench' ? {id: 'bench-id', name} : undefined),
    // The real wiring formats and hands over every line too; only the log router's work is left out.
    log: () => void lines++,
    host: '127.0.0.1',
    port: 0,
  })
  const {port} = await router.listen()
  process.send({port})
  process.on('disconnect', () => void router.close().then(() => process.exit(0)))
} else {
  execFileSync(process.execPath, [join(root, 'scripts', 'build.js'), '--if-needed'], {stdio: 'inherit'})
  const {Pool} = await import('undici')
  const seconds = option('seconds', 5)
  const concurrency = option('concurrency', 8)
  const bodySize = option('body', 0)

  const start = (name, env) =>
    new Promise((resolve, reject) => {
      const child = fork(self, [], {env: {...process.env, TUG_BENCH_ROLE: name, ...env}, stdio: ['ignore', 'inherit', 'inherit', 'ipc']})
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

  /** CPU time (user + system, µs) the child has used so far. */
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

  /** `load`, with the CPU µs per request of the proxy in front (if any) and of the backend. */
  async function measure(port, host, ms, proxy) {
    const proxyCpu = () => (!proxy ? 0 : proxy.cpu ? proxy.cpu() : cpuOf(proxy.child))
    const before = await Promise.all([proxyCpu(), cpuOf(backend.child)])
    const result = await load(port, host, ms)
    const after = await Promise.all([proxyCpu(), cpuOf(backend.child)])
    const served = Math.max(1, result.count)
    return {...result, proxyCpu: (after[0] - before[0]) / served, backendCpu: (after[1] - before[1]) / served}
  }

  /** A free port on 127.0.0.1 (for the configuration files of nginx and HAProxy). */
  const freePort = () =>
    new Promise((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const {port} = probe.address()
        probe.close(() => resolve(port))
      })
    })

  const installed = (binary) => spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0

  /** nginx or HAProxy in front of the backend, one process each; undefined when not installed. */
  async function startExternal(kind, dynoPort) {
    if (!installed(kind)) return undefined
    const dir = mkdtempSync(join(tmpdir(), `tug-bench-${kind}-`))
    const port = await freePort()
    let child
    if (kind === 'nginx') {
      writeFileSync(
        join(dir, 'nginx.conf'),
        `daemon off; master_process off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  upstream dyno { server 127.0.0.1:${dynoPort}; keepalive 32; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://dyno; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header X-Forwarded-For $remote_addr; }
  }
}
`,
      )
      child = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir, '-e', join(dir, 'error.log')], {stdio: 'ignore'})
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
      child = spawn('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], {stdio: 'ignore'})
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
    // Its CPU time from /proc, as the forked roles report theirs over IPC.
    const cpu = () => {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ')
      return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100
    }
    const stop = async () => {
      child.kill('SIGKILL')
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve))
      rmSync(dir, {recursive: true, force: true})
    }
    return {kind, port, child, cpu, stop}
  }

  const backend = await start('backend', {TUG_BENCH_BODY: String(bodySize)})
  const router = await start('router', {TUG_BENCH_DYNO_PORT: String(backend.port)})
  const nodeProxy = await start('node-proxy', {TUG_BENCH_DYNO_PORT: String(backend.port)})
  const externals = []
  try {
    for (const kind of ['nginx', 'haproxy']) {
      const external = await startExternal(kind, backend.port)
      if (external) externals.push(external)
    }
    const directHost = `127.0.0.1:${backend.port}`
    const routerHost = `bench.localhost:${router.port}`
    const nodeProxyHost = `bench.localhost:${nodeProxy.port}`
    // Warm every path (JIT, connection pools), then measure each in turn.
    await load(backend.port, directHost, 1000)
    await load(router.port, routerHost, 1000)
    await load(nodeProxy.port, nodeProxyHost, 1000)
    const direct = await measure(backend.port, directHost, seconds * 1000)
    const routed = await measure(router.port, routerHost, seconds * 1000, router)
    const bare = await measure(nodeProxy.port, nodeProxyHost, seconds * 1000, nodeProxy)
    const references = []
    for (const external of externals) {
      const host = `bench.localhost:${external.port}`
      await load(external.port, host, 1000)
      references.push({external, result: await measure(external.port, host, seconds * 1000, external)})
    }
    const row = (name, r) => `${name.padEnd(10)} ${r.rps.toFixed(0).padStart(8)} req/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms   (${r.count} requests, ${r.errors} errors)`
    const us = (value) => `${value.toFixed(0)} µs`
    console.log(`router bench: ${concurrency} concurrent keep-alive clients, ${seconds} s per path, ${bodySize || 17}-byte responses`)
    console.log(`machine: ${cpus().length} cpus, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, node ${process.version}`)
    console.log('measures: the router alone in its own process (in-memory directory; log lines formatted, not stored), not the control plane around it')
    console.log(row('direct', direct))
    console.log(row('router', routed))
    console.log(row('node-proxy', bare))
    console.log(`cpu/req    router ${us(routed.proxyCpu)}, node-proxy ${us(bare.proxyCpu)}; backend ${us(direct.backendCpu)} direct, ${us(routed.backendCpu)} behind the router`)
    for (const {external, result} of references) {
      console.log(row(external.kind, result))
      console.log(`cpu/req    ${external.kind} ${us(result.proxyCpu)}; backend ${us(result.backendCpu)} behind it`)
      console.log(`reference  ${external.kind} (C, one process) keeps ${((result.rps / direct.rps) * 100).toFixed(1)}% of direct throughput`)
    }
    if (references.length === 0) console.log('reference  nginx and HAProxy are not installed; apt-get install nginx-light haproxy adds them as references')
    console.log(`reference  a bare node:http proxy keeps ${((bare.rps / direct.rps) * 100).toFixed(1)}% of direct throughput; the router ${((routed.rps / bare.rps) * 100).toFixed(1)}% of the bare proxy's`)
    const ratio = routed.rps / direct.rps
    const addedP99 = routed.p99 - direct.p99
    console.log(`ratio    ${(ratio * 100).toFixed(1)}% of direct throughput (target >= 70%)`)
    console.log(`added    p50 +${(routed.p50 - direct.p50).toFixed(2)} ms, p99 +${addedP99.toFixed(2)} ms (target < 2 ms at p99)`)
  } finally {
    for (const external of externals) await external.stop()
    router.child.disconnect()
    nodeProxy.child.disconnect()
    backend.child.disconnect()
  }
}
