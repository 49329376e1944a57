#!/usr/bin/env node
// End-to-end benchmark of the log path: a real control plane (`tug server`), a real dyno (a
// Procfile type that prints numbered lines, as fast as it can or at a set rate) and a real
// `tug logs --tail` client, whose stdout this script reads and checks line by line.
//
//   bench/logs [--seconds 12] [--rate 250000] [--step 1.4] [--trials 2] [--max-climb 16]
//              [--skip-flood] [--skip-memory] [--profile DIR]
//
// 1. Throughput: lines per second from the dyno's stdout to the client's stdout with nothing lost
//    (every sequence number once, in order, no L10 notice), sustained over --seconds. A first
//    trial writes as fast as the dyno can, which overflows the reader by design (it shows the L10
//    path; --skip-flood leaves it out). Then paced trials search for the first rate that loses
//    something: from --rate, up by --step while nothing is lost (at most --max-climb trials), then
//    --trials more bisect between the best whole rate and the lowest lossy one. Both the best
//    whole rate and the first lossy one are printed.
// 2. Delay from the dyno's write (its wall clock, in the line) to this script reading the line
//    from the client's stdout, at 100 lines per second: median, p99, max.
// 3. Heap of the log router with 100 apps at full history (10,000 lines of ~100-byte messages each).
//
// It builds dist/ first when needed and re-runs itself with --expose-gc for the heap figure.
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {cpus, loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {setImmediate as nextTurn} from 'node:timers/promises'
import {fileURLToPath, pathToFileURL} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

if (typeof globalThis.gc !== 'function') {
  execFileSync(process.execPath, [join(root, 'scripts', 'build.js'), '--if-needed'], {stdio: 'inherit'})
  const run = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {stdio: 'inherit'})
  process.exit(run.status ?? 1)
}

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const index = args.indexOf(name)
  return index === -1 ? fallback : Number(args[index + 1])
}
const SECONDS = option('--seconds', 12)
const TRIALS = option('--trials', 2)
const BIN = join(root, 'bin', 'run.js')
// --profile DIR: the control plane and every `tug logs` client write a V8 CPU profile there
// (node --cpu-prof). The control plane stops gracefully on SIGTERM; a client is given a SIGTERM
// handler that exits through process.exit, so that its profile is written too.
const PROFILE = args.includes('--profile') ? args[args.indexOf('--profile') + 1] : undefined
const SERVER_NODE_ARGS = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : []
const CLIENT_NODE_ARGS = PROFILE ? [...SERVER_NODE_ARGS, '--import=data:text/javascript,process.on("SIGTERM",()=>process.exit(143))'] : []

const FLOOD = `// RATE lines per second (0: as fast as the pipe takes them) for SECONDS, then 'done N'. The
// lines of one write carry the time of that write (one clock read per write, not per line: at a
// million lines a second the clock would cost the dyno more than the lines).
const rate = Number(process.env.RATE)
const seconds = Number(process.env.SECONDS)
const trial = process.env.TRIAL
const pad = 'x'.repeat(60)
const {performance} = require('node:perf_hooks')
const now = () => performance.timeOrigin + performance.now()
const start = now()
let n = 0
let waiting = false
function lines(count, stamp) {
  const tail = ' ' + stamp.toFixed(3) + ' ' + pad + '\\n'
  let text = ''
  for (let i = 0; i < count; i++) text += 't' + trial + ' ' + n++ + tail
  return text
}
function finish() { process.stdout.write('t' + trial + ' done ' + n + '\\n'); setInterval(() => {}, 1 << 30) }
function fast() {
  const stamp = now()
  if (stamp - start >= seconds * 1000) return finish()
  if (process.stdout.write(lines(200, stamp))) setImmediate(fast)
  else process.stdout.once('drain', fast)
}
function paced() {
  const stamp = now()
  const elapsed = stamp - start
  if (elapsed >= seconds * 1000) return finish()
  const due = Math.floor((elapsed / 1000) * rate) + 1
  // At most 5,000 lines a write: a generator that falls behind (a busy machine) writes less than
  // offered and the trial shows it, rather than building one huge string until it crashes (and
  // is restarted from line 0, which the reader would see as repeats).
  // Nor does it queue writes in its own memory while the pipe is full (a dyno over its memory
  // quota is killed and restarted): it waits for the pipe, as any app would.
  if (n < due && !waiting) {
    if (!process.stdout.write(lines(Math.min(due - n, 5000), stamp))) {
      waiting = true
      process.stdout.once('drain', () => (waiting = false))
    }
  }
  setTimeout(paced, 2)
}
if (rate > 0) paced()
else fast()
`

const work = mkdtempSync(join(tmpdir(), 'tug-bench-logs-'))
const children = new Set()
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
  rmSync(work, {recursive: true, force: true})
})
process.on('SIGINT', () => process.exit(130))

function env(extra = {}) {
  const out = {}
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('TUG_') && !key.startsWith('HEROKU_')) out[key] = value
  return {...out, HOME: join(work, 'home'), NO_COLOR: '1', ...extra}
}

async function startServer() {
  const child = spawn(process.execPath, [...SERVER_NODE_ARGS, BIN, 'server', '--port', '0', '--router-port', '0', '--data-dir', join(work, 'data')], {
    env: env({TUG_STOP_GRACE_MS: '2000'}),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  child.on('exit', () => children.delete(child))
  let output = ''
  child.stderr.on('data', (chunk) => (output += chunk))
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tug server did not start:\n${output}`)), 30_000)
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      output += chunk
      const match = /tug server listening on (http:\/\/\S+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
  })
  const token = readFileSync(join(work, 'data', 'admin-token'), 'utf8').trim()
  return {child, url, token}
}

function tugEnv(server) {
  return env({TUG_API_URL: server.url, TUG_API_KEY: server.token})
}

/** The same, without blocking this process (which is reading a client's output meanwhile). */
function tugAsync(server, argv) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], {env: tugEnv(server), stdio: ['ignore', 'pipe', 'pipe']})
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`tug ${argv.join(' ')} failed (${code}):\n${output}`))))
  })
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid) {
  return userSystem(pid).reduce((a, b) => a + b)
}

/** [user, system] CPU seconds: the system part is the kernel's copying through pipes and sockets. */
function userSystem(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return [Number(fields[11]) / 100, Number(fields[12]) / 100]
  } catch {
    return [Number.NaN, Number.NaN]
  }
}

/** CPU seconds of the server's descendants that run the flood dyno (the dyno is new each trial). */
function dynoCpuSeconds(serverPid) {
  let total = 0
  const walk = (pid) => {
    let children = []
    try {
      for (const task of readdirSync(`/proc/${pid}/task`)) children.push(...readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean))
    } catch {
      children = []
    }
    for (const child of children) {
      let command = ''
      try {
        command = readFileSync(`/proc/${child}/cmdline`, 'utf8')
      } catch {
        continue
      }
      // The dyno's shell, if it stays, costs nothing next to the node process it runs.
      if (command.includes('flood.js')) total += cpuSeconds(child)
      walk(child)
    }
  }
  walk(serverPid)
  return total
}

function tug(server, argv) {
  const result = spawnSync(process.execPath, [BIN, ...argv], {env: tugEnv(server), encoding: 'utf8', timeout: 120_000})
  if (result.status !== 0) throw new Error(`tug ${argv.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`)
  return result.stdout
}

/**
 * Runs one trial: a tail client starts, the dyno runs at `rate` for `seconds`, and every line the
 * client prints is parsed. Resolves with what arrived.
 */
async function trial(server, number, rate, seconds, {delays = false} = {}) {
  tug(server, ['ps:scale', 'flood=0', '-a', 'bench'])
  tug(server, ['config:set', `RATE=${rate}`, `SECONDS=${seconds}`, `TRIAL=${number}`, '-a', 'bench'])
  const client = spawn(process.execPath, [...CLIENT_NODE_ARGS, BIN, 'logs', '--tail', '-n', '1', '-a', 'bench'], {env: tugEnv(server), stdio: ['ignore', 'pipe', 'pipe']})
  children.add(client)
  client.on('exit', () => children.delete(client))
  const prefix = `t${number} `
  const result = {number, received: 0, gaps: 0, repeats: 0, l10: 0, first: 0, last: 0, delays: [], done: -1, expected: 0}
  let heard = performance.now()
  let connected
  const ready = new Promise((resolve) => (connected = resolve))
  let finished
  const over = new Promise((resolve) => (finished = resolve))
  client.stdout.setEncoding('utf8').on(
    'data',
    lineReader(prefix, result, {
      delays,
      onChunk: (now) => {
        heard = now
        connected()
      },
      onDone: () => finished(),
    }),
  )
  let stderr = ''
  client.stderr.on('data', (chunk) => (stderr += chunk))
  await Promise.race([ready, new Promise((resolve) => setTimeout(resolve, 30_000))])
  const cpuBefore = {server: cpuSeconds(server.child.pid), client: cpuSeconds(client.pid), reader: process.cpuUsage(), serverSystem: userSystem(server.child.pid)[1], clientSystem: userSystem(client.pid)[1]}
  await tugAsync(server, ['ps:scale', 'flood=1', '-a', 'bench'])
  // The end is the dyno's 'done' line; when that line was among the lost (a flat-out trial), the
  // end is 3 s of silence after the trial's time.
  const started = performance.now()
  const watch = setInterval(() => {
    const now = performance.now()
    if (now - started > (seconds + 90) * 1000 || (now - started > seconds * 1000 && now - heard > 3000)) finished()
  }, 250)
  await over
  clearInterval(watch)
  const reader = process.cpuUsage(cpuBefore.reader)
  result.cpu = {
    server: cpuSeconds(server.child.pid) - cpuBefore.server,
    client: cpuSeconds(client.pid) - cpuBefore.client,
    serverSystem: userSystem(server.child.pid)[1] - cpuBefore.serverSystem,
    clientSystem: userSystem(client.pid)[1] - cpuBefore.clientSystem,
    dyno: dynoCpuSeconds(server.child.pid),
    reader: (reader.user + reader.system) / 1e6,
  }
  client.kill('SIGTERM')
  if (result.done === -1) console.log(`  (trial ${number}: the done line never arrived; client stderr: ${stderr.trim()})`)
  result.lost = result.done === -1 ? Number.NaN : result.done - result.received
  return result
}

/**
 * The reader of a trial's lines (from the client's stdout, or straight from the generator's pipe
 * for the reference row): checks that every sequence number comes once, in order, counts gaps,
 * repeats and L10 notices, and notes the time of the first and last line. It reads without
 * splitting into arrays: at a million lines a second it shares the two cores with the dyno, the
 * control plane and the client, so it must cost little per line. Without `headers` (the raw
 * pipe), a line is the message.
 */
function lineReader(prefix, result, {delays = false, headers = true, onChunk = () => {}, onDone = () => {}} = {}) {
  let partial = ''
  return (chunk) => {
    const heard = performance.now()
    const now = performance.timeOrigin + heard
    const text = partial + chunk
    onChunk(heard)
    let start = 0
    for (let end = text.indexOf('\n'); end !== -1; start = end + 1, end = text.indexOf('\n', start)) {
      const at = headers ? text.indexOf(']: ', start) : -1
      const message = at === -1 || at > end ? start : at + 3
      if (text.startsWith('Error L10', message)) {
        result.l10++
        continue
      }
      if (!text.startsWith(prefix, message)) continue
      const seqAt = message + prefix.length
      const space = text.indexOf(' ', seqAt)
      if (space === -1 || space > end) continue
      if (text.startsWith('done', seqAt)) {
        result.done = Number(text.slice(space + 1, end))
        onDone()
        continue
      }
      const seq = Number(text.slice(seqAt, space))
      if (seq !== result.expected) {
        if (seq < result.expected) result.repeats++
        else result.gaps += seq - result.expected
      }
      result.expected = seq + 1
      result.received++
      if (result.received === 1) result.first = now
      result.last = now
      if (delays) result.delays.push(now - Number(text.slice(space + 1, text.indexOf(' ', space + 1))))
    }
    partial = text.slice(start)
  }
}

/**
 * The reference row: the same generator, flat out, into a bare pipe read by the same reader. What
 * the generator and the reader carry on their own, so that a trial's rate is about tug's path.
 */
async function rawPipe(seconds) {
  const flood = join(work, 'app', 'flood.js')
  const child = spawn(process.execPath, [flood], {env: env({RATE: '0', SECONDS: String(seconds), TRIAL: '0'}), stdio: ['ignore', 'pipe', 'inherit']})
  children.add(child)
  const result = {received: 0, gaps: 0, repeats: 0, l10: 0, first: 0, last: 0, delays: [], done: -1, expected: 0}
  const before = process.cpuUsage()
  await new Promise((resolve) => {
    child.stdout.setEncoding('utf8').on('data', lineReader('t0 ', result, {headers: false, onDone: resolve}))
  })
  const reader = process.cpuUsage(before)
  const generator = cpuSeconds(child.pid)
  child.kill('SIGKILL')
  children.delete(child)
  const perSecond = result.received / ((result.last - result.first) / 1000)
  const clean = result.done === result.received && result.gaps === 0 && result.repeats === 0
  console.log(
    `raw pipe, the same generator -> the same reader (reference): ${fmt(perSecond)} lines/s${clean ? ', nothing lost' : `, LOST ${fmt(result.done - result.received)}`}` +
      `; CPU per line: generator ${((generator * 1e6) / result.received).toFixed(2)} µs, reader ${(((reader.user + reader.system) / 1e6) * 1e6 / result.received).toFixed(2)} µs`,
  )
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

const fmt = (n) => Math.round(n).toLocaleString('en')
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

async function heap() {
  const {LogRouter} = await import(pathToFileURL(join(root, 'dist', 'server', 'logs', 'router.js')).href)
  const pad = 'x'.repeat(90)
  globalThis.gc()
  const before = process.memoryUsage().heapUsed
  const router = new LogRouter()
  const dynos = ['web.1', 'web.2', 'worker.1', 'clock.1']
  for (let app = 0; app < 100; app++) {
    for (let n = 1; n <= 10_000; n++) router.write(`app-${app}`, {source: 'app', dyno: dynos[n % 4], message: `line ${n} ${pad}`})
    if (app % 10 === 9) await nextTurn()
  }
  globalThis.gc()
  const used = process.memoryUsage().heapUsed - before
  const {apps, lines, bytes} = router.stats()
  console.log(`router heap, ${apps} apps at full history (${fmt(lines)} lines, ${mb(bytes)} of text): ${mb(used)} (${Math.round(used / lines)} bytes per line, ${mb(used / apps)} per app)`)
  await router.close()
}

console.log(`node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(2)}; trials of ${SECONDS} s`)
const server = await startServer()
try {
  const app = join(work, 'app')
  mkdirSync(app)
  mkdirSync(join(work, 'home'))
  writeFileSync(join(app, 'Procfile'), 'flood: node flood.js\n')
  writeFileSync(join(app, 'flood.js'), FLOOD)
  tug(server, ['apps:create', 'bench', '--no-remote'])
  tug(server, ['deploy', app, '-a', 'bench'])

  await rawPipe(Math.min(SECONDS, 5))
  console.log('throughput, dyno stdout -> tug logs --tail stdout (~130-byte lines):')
  const report = (r, rate) => {
    const seconds = (r.last - r.first) / 1000
    const perSecond = r.received / seconds
    const clean = r.lost === 0 && r.gaps === 0 && r.repeats === 0 && r.l10 === 0
    // Lines the dyno wrote: its count, or (when its last line was lost) at least what was read and skipped.
    const written = r.done === -1 ? r.received + r.gaps : r.done
    const perLine = (cpuSeconds) => ((cpuSeconds * 1e6) / written).toFixed(2)
    console.log(
      `  trial ${r.number}: offered ${rate === 0 ? 'as fast as the dyno can' : `${fmt(rate)}/s`}: ${r.done === -1 ? 'an unknown number (its last line was among the lost)' : fmt(r.done)} written, ${fmt(r.received)} read in ${seconds.toFixed(1)} s` +
        ` = ${fmt(perSecond)} lines/s; lost ${Number.isNaN(r.lost) ? 'at least the gaps' : fmt(r.lost)}, gaps ${fmt(r.gaps)}, repeats ${r.repeats}, L10 notices ${r.l10}` + (clean ? '  [nothing lost]' : '') +
        `\n           CPU: control plane ${r.cpu.server.toFixed(1)} s (kernel ${r.cpu.serverSystem.toFixed(1)}), logs client ${r.cpu.client.toFixed(1)} s (kernel ${r.cpu.clientSystem.toFixed(1)}), dyno ${r.cpu.dyno.toFixed(1)} s, this reader ${r.cpu.reader.toFixed(1)} s` +
        ` = ${perLine(r.cpu.server)} + ${perLine(r.cpu.client)} + ${perLine(r.cpu.dyno)} + ${perLine(r.cpu.reader)} µs per line written` +
        ` (${fmt((cpus().length * 1e6) / (((r.cpu.server + r.cpu.client + r.cpu.dyno + r.cpu.reader) * 1e6) / written))} lines/s would fill ${cpus().length} CPUs)`,
    )
    return {clean, perSecond, seconds}
  }
  // Flat out first: the dyno writes far faster than any reader takes lines, so this shows the
  // overflow path (L10 notices, the dyno never blocked), not a lossless rate.
  let number = 1
  let flood
  if (!args.includes('--skip-flood')) {
    const r = await trial(server, number, 0, SECONDS)
    if (!report(r, 0).clean) flood = {rate: r.done === -1 ? r.received + r.gaps : r.done, number}
    number++
  }
  // Then paced trials search for the first rate at which something is lost: up by --step (40%)
  // from --rate while nothing is lost, then --trials more halve the interval between the best
  // whole rate and the lowest lossy one.
  let rate = option('--rate', 250_000)
  const step = option('--step', 1.4)
  const maxClimb = option('--max-climb', 16)
  let whole = 0
  let lossy = Number.POSITIVE_INFINITY
  let firstLossy
  let best
  // A paced dyno waits when its pipe is full, so past what the machine can carry it writes less
  // than offered: climbing further offers nothing more. The search then stops (saturated).
  let saturated
  const run = async () => {
    const r = await trial(server, number, rate, SECONDS)
    const outcome = report(r, rate)
    if (r.done !== -1 && r.done < 0.95 * rate * SECONDS) saturated ??= {written: r.done / SECONDS, number}
    if (outcome.clean) {
      if (!best || outcome.perSecond > best.perSecond) best = {perSecond: outcome.perSecond, seconds: outcome.seconds, number, rate}
      whole = Math.max(whole, rate)
    } else {
      lossy = Math.min(lossy, rate)
      firstLossy ??= {rate, number}
    }
    number++
  }
  for (let climb = 0; climb < maxClimb && firstLossy === undefined && saturated === undefined; climb++) {
    await run()
    if (firstLossy === undefined) rate = Math.round(rate * step)
  }
  for (let left = firstLossy === undefined ? 0 : TRIALS; left > 0; left--) {
    rate = Math.round(whole === 0 ? lossy * 0.6 : (whole + lossy) / 2)
    await run()
  }
  console.log(best ? `  => ${fmt(best.perSecond)} lines/s end to end with nothing lost, sustained over ${best.seconds.toFixed(1)} s (trial ${best.number}, offered ${fmt(best.rate)}/s)` : '  => no trial was lossless')
  if (saturated) {
    console.log(
      `  => the paced dyno wrote only ${fmt(saturated.written)} lines/s when offered more (trial ${saturated.number}): the machine's CPUs carry no more, and it was all delivered`,
    )
  }
  console.log(
    firstLossy
      ? `  => first lossy rate: ${fmt(firstLossy.rate)}/s (trial ${firstLossy.number}); lowest lossy rate tried: ${fmt(lossy)}/s; highest whole: ${fmt(whole)}/s`
      : flood
        ? `  => first lossy rate: ${fmt(flood.rate / SECONDS)}/s (trial ${flood.number}, the dyno flat out; no paced trial lost a line, up to ${fmt(best?.perSecond ?? 0)} lines/s)`
        : `  => nothing was lost up to ${fmt(rate)}/s (--max-climb ${maxClimb} trials)`,
  )

  const light = await trial(server, number, 100, Math.max(10, SECONDS), {delays: true})
  const delays = light.delays.sort((a, b) => a - b)
  console.log(
    `delay, dyno write -> client stdout read, at 100 lines/s (${fmt(delays.length)} lines, lost ${fmt(light.lost)}): ` +
      `median ${quantile(delays, 0.5).toFixed(2)} ms, p99 ${quantile(delays, 0.99).toFixed(2)} ms, max ${delays[delays.length - 1].toFixed(2)} ms`,
  )
  tug(server, ['ps:scale', 'flood=0', '-a', 'bench'])
} finally {
  server.child.kill('SIGTERM')
  await new Promise((resolve) => (server.child.exitCode === null ? server.child.on('exit', resolve) : resolve()))
}
if (!args.includes('--skip-memory')) await heap()
