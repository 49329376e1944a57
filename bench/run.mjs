#!/usr/bin/env node
// `tug run` benchmark (issue 6): the median wall time of `tug run -a APP -- true`, from the CLI's
// start to its exit, against a local control plane started here (`tug server` on free ports, in a
// temp data dir, with a deployed one-line app). The target is under 400 ms.
//
//   bench/run [-n RUNS] [--json] [--rendezvous]
//
// --rendezvous measures the Heroku-compatible path (TUG_ATTACH=rendezvous) instead of tug's own.
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'

const TARGET_MS = 400
const root = fileURLToPath(new URL('..', import.meta.url))
const bin = join(root, 'bin', 'run.js')

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

async function startServer(dataDir, home) {
  const child = spawn(process.execPath, [bin, 'server', '--port', '0', '--rendezvous-port', '0', '--router-port', '0', '--data-dir', dataDir], {
    cwd: root,
    env: {...process.env, HOME: home, NO_COLOR: '1'},
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk) => (output += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk))
  const deadline = Date.now() + 30_000
  while (!/Use it with/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`tug server did not start:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const url = /listening on (\S+)/.exec(output)[1]
  const caFile = /CA file: (\S+)\)/.exec(output)?.[1]
  return {child, url, caFile}
}

async function main() {
  const options = parseArgs(process.argv.slice(2))
  execFileSync(process.execPath, [join(root, 'scripts', 'build.js'), '--if-needed'], {cwd: root, stdio: ['ignore', 'ignore', 'inherit']})
  const temp = mkdtempSync(join(tmpdir(), 'tug-bench-run-'))
  const dataDir = join(temp, 'data')
  const home = join(temp, 'home')
  const code = join(temp, 'code')
  for (const dir of [dataDir, home, code]) mkdirSync(dir, {recursive: true})
  writeFileSync(join(code, 'Procfile'), 'worker: sleep 1000\n')
  const server = await startServer(dataDir, home)
  const env = {
    ...process.env,
    HOME: home,
    NO_COLOR: '1',
    TUG_API_URL: server.url,
    TUG_API_KEY: readFileSync(join(dataDir, 'admin-token'), 'utf8').trim(),
    ...(server.caFile ? {TUG_CA_FILE: server.caFile} : {}),
    ...(options.rendezvous ? {TUG_ATTACH: 'rendezvous'} : {}),
  }
  const tug = (args) => spawnSync(process.execPath, [bin, ...args], {cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
  try {
    for (const args of [['apps:create', 'bench', '--no-remote'], ['deploy', code, '-a', 'bench']]) {
      const result = tug(args)
      if (result.status !== 0) throw new Error(`tug ${args.join(' ')} failed:\n${result.stderr}`)
    }
    const times = []
    // One warm-up run (the first one-off of an app, caches of the OS).
    for (let i = 0; i <= options.runs; i++) {
      const started = performance.now()
      const result = tug(['run', '-a', 'bench', '--', 'true'])
      const elapsed = performance.now() - started
      if (result.status !== 0) throw new Error(`tug run -- true exited ${result.status}:\n${result.stderr}`)
      if (i > 0) times.push(elapsed)
    }
    const result = {
      path: options.rendezvous ? 'rendezvous' : 'tug-attach/1',
      runs: times.length,
      median_ms: Math.round(median(times)),
      min_ms: Math.round(Math.min(...times)),
      max_ms: Math.round(Math.max(...times)),
      target_ms: TARGET_MS,
    }
    if (options.json) console.log(JSON.stringify(result))
    else {
      console.log(`tug run -- true (${result.path}), ${result.runs} runs: median ${result.median_ms} ms (min ${result.min_ms}, max ${result.max_ms}); target < ${TARGET_MS} ms`)
    }
  } finally {
    try {
      process.kill(-server.child.pid, 'SIGTERM')
    } catch {
      // already gone
    }
    await new Promise((resolve) => (server.child.exitCode !== null ? resolve() : server.child.once('exit', resolve)))
    rmSync(temp, {recursive: true, force: true})
  }
}

main().catch((error) => {
  console.error(`bench/run: ${error.message}`)
  process.exit(1)
})
