#!/usr/bin/env node
// `tug run` benchmark (issue 6): the median wall time of `tug run -a APP -- true`, from the CLI's
// start to its exit, against a local control plane started here (`tug server` on free ports, in a
// temp data dir, with a deployed one-line app). The target is under 400 ms, and (issue 19) at most
// 3x `tug --version`, timed in pairs with it in the same run so that load slows both alike.
//
//   bench/run [-n RUNS] [--json] [--rendezvous]
//
// --rendezvous measures the Heroku-compatible path (TUG_ATTACH=rendezvous) instead of tug's own.
import {execFileSync, spawnSync} from 'node:child_process'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'

import {bin, root, startBenchServer} from './lib/tug-server.mjs'

const TARGET_MS = 400
// Issue 19: `tug run -- true` at most this many times `tug --version`, measured in the same run.
const TARGET_RATIO = 3

function parseArgs(argv) {
  const options = {runs: 15, json: false, rendezvous: false}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--json') options.json = true
    else if (arg === '--rendezvous') options.rendezvous = true
    else if (arg === '-n' || arg === '--runs') options.runs = Number(argv[++i])
    else {
      console.error(`usage: bench/run [-n RUNS] [--json] [--rendezvous]  (unknown argument: ${arg})`)
      process.exit(2)
    }
  }
  if (!Number.isInteger(options.runs) || options.runs < 1) {
    console.error('bench/run: RUNS must be a positive integer')
    process.exit(2)
  }
  return options
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

async function main() {
  const options = parseArgs(process.argv.slice(2))
  execFileSync(process.execPath, [join(root, 'scripts', 'build.js'), '--if-needed'], {cwd: root, stdio: ['ignore', 'ignore', 'inherit']})
  const server = await startBenchServer({prefix: 'tug-bench-run', app: 'bench', extraEnv: options.rendezvous ? {TUG_ATTACH: 'rendezvous'} : {}})
  const timed = (args) => {
    const started = performance.now()
    const result = spawnSync(process.execPath, [bin, ...args], {cwd: root, env: server.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
    const elapsed = performance.now() - started
    if (result.status !== 0) throw new Error(`tug ${args.join(' ')} exited ${result.status}:\n${result.stderr}`)
    return elapsed
  }
  try {
    const times = []
    const versions = []
    const plains = []
    // One warm-up run of each (the first one-off of an app, caches of the OS), then triples. `tug ps`
    // is the reference row: a plain API command (one request) on the same server, so that what
    // `run` adds over any command (the one-off's start, the attach, the exit) shows apart from the
    // CLI's own start-up.
    for (let i = 0; i <= options.runs; i++) {
      const run = timed(['run', '-a', 'bench', '--', 'true'])
      const version = timed(['--version'])
      const plain = timed(['ps', '-a', 'bench'])
      if (i > 0) {
        times.push(run)
        versions.push(version)
        plains.push(plain)
      }
    }
    const result = {
      path: options.rendezvous ? 'rendezvous' : 'tug-attach/1',
      runs: times.length,
      median_ms: Math.round(median(times)),
      min_ms: Math.round(Math.min(...times)),
      max_ms: Math.round(Math.max(...times)),
      target_ms: TARGET_MS,
      version_median_ms: Math.round(median(versions)),
      ratio_to_version: Math.round((median(times) / median(versions)) * 100) / 100,
      ps_median_ms: Math.round(median(plains)),
      target_ratio: TARGET_RATIO,
    }
    if (options.json) console.log(JSON.stringify(result))
    else {
      console.log(`tug run -- true (${result.path}), ${result.runs} runs: median ${result.median_ms} ms (min ${result.min_ms}, max ${result.max_ms}); target < ${TARGET_MS} ms`)
      console.log(`tug --version in the same run: median ${result.version_median_ms} ms; ratio ${result.ratio_to_version}x (target <= ${TARGET_RATIO}x)`)
      console.log(`tug ps (reference: one plain API request) in the same run: median ${result.ps_median_ms} ms; run adds ${result.median_ms - result.ps_median_ms} ms over it`)
    }
  } finally {
    await server.stop()
  }
}

main().catch((error) => {
  console.error(`bench/run: ${error.message}`)
  process.exit(1)
})
