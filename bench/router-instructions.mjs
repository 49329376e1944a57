// Instructions per proxied request, counted by valgrind's callgrind (user space only). The count
// moves with the machine's load less than req/s or CPU time do, but it does move (work driven by
// the clock, timers and GC, is spread over fewer requests when valgrind runs slower): compare two
// versions of the router by counting them at the same time, side by side.
//
//   node bench/router-instructions [--path router|node-proxy|tcp-pipe|direct|nginx|nginx-job] [--requests 3000]
//
// The path runs under callgrind behind (or, for `direct`, as) bench/router's backend; 3,000
// requests warm it up (JIT) and end in a first dump, `--requests` more are made by 8 concurrent
// keep-alive clients and end in a second: that one is the count. Slow: minutes on a busy machine.
// Needs valgrind (apt-get install valgrind). Builds dist/ first when needed.
import {execFileSync, fork, spawn} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {connect} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {freePort, nginxConfig} from './lib/proxy-reference.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const bench = fileURLToPath(new URL('router.mjs', import.meta.url))
const args = process.argv.slice(2)
const value = (name, fallback) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback)
const path = value('path', 'router')
const requests = Number(value('requests', '3000'))
if (!['router', 'node-proxy', 'tcp-pipe', 'direct', 'nginx', 'nginx-job'].includes(path) || !(requests > 0)) {
  console.error('usage: node bench/router-instructions [--path router|node-proxy|tcp-pipe|direct|nginx|nginx-job] [--requests N]')
  process.exit(2)
}
execFileSync(process.execPath, [join(root, 'scripts', 'build.js'), '--if-needed'], {stdio: 'inherit'})
const {Pool} = await import('undici')
const dir = mkdtempSync(join(tmpdir(), 'tug-bench-callgrind-'))
// Threads counted apart: V8 compiles and collects garbage on worker threads, and under valgrind
// (20-50x slower) its optimising compiler is still at work long after the warm-up, differently from
// run to run. The main thread's count (the event loop: JS, node and libuv) is the figure; all
// threads together are printed too.
const callgrind = ['-q', '--tool=callgrind', '--smc-check=all-non-file', '--separate-threads=yes', `--callgrind-out-file=${join(dir, 'callgrind.out')}`]

/** A bench/router role (its own process), under callgrind when `counted`. */
const start = (role, env, counted) =>
  new Promise((resolve, reject) => {
    const options = {env: {...process.env, TUG_BENCH_ROLE: role, TUG_BENCH_PATIENT: '1', ...env}, stdio: ['ignore', 'inherit', 'inherit', 'ipc']}
    if (counted) Object.assign(options, {execPath: 'valgrind', execArgv: [...callgrind, process.execPath]})
    const child = fork(bench, [], options)
    child.once('message', (message) => resolve({child, port: message.port, stop: () => child.disconnect()}))
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)))
  })

async function startNginx(backendPort, job) {
  const port = await freePort()
  const nginxArgs = nginxConfig(dir, port, backendPort, {job})
  const nginx = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((file) => {
    try {
      return readFileSync(file).length > 0
    } catch {
      return false
    }
  })
  if (!nginx) throw new Error('nginx is not installed (apt-get install nginx-light)')
  const child = spawn('valgrind', [...callgrind, nginx, ...nginxArgs], {stdio: 'inherit'})
  const deadline = Date.now() + 60_000
  for (;;) {
    const open = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(() => resolve(true))).on('error', () => resolve(false))
    })
    if (open) break
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('nginx did not start under valgrind')
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return {child, port, stop: () => child.kill('SIGKILL')}
}

const backend = path === 'direct' ? undefined : await start('backend', {})
let counted
try {
  counted = path === 'direct' ? await start('backend', {}, true) : path === 'nginx' || path === 'nginx-job' ? await startNginx(backend.port, path === 'nginx-job') : await start(path, {TUG_BENCH_DYNO_PORT: String(backend.port)}, true)
  // A pool per phase: zeroing the counters can take seconds under valgrind, longer than the
  // router keeps an idle connection (5 s), and a request on a connection it just closed would fail.
  const load = async (count) => {
    const pool = new Pool(`http://127.0.0.1:${counted.port}`, {connections: 8, keepAliveTimeout: 60_000})
    let left = count
    const worker = async () => {
      while (left-- > 0) {
        const {statusCode, body} = await pool.request({path: '/', method: 'GET', headers: {host: `bench.localhost:${counted.port}`}})
        await body.dump()
        if (statusCode !== 200) throw new Error(`${path} answered ${statusCode}`)
      }
    }
    await Promise.all(Array.from({length: 8}, worker))
    await pool.close()
  }
  // Each dump holds the instructions since the previous one: the second is the measured requests
  // alone. Both must be there (a dump callgrind_control could not get would count the warm-up too).
  await load(3000)
  execFileSync('callgrind_control', ['-d', String(counted.child.pid)], {stdio: 'ignore'})
  await load(requests)
  execFileSync('callgrind_control', ['-d', String(counted.child.pid)], {stdio: 'ignore'})
  // One file per dump and thread (callgrind.out.<dump>-<thread>): the second dump is the measured requests alone.
  const files = readdirSync(dir).filter((file) => /^callgrind\.out\.\d+-\d+$/.test(file))
  const dumps = new Set(files.map((file) => file.split('.')[2]?.split('-')[0]))
  if (dumps.size !== 2) throw new Error(`callgrind wrote ${dumps.size} dumps instead of 2; run again`)
  const second = [...dumps].sort((a, b) => Number(a) - Number(b))[1]
  const totalOf = (file) => Number(/^(?:totals|summary): (\d+)/m.exec(readFileSync(join(dir, file), 'utf8'))?.[1] ?? Number.NaN)
  const measured = files.filter((file) => file.startsWith(`callgrind.out.${second}-`))
  const main = totalOf(`callgrind.out.${second}-01`)
  const all = measured.reduce((sum, file) => sum + totalOf(file), 0)
  if (!Number.isFinite(main) || !Number.isFinite(all)) throw new Error('the second callgrind dump has no totals')
  const k = (n) => `${(n / requests / 1000).toFixed(1)}k`
  console.log(`${path}: ${k(main)} instructions per request on the main thread, ${k(all)} with V8's worker threads (${requests} requests after 3,000 to warm up; callgrind, user space only)`)
} finally {
  counted?.stop()
  backend?.stop()
  if (counted) await new Promise((resolve) => (counted.child.exitCode === null && counted.child.signalCode === null ? counted.child.once('exit', resolve) : resolve()))
  rmSync(dir, {recursive: true, force: true})
}
