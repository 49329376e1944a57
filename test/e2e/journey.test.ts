// The README's first ten minutes, as a new user lives them: on a fresh HOME, the demo behind
// `npm run demo` (scripts/demo.js) run end to end with CI=true and no stdin, then the
// `tug server:stop` it tells the user about. Asserts what the user sees, and that afterwards no
// process of the demo is left.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {createServer, type Server} from 'node:http'
import {mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {cleanEnv, collectOutput, ensureBuilt, ROOT, runTug, type RunResult} from '../helpers/control-plane.js'
import {getThroughRouter} from '../helpers/router-client.js'
import {waitFor} from '../helpers/wait-for.js'

interface Leftover {
  pid: number
  cmdline: string
  why: string
}

/**
 * Every process the demo may have started: anything with the demo's HOME in its environment (the
 * CLIs, the control plane and, through it, the dynos), a dyno (TUG_DYNO_ID) running in the data
 * directory, or a command line that names the data directory.
 */
function demoProcesses(home: string): Leftover[] {
  const found: Leftover[] = []
  const dataDir = join(home, '.local', 'share', 'tug')
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0')
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim()
      let cwd = ''
      try {
        cwd = readlinkSync(`/proc/${entry}/cwd`)
      } catch {
        // a zombie has no cwd
      }
      const why = environ.includes(`HOME=${home}`)
        ? 'HOME is the demo home'
        : environ.some((v) => v.startsWith('TUG_DYNO_ID=')) && cwd.startsWith(home)
          ? 'a dyno in the demo data dir'
          : cmdline.includes(dataDir)
            ? 'names the data dir'
            : ''
      if (why !== '') found.push({pid: Number(entry), cmdline, why})
    } catch {
      // gone, or not ours to read
    }
  }
  return found
}

function runDemo(home: string): Promise<RunResult> {
  // As in the "done when": CI=true and no stdin. The router takes any free port, so the
  // test never competes with a demo the developer left running on 5080.
  const env = cleanEnv({HOME: home, CI: 'true', TUG_DEMO_TAIL_SECONDS: '4', TUG_ROUTER_PORT: '0'})
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'demo.js')], {cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe']})
  return collectOutput(child, 'the demo', 150_000)
}

/** The lines between the line that is `start` and the next one that starts with `end`. */
function section(text: string, start: string, end: RegExp): string[] {
  const lines = text.split('\n')
  const from = lines.indexOf(start)
  assert.notEqual(from, -1, `the demo's output has no line ${JSON.stringify(start)}:\n${text}`)
  const rest = lines.slice(from + 1)
  const to = rest.findIndex((line) => end.test(line))
  return to === -1 ? rest : rest.slice(0, to)
}

describe('e2e: the README quick start, as a new user runs it', function () {
  this.timeout(240_000)
  let home: string
  let demo: {code: number | null; stdout: string; stderr: string}

  before(async () => {
    ensureBuilt()
    // realpath: /proc shows real paths, and a symlinked tmp dir would hide every match.
    home = realpathSync(mkdtempSync(join(tmpdir(), 'tug-journey-')))
    demo = await runDemo(home)
  })

  after(() => {
    for (const leftover of demoProcesses(home)) {
      try {
        process.kill(leftover.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    rmSync(home, {recursive: true, force: true})
  })

  it('npm run demo exits 0 after creating and deploying the app', () => {
    assert.equal(demo.code, 0, `the demo failed\nstdout: ${demo.stdout}\nstderr: ${demo.stderr}`)
    assert.match(demo.stdout, /^\$ tug apps:create demo --no-remote$/m)
    assert.match(demo.stdout + demo.stderr, /^Released v2 on demo$/m)
  })

  it('shows five dynos up in tug ps: web.1, web.2, worker.1, worker.2, clock.1', () => {
    const ps = section(demo.stdout, '$ tug ps -a demo', /^\d\. /)
    const up = ps.filter((line) => /^(web|worker|clock)\.\d+: up \d{4}\/\d\d\/\d\d /.test(line)).map((line) => line.split(':')[0]).sort()
    assert.deepEqual(up, ['clock.1', 'web.1', 'web.2', 'worker.1', 'worker.2'], ps.join('\n'))
    assert.ok(ps.includes('=== web (Standard-1X): node web.js (2)'), ps.join('\n'))
  })

  it("shows the one-off dyno's output on the terminal, and tug run's exit status", () => {
    const oneOff = section(demo.stdout, '4. A one-off dyno: its output, and its exit status as tug exits with it', /^\d\. /)
    assert.ok(
      oneOff.some((line) => /^hello from run\.\d+ in \//.test(line)),
      `the one-off's output is not on the terminal:\n${oneOff.join('\n')}\nstderr: ${demo.stderr}`,
    )
    assert.ok(oneOff.includes('tug run exited with status 3'), oneOff.join('\n'))
  })

  it('tails log lines of at least two dynos and of the platform', () => {
    const logs = section(demo.stdout, "5. Every dyno's output and the platform's events, as one stream", /^Next, try:$/)
    const dynos = new Set(logs.map((line) => /^\S+ app\[([\w.-]+)\]: /.exec(line)?.[1]).filter((d) => d !== undefined))
    assert.ok(dynos.size >= 2, `log lines from ${dynos.size} dyno(s):\n${logs.join('\n')}`)
    assert.ok(
      logs.some((line) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 tug\[[\w.-]+\]: /.test(line)),
      `no platform line:\n${logs.join('\n')}`,
    )
  })

  it('ends with the commands to try next and how to stop the control plane', () => {
    assert.match(demo.stdout, /^ {2}\.\/bin\/run\.js ps -a demo$/m)
    assert.match(demo.stdout, /^ {2}\.\/bin\/run\.js server:stop +# stops the control plane and its dynos$/m)
  })

  it('leaves only the control plane and its dynos running, and tug server:stop stops all of it', async () => {
    assert.ok(demoProcesses(home).length > 0, 'the demo says it leaves the control plane running')
    const stop = await runTug(['server:stop'], {env: {HOME: home}, timeoutMs: 60_000})
    assert.equal(stop.code, 0, stop.stderr)
    assert.match(stop.stdout + stop.stderr, /^Stopped the tug server \(pid \d+\)/m)
    const leftovers = await waitFor(
      () => {
        const now = demoProcesses(home)
        return now.length === 0 ? now : undefined
      },
      {what: 'no process of the demo', timeoutMs: 15_000, intervalMs: 200},
    ).catch(() => demoProcesses(home))
    assert.deepEqual(leftovers, [])
  })
})

describe('e2e: a second HOME on the same machine, with the router port 5080 taken', function () {
  this.timeout(120_000)
  let home: string
  let holder: Server | undefined

  before(async () => {
    ensureBuilt()
    home = realpathSync(mkdtempSync(join(tmpdir(), 'tug-journey-2-')))
    // Whoever holds 5080 (another demo, or this listener) plays the first HOME's control plane.
    holder = createServer((_req, res) => res.end('not this HOME\n'))
    await new Promise<void>((resolve) => {
      holder!.once('error', () => {
        holder = undefined
        resolve()
      })
      holder!.listen(5080, '127.0.0.1', () => resolve())
    })
  })

  after(async () => {
    await runTug(['server:stop'], {env: {HOME: home}, timeoutMs: 60_000}).catch(() => undefined)
    for (const leftover of demoProcesses(home)) {
      try {
        process.kill(leftover.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    await new Promise<void>((resolve) => (holder ? holder.close(() => resolve()) : resolve()))
    rmSync(home, {recursive: true, force: true})
  })

  it("gets a router of its own on a free port, and its web URL leads to its own dynos", async () => {
    const env = {HOME: home, CI: 'true'}
    assert.equal((await runTug(['apps:create', 'demo', '--no-remote'], {env})).code, 0)
    const deployed = await runTug(['deploy', 'examples/demo', '-a', 'demo'], {env, timeoutMs: 60_000})
    assert.equal(deployed.code, 0, deployed.stderr)
    const waited = await runTug(['ps:wait', '-a', 'demo', '--wait-interval', '1', '--timeout', '60'], {env, timeoutMs: 70_000})
    assert.equal(waited.code, 0, waited.stderr)
    const info = JSON.parse((await runTug(['apps:info', '-a', 'demo', '--json'], {env})).stdout) as {app: {web_url: string}}
    const url = new URL(info.app.web_url)
    assert.equal(url.hostname, 'demo.localhost')
    assert.notEqual(url.port, '5080')
    const answer = await waitForAnswer(Number(url.port), 'demo.localhost')
    assert.equal(answer, 'hello from web.1\n')
  })
})

/** GET through the router with a Host header (no reliance on *.localhost resolving), retried until a deadline. */
function waitForAnswer(port: number, host: string): Promise<string> {
  const answer = (): Promise<string | undefined> =>
    getThroughRouter(port, host).then(
      (got) => (got.status === 200 ? got.body : undefined),
      () => undefined,
    )
  return waitFor(answer, {what: `a 200 from 127.0.0.1:${port} (Host: ${host})`, timeoutMs: 20_000, intervalMs: 300})
}
