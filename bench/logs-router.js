#!/usr/bin/env node
// Micro-benchmark of the log router's core (src/server/logs), without HTTP: throughput into one
// subscriber, delay from write to subscriber at a light load, and the heap of 100 full histories.
// The end-to-end `bench/logs` (dyno stdout to `tug logs --tail`) comes with the server wiring.
//
//   node bench/logs-router.js [--seconds 10] [--skip-persist]
//
// It builds dist/ first when needed (node scripts/build.js --if-needed) and needs --expose-gc for
// the heap figure, which it arranges by re-running itself.
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {cpus, loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {setImmediate as nextTurn, setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath, pathToFileURL} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

if (typeof globalThis.gc !== 'function') {
  execFileSync(process.execPath, [join(root, 'scripts', 'build.js'), '--if-needed'], {stdio: 'inherit'})
  const run = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {stdio: 'inherit'})
  process.exit(run.status ?? 1)
}

const dist = (...path) => pathToFileURL(join(root, 'dist', ...path)).href
const {LogRouter} = await import(dist('server', 'logs', 'router.js'))
const {piecesOfBlocks} = await import(dist('server', 'logs', 'wire.js'))

const args = process.argv.slice(2)
const seconds = Number(args[args.indexOf('--seconds') + 1] || 10) || 10
const skipPersist = args.includes('--skip-persist')

const PADDING = 'x'.repeat(90)

/** A message of about 100 bytes that starts with its sequence number. */
function message(n) {
  return `line ${n} ${PADDING}`
}

/**
 * One SSE event for a batch of lines, as the HTTP stream wrote it before it took blocks (the
 * server's serialisers now take blocks only): kept so that this row stays comparable.
 */
function sseEvent(items) {
  if (items.length === 0) return ''
  let lastId
  for (let i = items.length - 1; i >= 0 && lastId === undefined; i--) lastId = items[i].id
  let out = lastId === undefined ? '' : `id: ${lastId}\n`
  for (const item of items) out += 'data: ' + item.text + '\n'
  return out + '\n'
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

function mb(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

/**
 * Writes as fast as the subscriber keeps up: batches of lines, yielding to the event loop between
 * them so deliveries run (a dyno's output arrives the same way, chunk by chunk). Checks that the
 * subscriber got every id once, in order.
 */
async function throughput(label, options) {
  const router = await LogRouter.open(options)
  let expected = 1
  let received = 0
  let wireBytes = 0
  let notices = 0
  const sub = router.subscribe('bench', {tail: true}, {
    deliver(items) {
      for (const item of items) {
        if (item.id === undefined) notices++
        else if (item.id !== expected) throw new Error(`expected id ${expected}, got ${item.id}`)
        else expected++
      }
      received += items.length
      // What an SSE stream of lines would send: the serialising is part of a subscriber's cost.
      wireBytes += sseEvent(items).length
      return true
    },
  })
  const batch = 2000
  const dynos = ['web.1', 'web.2', 'worker.1']
  let written = 0
  const start = performance.now()
  const end = start + seconds * 1000
  // Lines received in each whole second, to show the rate is sustained and not a burst.
  const perSecond = []
  let secondEnd = start + 1000
  let receivedAtSecond = 0
  while (performance.now() < end) {
    for (let i = 0; i < batch; i++) {
      written++
      router.write('bench', {source: 'app', dyno: dynos[written % 3], message: message(written)})
    }
    await nextTurn()
    if (performance.now() >= secondEnd) {
      perSecond.push(received - receivedAtSecond)
      receivedAtSecond = received
      secondEnd += 1000
    }
  }
  while (received < written && performance.now() < end + 5000) await nextTurn()
  const elapsed = (performance.now() - start) / 1000
  const {dropped} = sub.stats()
  sub.close()
  await router.close()
  const lost = written - (expected - 1)
  console.log(
    `${label}: ${Math.round(written / elapsed).toLocaleString('en')} lines/s over ${elapsed.toFixed(1)} s ` +
      `(${written.toLocaleString('en')} lines, ${mb(wireBytes)} of SSE; lost ${lost}, dropped ${dropped}, notices ${notices}; ` +
      `slowest second ${Math.min(...perSecond).toLocaleString('en')}, fastest ${Math.max(...perSecond).toLocaleString('en')})`,
  )
  if (lost !== 0 || dropped !== 0 || notices !== 0) process.exitCode = 1
}

/**
 * The path a dyno's output takes in the control plane: each write is one pipe read's lines (500
 * messages of ~100 bytes joined by \n, as LineSplitter.blocks gives them), the subscriber takes
 * blocks and serialises them as tug's frames stream (the pieces an HTTP response would write).
 */
async function blockThroughput(label) {
  const router = new LogRouter()
  let expected = 1
  let received = 0
  let wireBytes = 0
  const sub = router.subscribe('bench', {tail: true}, {
    deliverBlocks(blocks) {
      for (const block of blocks) {
        if (block.firstId !== expected) throw new Error(`expected id ${expected}, got ${block.firstId}`)
        expected += block.count
        received += block.count
      }
      for (const piece of piecesOfBlocks('frames', blocks)) wireBytes += piece.length
      return true
    },
  })
  const perRead = 500
  let written = 0
  const start = performance.now()
  const end = start + seconds * 1000
  while (performance.now() < end) {
    for (let read = 0; read < 4; read++) {
      const lines = []
      for (let i = 0; i < perRead; i++) lines.push(message(++written))
      // One string per read, as the splitter hands it over. Making the lines is inside the
      // measured time too, so the router's own share is smaller than the figure says.
      router.writeLines('bench', {source: 'app', dyno: 'web.1', lines: [lines.join('\n')]})
    }
    await nextTurn()
  }
  while (received < written && performance.now() < end + 5000) await nextTurn()
  const elapsed = (performance.now() - start) / 1000
  const {dropped} = sub.stats()
  sub.close()
  const lost = written - (expected - 1)
  console.log(`${label}: ${Math.round(written / elapsed).toLocaleString('en')} lines/s over ${elapsed.toFixed(1)} s (${written.toLocaleString('en')} lines, ${mb(wireBytes)} of frames; lost ${lost}, dropped ${dropped})`)
  if (lost !== 0 || dropped !== 0) process.exitCode = 1
  await router.close()
}

/** 1000 lines/s, one every millisecond or so; the delay is write() to the sink's deliver(). */
async function latency() {
  const router = new LogRouter()
  const rate = 1000
  const total = Math.min(10, seconds) * rate
  const writtenAt = new Float64Array(total + 1)
  const delays = []
  router.subscribe('bench', {tail: true}, {
    deliver(items) {
      const now = performance.now()
      for (const item of items) if (item.id !== undefined) delays.push(now - writtenAt[item.id])
      return true
    },
  })
  const start = performance.now()
  let written = 0
  while (written < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000))
    while (written < due) {
      written++
      writtenAt[written] = performance.now()
      router.write('bench', {source: 'app', dyno: 'web.1', message: message(written)})
    }
    await sleep(1)
  }
  while (delays.length < total) await sleep(5)
  await router.close()
  delays.sort((a, b) => a - b)
  console.log(
    `delay write -> subscriber at ${rate} lines/s (${total} lines): median ${quantile(delays, 0.5).toFixed(3)} ms, ` +
      `p99 ${quantile(delays, 0.99).toFixed(3)} ms, max ${delays[delays.length - 1].toFixed(3)} ms`,
  )
}

/** 100 apps, each with a full history of 10,000 lines of ~100-byte messages. */
async function heap() {
  globalThis.gc()
  const before = process.memoryUsage().heapUsed
  const router = new LogRouter()
  const dynos = ['web.1', 'web.2', 'worker.1', 'clock.1']
  for (let app = 0; app < 100; app++) {
    for (let n = 1; n <= 10_000; n++) router.write(`app-${app}`, {source: 'app', dyno: dynos[n % 4], message: message(n)})
    if (app % 10 === 9) await nextTurn()
  }
  globalThis.gc()
  const after = process.memoryUsage().heapUsed
  const {apps, lines, bytes} = router.stats()
  const used = after - before
  console.log(
    `heap with ${apps} apps at full history (${lines.toLocaleString('en')} lines, ${mb(bytes)} of text): ` +
      `${mb(used)} (${Math.round(used / lines)} bytes per line, ${mb(used / apps)} per app)`,
  )
  await router.close()
}

console.log(`node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(2)}, ${seconds} s runs`)
await throughput('throughput into one subscriber, memory only', {})
if (!skipPersist) {
  const dir = mkdtempSync(join(tmpdir(), 'tug-bench-logs-'))
  try {
    await throughput('throughput into one subscriber, persisted', {persist: {dir}})
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
await blockThroughput('throughput into one subscriber, a dyno\'s reads (blocks of 500 lines) to frames')
await latency()
await heap()
