// How long `tug ps:scale web=N` takes from the command to all N web dynos up, and `web=0` to no
// dyno process left, on this machine, with a real control plane (`tug server` in a temp dir) and
// the real CLI, on examples/demo. Measured twice in one run: without the dyno sandbox
// (`tug server --no-sandbox`) and with it (bubblewrap, per-dyno overlay), when it works here (root
// and bwrap); the last line says what the sandbox adds to the time to all up.
//
//   node bench/scale [--dynos 50] [--trials 3]
//
// Each figure is the median of --trials scale-ups (and downs) on the same control plane. "Up" is
// read from the API (GET /apps/{app}/dynos, every dyno `up`: a web dyno is up once it accepts
// connections on its $PORT); "no process left" is read from /proc (no process whose environment
// carries TUG_DYNO_ID and whose cwd is in the control plane's data directory). Builds dist/ first
// when needed; removes everything it made.
import {execFile, execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync} from 'node:fs'
import {cpus, loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const bin = join(root, 'bin', 'run.js')
const args = process.argv.slice(2)
const index = args.indexOf('--dynos')
const dynos = index === -1 ? 50 : Number(args[index + 1]) || 50
const trialsIndex = args.indexOf('--trials')
const trials = trialsIndex === -1 ? 3 : Number(args[trialsIndex + 1]) || 3

execFileSync(process.execPath, [join(root, 'scripts', 'build.js'), '--if-needed'], {stdio: 'inherit'})

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const leaks = []

/** One control plane, one scale up and down; returns the figures. */
async function measure(sandbox) {
  const temp = mkdtempSync(join(tmpdir(), 'tug-bench-scale-'))
  const dataDir = join(temp, 'data')
  const env = {...process.env, HOME: temp, NO_COLOR: '1'}
  for (const key of Object.keys(env)) if (key.startsWith('TUG_') || key.startsWith('HEROKU_')) delete env[key]

  const server = spawn(process.execPath, [bin, 'server', '--port', '0', '--data-dir', dataDir, sandbox ? '--sandbox' : '--no-sandbox'], {env, detached: true, stdio: ['ignore', 'pipe', 'pipe']})
  let serverOut = ''
  server.stdout.setEncoding('utf8').on('data', (chunk) => (serverOut += chunk))
  server.stderr.setEncoding('utf8').on('data', (chunk) => (serverOut += chunk))

  function dynoProcesses() {
    const found = []
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      try {
        if (!readlinkSync(`/proc/${entry}/cwd`).startsWith(dataDir)) continue
        if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes('TUG_DYNO_ID=')) found.push(Number(entry))
      } catch {
        // gone meanwhile, or not ours
      }
    }
    return found
  }

  async function cleanup() {
    try {
      process.kill(-server.pid, 'SIGTERM')
    } catch {
      // gone
    }
    const deadline = Date.now() + 40_000
    while (server.exitCode === null && server.signalCode === null && Date.now() < deadline) await sleep(100)
    try {
      process.kill(-server.pid, 'SIGKILL')
    } catch {
      // gone
    }
    for (const pid of dynoProcesses()) {
      try {
        process.kill(-pid, 'SIGKILL')
      } catch {
        // gone
      }
    }
    // The control plane unmounts every dyno's overlay: one left is a bug, said after the figures.
    const left = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((line) => line.split(' ')[1] ?? '').filter((point) => point.startsWith(`${temp}/`))
    for (const point of left) execFileSync('umount', ['-l', point])
    if (left.length > 0) leaks.push(`${left.length} overlay(s) left mounted by the control plane ${sandbox ? 'with' : 'without'} the sandbox`)
    rmSync(temp, {recursive: true, force: true})
  }

  let tugEnv = env
  function tug(...argv) {
    return new Promise((resolve, reject) => {
      execFile(process.execPath, [bin, ...argv], {env: tugEnv, maxBuffer: 64 * 1024 * 1024}, (error, stdout, stderr) => {
        if (error) reject(new Error(`tug ${argv.join(' ')} failed: ${stderr || error.message}`))
        else resolve(stdout)
      })
    })
  }

  async function until(what, condition, timeoutMs = 300_000) {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (await condition()) return
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await sleep(20)
    }
  }

  /** The app's dynos straight from the API: a `tug ps` per poll would add its start-up (~0.3 s) to the figure's grain. */
  async function dynoList() {
    const response = await fetch(`${tugEnv.TUG_API_URL}/apps/bench/dynos`, {
      headers: {accept: 'application/vnd.heroku+json; version=3', authorization: `Bearer ${tugEnv.TUG_API_KEY}`},
    })
    if (!response.ok) throw new Error(`GET /apps/bench/dynos: ${response.status} ${await response.text()}`)
    return response.json()
  }

  try {
    await until('the control plane', () => /listening on (http:\S+)/.test(serverOut), 30_000)
    const url = /listening on (http:\S+)/.exec(serverOut)[1]
    tugEnv = {...env, TUG_API_URL: url, TUG_API_KEY: readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()}
    await tug('apps:create', 'bench', '--no-remote')
    await tug('deploy', join(root, 'examples', 'demo'), '-a', 'bench')
    await tug('ps:scale', 'web=0', '-a', 'bench')
    await until('no dyno process after the deploy', () => dynoProcesses().length === 0)

    const ups = []
    const downs = []
    let processes = 0
    for (let trial = 0; trial < trials; trial++) {
      const upStart = performance.now()
      await tug('ps:scale', `web=${dynos}`, '-a', 'bench')
      await until(`${dynos} web dynos up`, async () => {
        const list = await dynoList()
        return list.length === dynos && list.every((d) => d.state === 'up')
      })
      ups.push(performance.now() - upStart)
      processes = dynoProcesses().length

      const downStart = performance.now()
      await tug('ps:scale', 'web=0', '-a', 'bench')
      await until('no dyno process left', () => dynoProcesses().length === 0)
      downs.push(performance.now() - downStart)
    }
    const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]
    const upMs = median(ups)
    const downMs = median(downs)
    const each = (list) => list.map((ms) => (ms / 1000).toFixed(2)).join(', ')
    console.error(`${sandbox ? 'with' : 'without'} the sandbox, each trial: up ${each(ups)} s; down ${each(downs)} s`)
    return {upMs, downMs, processes}
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : error}\n${serverOut}`)
  } finally {
    await cleanup()
  }
}

/** Whether the sandbox can run here: what `tug server` checks (root, and bwrap that works). */
function sandboxWorks() {
  if (process.getuid?.() !== 0) return 'not root'
  try {
    execFileSync('bwrap', ['--ro-bind', '/', '/', '--unshare-pid', '--proc', '/proc', 'true'], {stdio: 'ignore'})
    return true
  } catch {
    return 'bubblewrap does not work here'
  }
}

try {
  console.log(`machine: ${cpus().length} cpus (${cpus()[0]?.model ?? 'unknown'}), load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  const results = {}
  const works = sandboxWorks()
  for (const sandbox of works === true ? [false, true] : [false]) {
    const {upMs, downMs, processes} = await measure(sandbox)
    results[sandbox] = upMs
    const label = sandbox ? 'with the sandbox' : 'without the sandbox'
    console.log(`ps:scale web=${dynos} ${label}: all ${dynos} up in ${(upMs / 1000).toFixed(2)} s (median of ${trials}; ${processes} dyno processes seen)`)
    console.log(`ps:scale web=0 ${label}: no dyno process left in ${(downMs / 1000).toFixed(2)} s (median of ${trials})`)
  }
  if (works === true) console.log(`the sandbox adds ${(((results.true - results.false) / results.false) * 100).toFixed(0)} % to the time to all up (target: at most 25 %)`)
  else console.log(`with the sandbox: not measured (${works})`)
  console.log('(each figure includes one `tug ps:scale` run, ~0.3 s of CLI start-up; the state is polled from the API every 20 ms)')
  for (const leak of leaks) console.error(leak)
  if (leaks.length > 0) process.exitCode = 1
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
}
