#!/usr/bin/env node
// Startup benchmark: the median wall time of `tug --version` against `node -e 0`, run
// interleaved so that a busy machine slows both alike. The target (issue 2) is a ratio <= 3.
//
//   bench/cli-startup [-n RUNS] [--json] [--check]
//
// --check exits 1 when the ratio is above the target (off by default: timing on a shared CI
// machine is noisy, so the number is reported rather than enforced).
import {execFileSync, spawnSync} from 'node:child_process'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'

const TARGET_RATIO = 3
const root = fileURLToPath(new URL('..', import.meta.url))

function parseArgs(argv) {
  const options = {runs: 15, json: false, check: false}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--json') options.json = true
    else if (arg === '--check') options.check = true
    else if (arg === '-n' || arg === '--runs') options.runs = Number(argv[++i])
    else if (/^\d+$/.test(arg)) options.runs = Number(arg)
    else {
      console.error(`usage: bench/cli-startup [-n RUNS] [--json] [--check]  (unknown argument: ${arg})`)
      process.exit(2)
    }
  }
  if (!Number.isInteger(options.runs) || options.runs < 1) {
    console.error('bench/cli-startup: RUNS must be a positive integer')
    process.exit(2)
  }
  return options
}

function timeRun(args) {
  const started = performance.now()
  const result = spawnSync(process.execPath, args, {cwd: root, encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
  const elapsed = performance.now() - started
  if (result.status !== 0) {
    console.error(`bench/cli-startup: \`node ${args.join(' ')}\` exited with ${result.status ?? result.signal}\n${result.stderr}`)
    process.exit(1)
  }
  return {elapsed, stdout: result.stdout}
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

const options = parseArgs(process.argv.slice(2))

try {
  execFileSync(process.execPath, ['scripts/build.js', '--if-needed'], {cwd: root, stdio: 'inherit'})
} catch {
  console.error('bench/cli-startup: the build failed (see above); fix it before measuring')
  process.exit(1)
}

const tugArgs = ['bin/run.js', '--version']
const nodeArgs = ['-e', '0']

// One untimed run of each warms the file-system cache and any compile cache.
const version = timeRun(tugArgs).stdout.trim()
timeRun(nodeArgs)

const tug = []
const node = []
for (let i = 0; i < options.runs; i++) {
  tug.push(timeRun(tugArgs).elapsed)
  node.push(timeRun(nodeArgs).elapsed)
}

const tugMedian = median(tug)
const nodeMedian = median(node)
const ratio = tugMedian / nodeMedian

if (options.json) {
  const round = (ms) => Math.round(ms * 10) / 10
  console.log(JSON.stringify({version, runs: options.runs, tugMs: round(tugMedian), nodeMs: round(nodeMedian), ratio: Math.round(ratio * 100) / 100, target: TARGET_RATIO}))
} else {
  console.log(`tug --version: median ${Math.round(tugMedian)} ms; node -e 0: median ${Math.round(nodeMedian)} ms; ratio ${ratio.toFixed(1)}x (target <= ${TARGET_RATIO}x)`)
}

if (options.check && ratio > TARGET_RATIO) process.exit(1)
