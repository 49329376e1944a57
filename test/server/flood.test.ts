// A flood of the public router port must never take the API down (issue 14, item 4). The
// reproduction: ~20,100 idle connections to the router made /healthz, /apps and scaling fail, as
// router, API and rendezvous share one process and one descriptor limit with no cap. Here a real
// control plane runs in its own process (its own descriptor limit), two flood processes hold
// 20,000 idle connections to its router from 100 loopback addresses (200 each, under the cap per
// address), and the API must answer within 1 s while the router, full, answers a clear 503.
import assert from 'node:assert/strict'
import {spawn, type ChildProcess, type ChildProcessByStdio} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {request} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Readable, Writable} from 'node:stream'
import {fileURLToPath} from 'node:url'
import {afterEach, describe, it} from 'mocha'
import {connectionCaps, type ConnectionCaps, type FileLimit} from '../../src/server/limits.js'
import {BUSY_BAND, BUSY_BODY} from '../../src/server/router/connections.js'
import {ACCEPT_V3} from '../helpers/api-server.js'
import {waitFor} from '../helpers/wait-for.js'

const SERVER = fileURLToPath(new URL('./fixtures/flood-server.ts', import.meta.url))
const CLIENT = fileURLToPath(new URL('./fixtures/flood-client.ts', import.meta.url))
const FLOOD = 20_000
const PER_ADDRESS = 200
const CLIENTS = 2

interface Started {
  url: string
  routerPort: number
  fileLimit: FileLimit
  connectionCaps: ConnectionCaps
}

interface FloodStatus {
  settled: boolean
  open: number
  closed: number
  failed: number
}

type Flood = ChildProcessByStdio<Writable, Readable, null>

/** A plain request on a new connection (no keep-alive pool), with how long it took. */
function get(url: string, headers: Record<string, string> = {}): Promise<{status: number; body: string; ms: number}> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const req = request(url, {headers, agent: false}, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({status: res.statusCode ?? 0, body, ms: performance.now() - started}))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

describe('a flood of the router port', function () {
  this.timeout(120_000)
  const children: ChildProcess[] = []
  let dataDir = ''

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode !== null || child.signalCode !== null) continue
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    }
    if (dataDir) rmSync(dataDir, {recursive: true, force: true})
  })

  it('holds 20,000 idle router connections while the API answers GET /apps within 1 s', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tug-flood-'))
    // The caps are the defaults, derived from the process's descriptor limit. Only the time to send
    // headers is long, so that the flood stays held for the whole test (its own test is in
    // test/server/router/connections.test.ts).
    const server = spawn(process.execPath, ['--import', 'tsx', SERVER, dataDir, JSON.stringify({headersTimeoutMs: 300_000})], {stdio: ['ignore', 'pipe', 'pipe']})
    children.push(server)
    let output = ''
    let warnings = ''
    server.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    server.stderr.setEncoding('utf8').on('data', (chunk: string) => (warnings += chunk))
    const line = await waitFor(() => output.split('\n').find((l) => l.startsWith('{')), {what: () => `the control plane to listen (stderr: ${warnings})`, timeoutMs: 30_000})
    const started = JSON.parse(line) as Started
    assert.equal(started.fileLimit.soft, started.fileLimit.hard, 'the soft descriptor limit is raised to the hard one')
    assert.deepEqual(started.connectionCaps, connectionCaps(started.fileLimit.soft))
    const cap = started.connectionCaps.router
    assert.ok(cap < FLOOD, `the router's cap (${cap}) is below the flood, so the flood meets it`)

    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()
    const api = {Accept: ACCEPT_V3, Authorization: `Bearer ${token}`}
    const created = await fetch(`${started.url}/apps`, {method: 'POST', headers: {...api, 'Content-Type': 'application/json'}, body: JSON.stringify({name: 'flooded'})})
    assert.equal(created.status, 201)

    // 127.0.0.2-127.0.0.101: 100 addresses, 200 connections from each, half per flood process.
    const addresses = Array.from({length: FLOOD / PER_ADDRESS}, (_, i) => `127.0.0.${i + 2}`)
    const floods: Flood[] = []
    const statuses: FloodStatus[] = []
    for (let c = 0; c < CLIENTS; c++) {
      const mine = addresses.filter((_, i) => i % CLIENTS === c)
      const flood = spawn(process.execPath, ['--import', 'tsx', CLIENT, String(started.routerPort), String(PER_ADDRESS), ...mine], {stdio: ['pipe', 'pipe', 'inherit']})
      children.push(flood)
      floods.push(flood)
      let text = ''
      flood.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk
        const lines = text.split('\n')
        text = lines.pop() ?? ''
        for (const l of lines) statuses[c] = JSON.parse(l) as FloodStatus
      })
    }
    const ask = async (): Promise<FloodStatus> => {
      statuses.length = 0
      for (const flood of floods) flood.stdin.write('status\n')
      const all = await waitFor(() => statuses.length === CLIENTS && statuses.every(Boolean) && statuses, {what: 'the flood processes to answer', timeoutMs: 10_000})
      return all.reduce((sum, s) => ({settled: sum.settled && s.settled, open: sum.open + s.open, closed: sum.closed + s.closed, failed: sum.failed + s.failed}))
    }
    let last: FloodStatus | undefined
    await waitFor(
      async () => {
        last = await ask()
        return last.settled
      },
      {what: () => `20,000 connections to be attempted (${JSON.stringify(last)})`, timeoutMs: 60_000, intervalMs: 250},
    )
    assert.equal((last as FloodStatus).open + (last as FloodStatus).closed + (last as FloodStatus).failed, FLOOD)
    // The router holds its cap; the band over it waits for a request (2 s) and closes; the rest is closed as accepted.
    await waitFor(
      async () => {
        last = await ask()
        return last.open === cap
      },
      {what: () => `the router to hold exactly its cap of ${cap} (${JSON.stringify(last)})`, timeoutMs: 30_000, intervalMs: 250},
    )
    assert.ok((last as FloodStatus).closed >= FLOOD - cap - BUSY_BAND - (last as FloodStatus).failed)

    // The API, meanwhile: on new connections, within 1 s.
    const apps = await get(`${started.url}/apps`, api)
    assert.equal(apps.status, 200)
    assert.deepEqual((JSON.parse(apps.body) as Array<{name: string}>).map((a) => a.name), ['flooded'])
    assert.ok(apps.ms < 1000, `GET /apps took ${Math.round(apps.ms)} ms`)
    const health = await get(`${started.url}/healthz`)
    assert.equal(health.status, 200)
    assert.ok(health.ms < 1000, `GET /healthz took ${Math.round(health.ms)} ms`)

    // A normal request to the full router gets a clear 503 (once the band has room: a connection
    // that comes while it is full is closed, which the retry covers).
    const busy = await waitFor(
      async () => {
        try {
          return await get(`http://127.0.0.1:${started.routerPort}/`, {Host: 'flooded.localhost'})
        } catch {
          return undefined
        }
      },
      {what: 'an answer from the full router', timeoutMs: 15_000, intervalMs: 200},
    )
    assert.equal(busy.status, 503)
    assert.equal(busy.body, BUSY_BODY)
    // Said once a minute, not once per connection refused.
    assert.equal(warnings.match(/^router: \d+ connections open, its limit/gm)?.length, 1, warnings)

    // The flood goes: the router serves the app again (no web dyno: H14, from the app's route).
    for (const flood of floods) flood.stdin.end()
    await Promise.all(floods.map((flood) => new Promise((resolve) => (flood.exitCode === null ? flood.once('exit', resolve) : resolve(undefined)))))
    const served = await waitFor(
      async () => {
        const answer = await get(`http://127.0.0.1:${started.routerPort}/`, {Host: 'flooded.localhost'}).catch(() => undefined)
        return answer?.body.includes('(H14)') ? answer : undefined
      },
      {what: 'the router to route again', timeoutMs: 15_000, intervalMs: 100},
    )
    assert.equal(served.status, 503)

    const exited = new Promise((resolve) => server.once('exit', resolve))
    server.kill('SIGTERM')
    await exited
  })
})
