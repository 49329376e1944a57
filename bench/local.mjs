#!/usr/bin/env node
// `tug local` against node-foreman (`nf start`, what `heroku local` was built on), in the same run:
// one Procfile process prints 2,000,000 numbered lines (`seq`) and exits, and this script reads
// each tool's stdout through a pipe, checking every number once and in order.
//
//   bench/local [--lines 2000000] [--rounds 2] [--profile DIR]
//
// For each tool and round: lines received (distinct numbers), lines lost (expected − received; a
// line cut in two is lost, its pieces counted as repeats or out of order, and the digits missing
// from the whole output tell cut lines from text that never came), lines per second over the stream (first line to last) and over the
// whole run (start to exit, the tool's own start-up included). The rounds alternate the tools,
// so that a change in the machine's load touches both alike. --profile DIR writes a V8 CPU
// profile of each `tug local` there (node --cpu-prof).
import {execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {cpus, loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const args = process.argv.slice(2)
const option = (name, fallback) => {
  const index = args.indexOf(name)
  return index === -1 ? fallback : args[index + 1]
}
const LINES = Number(option('--lines', '2000000'))
const ROUNDS = Number(option('--rounds', '2'))
const PROFILE = option('--profile', undefined)
if (!Number.isInteger(LINES) || LINES < 1 || !Number.isInteger(ROUNDS) || ROUNDS < 1) {
  console.error('usage: bench/local [--lines N] [--rounds N] [--profile DIR]')
  process.exit(2)
}

execFileSync(process.execPath, [join(root, 'scripts', 'build.js'), '--if-needed'], {stdio: 'inherit'})

const dir = mkdtempSync(join(tmpdir(), 'tug-bench-local-'))
writeFileSync(join(dir, 'Procfile'), `flood: seq 1 ${LINES}\n`)

let EXPECTED_DIGITS = 0
for (let width = 1, low = 1; low <= LINES; width++, low *= 10) EXPECTED_DIGITS += width * (Math.min(LINES, low * 10 - 1) - low + 1)

const tools = {
  'tug local': [process.execPath, [...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : []), join(root, 'bin', 'run.js'), 'local', '-f', join(dir, 'Procfile')]],
  'nf start': [join(root, 'node_modules', '.bin', 'nf'), ['start', '-j', join(dir, 'Procfile')]],
}

/** `... flood.1 | 123` (tug) or `... flood.1 |  123` (nf): the number after the process's bar. */
function measure(name) {
  const [file, argv] = tools[name]
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(file, argv, {cwd: dir, env: {...process.env, NO_COLOR: '1', FORCE_COLOR: '0'}, stdio: ['ignore', 'pipe', 'inherit']})
    let partial = ''
    // Each number once: a line cut in two (`12` and `34` for `1234`) counts as a repeat and a loss.
    const seen = new Uint8Array(LINES + 1)
    let received = 0
    // The digits of every number line, whole or a piece: what text went missing, beside the lines.
    let digits = 0
    let repeated = 0
    let outOfOrder = 0
    let next = 1
    let first
    let last
    child.stdout.setEncoding('latin1')
    child.stdout.on('data', (chunk) => {
      const text = partial + chunk
      const end = text.lastIndexOf('\n')
      partial = text.slice(end + 1)
      let at = 0
      while (at <= end) {
        const newline = text.indexOf('\n', at)
        const bar = text.lastIndexOf('|', newline)
        if (bar > at && text.startsWith('flood.1', text.lastIndexOf(' ', bar - 2) + 1)) {
          const payload = text.slice(bar + 1, newline).trim()
          if (/^\d+$/.test(payload)) digits += payload.length
          const value = Number(payload)
          if (Number.isInteger(value) && value > 0 && value <= LINES) {
            first ??= performance.now()
            last = performance.now()
            if (seen[value] === 1) repeated++
            else received++
            seen[value] = 1
            if (value !== next) outOfOrder++
            next = value + 1
          }
        }
        at = newline + 1
      }
    })
    child.once('error', reject)
    child.once('close', (code, signal) => {
      const ended = performance.now()
      const stream = first === undefined || last === first ? 0 : received / ((last - first) / 1000)
      resolve({name, code, signal, received, lost: LINES - received, digitsMissing: EXPECTED_DIGITS - digits, repeated, outOfOrder, streamRate: stream, wallRate: received / ((ended - started) / 1000), seconds: (ended - started) / 1000})
    })
  })
}

const fmt = (n) => Math.round(n).toLocaleString('en-US')
console.log(`bench/local: ${fmt(LINES)} lines from one process, ${ROUNDS} round(s); ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
const results = []
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? ['tug local', 'nf start'] : ['nf start', 'tug local']
    for (const name of order) {
      const r = await measure(name)
      results.push(r)
      console.log(
        `round ${round} ${name.padEnd(9)}: received ${fmt(r.received)}, lost ${fmt(r.lost)}${r.repeated ? `, repeated ${fmt(r.repeated)}` : ''}${r.outOfOrder ? `, out of order ${fmt(r.outOfOrder)}` : ''}${r.lost ? ` (${fmt(r.digitsMissing)} of ${fmt(EXPECTED_DIGITS)} digits missing: the rest came as pieces of cut lines)` : ''}, ` +
          `${fmt(r.streamRate)} lines/s over the stream, ${fmt(r.wallRate)} lines/s start to exit (${r.seconds.toFixed(2)} s, exit ${r.code ?? r.signal})`,
      )
    }
  }
} finally {
  rmSync(dir, {recursive: true, force: true})
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const summary = {}
for (const name of Object.keys(tools)) {
  const mine = results.filter((r) => r.name === name)
  summary[name] = {received: median(mine.map((r) => r.received)), lost: Math.max(...mine.map((r) => r.lost)), streamRate: median(mine.map((r) => r.streamRate)), wallRate: median(mine.map((r) => r.wallRate))}
  console.log(`${name.padEnd(9)} (median of ${mine.length}): received ${fmt(summary[name].received)}, lost at most ${fmt(summary[name].lost)}, ${fmt(summary[name].streamRate)} lines/s over the stream, ${fmt(summary[name].wallRate)} lines/s start to exit`)
}
const tug = summary['tug local']
const nf = summary['nf start']
console.log(`target: 0 lost (${tug.lost === 0 ? 'met' : 'NOT met'}), at least foreman's rate (${(tug.streamRate / nf.streamRate).toFixed(2)}× over the stream, ${(tug.wallRate / nf.wallRate).toFixed(2)}× start to exit)`)
console.log(JSON.stringify({lines: LINES, tug, foreman: nf, load: loadavg()}))
