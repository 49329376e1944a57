// How much a tug build of examples/node-app costs beside the same `npm ci` run by hand (issue 15):
// a real control plane (`tug server` on free ports, in a temp data dir) and the real CLI deploy
// the app to a new app (cold: its build cache is empty) and again (warm: the cache of the first
// build), while in the same run `npm ci` installs a copy of the app with an empty npm cache
// directory (cold) and again with the same one (warm). The target: tug's build at most 1.15x the
// bare `npm ci` plus one second, cold and warm.
//
//   node bench/build [--trials 3] [--no-sandbox]
//
// A tug figure is `tug deploy DIR`, from its start to its exit (pack, upload, build, release):
// the deploy exits once the build succeeded and its release was made. Each figure is the median
// of --trials runs, interleaved (npm ci cold and warm, tug cold and warm, then again), each tug
// trial on an app of its own so that its first build is cold. The web dyno of each app is scaled
// to 0 after its first deploy, so that no dyno competes with the builds. Builds dist/ first when
// needed; removes everything it made.
import {execFile, execFileSync, spawn} from 'node:child_process'
import {cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const bin = join(root, 'bin', 'run.js')
const app = join(root, 'examples', 'node-app')
const RATIO = 1.15
const PLUS_S = 1

function parseArgs(argv) {
  const options = {trials: 3, sandbox: true}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--trials') options.trials = Number(argv[++i])
    else if (arg === '--no-sandbox') options.sandbox = false
    else {
      console.error(`usage: bench/build [--trials N] [--no-sandbox]  (unknown argument: ${arg})`)
      process.exit(2)
    }
  }
  if (!Number.isInteger(options.trials) || options.trials < 1) {
    console.error('bench/build: --trials must be a positive integer')
    process.exit(2)
  }
  return options
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Runs a command to its end; resolves with its wall time in seconds, rejects with its output when it fails. */
function timed(file, args, options) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    execFile(file, args, {...options, maxBuffer: 64 * 1024 * 1024}, (error, stdout, stderr) => {
      const seconds = (performance.now() - started) / 1000
      if (error) reject(new Error(`${[file, ...args].join(' ')} failed (${error.code ?? error.signal}):\n${stdout}${stderr}`))
      else resolve({seconds, output: `${stdout}${stderr}`})
    })
  })
}

async function startServer(dataDir, home, sandbox) {
  const env = {...process.env, HOME: home, NO_COLOR: '1'}
  for (const key of Object.keys(env)) if (key.startsWith('TUG_')) delete env[key]
  const child = spawn(process.execPath, [bin, 'server', '--port', '0', '--rendezvous-port', '0', '--router-port', '0', '--data-dir', dataDir, sandbox ? '--sandbox' : '--no-sandbox'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk) => (output += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk))
  const deadline = Date.now() + 60_000
  while (!/Use it with/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`tug server did not start:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return {child, url: /listening on (\S+)/.exec(output)[1], sandbox: /^Sandbox:\s+(.*)$/m.exec(output)?.[1] ?? 'unknown'}
}

async function main() {
  const options = parseArgs(process.argv.slice(2))
  execFileSync(process.execPath, [join(root, 'scripts', 'build.js'), '--if-needed'], {cwd: root, stdio: ['ignore', 'ignore', 'inherit']})
  const temp = mkdtempSync(join(tmpdir(), 'tug-bench-build-'))
  const dataDir = join(temp, 'data')
  const home = join(temp, 'home')
  for (const dir of [dataDir, home]) mkdirSync(dir, {recursive: true})
  const server = await startServer(dataDir, home, options.sandbox)
  const env = {...process.env, HOME: home, NO_COLOR: '1', TUG_API_URL: server.url, TUG_API_KEY: readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()}
  const tug = (args) => timed(process.execPath, [bin, ...args], {cwd: root, env})
  // npm as a user runs it, with the flags tug's buildpack gives it (no audit, no fund, offline first).
  const npmCi = (dir, cache) => timed('npm', ['ci', '--cache', cache, '--prefer-offline', '--no-audit', '--no-fund'], {cwd: dir, env: {...process.env, npm_config_update_notifier: 'false'}})
  const times = {npmCold: [], npmWarm: [], tugCold: [], tugWarm: []}
  const loadBefore = loadavg()[0]
  try {
    for (let trial = 1; trial <= options.trials; trial++) {
      const copy = join(temp, `npm-${trial}`)
      const cache = join(temp, `npm-cache-${trial}`)
      cpSync(app, copy, {recursive: true})
      times.npmCold.push((await npmCi(copy, cache)).seconds)
      rmSync(join(copy, 'node_modules'), {recursive: true, force: true})
      times.npmWarm.push((await npmCi(copy, cache)).seconds)
      rmSync(copy, {recursive: true, force: true})

      const name = `bench-${trial}`
      await tug(['apps:create', name, '--no-remote'])
      const cold = await tug(['deploy', app, '-a', name])
      if (!/The cache is empty/.test(cold.output)) throw new Error(`the first build of ${name} was not cold:\n${cold.output}`)
      times.tugCold.push(cold.seconds)
      await tug(['ps:scale', 'web=0', '-a', name])
      const warm = await tug(['deploy', app, '-a', name])
      if (!/Using the npm cache from the previous build/.test(warm.output)) throw new Error(`the second build of ${name} did not use the cache:\n${warm.output}`)
      times.tugWarm.push(warm.seconds)
      process.stderr.write(`trial ${trial}: npm ci ${times.npmCold.at(-1).toFixed(2)} s cold, ${times.npmWarm.at(-1).toFixed(2)} s warm; tug ${cold.seconds.toFixed(2)} s cold, ${warm.seconds.toFixed(2)} s warm\n`)
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

  const n = options.trials
  const packages = Object.keys(JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')).packages ?? {}).length - 1
  console.log(`examples/node-app (${packages} packages), median of ${n} trial${n === 1 ? '' : 's'}, sandbox: ${server.sandbox}, load ${loadBefore.toFixed(2)} before`)
  for (const kind of ['cold', 'warm']) {
    const npm = median(kind === 'cold' ? times.npmCold : times.npmWarm)
    const built = median(kind === 'cold' ? times.tugCold : times.tugWarm)
    const bound = RATIO * npm + PLUS_S
    console.log(`bare npm ci, ${kind}: ${npm.toFixed(2)} s`)
    console.log(`tug deploy, ${kind}: ${built.toFixed(2)} s`)
    console.log(`ratio ${kind}: ${(built / npm).toFixed(2)}x npm ci; target <= ${RATIO}x npm ci + ${PLUS_S} s = ${bound.toFixed(2)} s: ${built <= bound ? 'met' : 'NOT met'}`)
    console.log(`share of the target ${kind}: ${(built / bound).toFixed(2)} (met when <= 1)`)
  }
}

main().catch((error) => {
  console.error(`bench/build: ${error.message}`)
  process.exit(1)
})
