// The HTTP router end to end (issue 7): a real control plane (`tug server`, router on a free
// port), the real `tug` binary, examples/demo deployed, requests through `demo.localhost:<port>`.
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {Agent, request} from 'node:http'
import {connect} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {Dyno} from '../../src/shared/api-types.js'
import {ROOT, startControlPlane, type ControlPlane} from '../helpers/control-plane.js'
import {getThroughRouter, routerPortOf, type RouterAnswer} from '../helpers/router-client.js'
import {waitFor} from '../helpers/wait-for.js'
import {dynoProcesses, killDynoProcesses, killGroups} from './runtime-procs.js'

const DEMO = join(ROOT, 'examples', 'demo')
const ACCEPT = 'application/vnd.heroku+json; version=3'
/** Generous: a loaded 2-core machine starts node processes slowly. */
const CONVERGE_MS = 90_000

/** For waits on dyno state: each check asks the control plane, so every 100 ms is often enough. */
const CONVERGE = {timeoutMs: CONVERGE_MS, intervalMs: 100}

/** Process groups of the control plane's dynos as /proc shows them, by dyno name. */
function dynoGroups(dataDir: string): Map<string, Set<number>> {
  const groups = new Map<string, Set<number>>()
  for (const {dyno, pgid} of dynoProcesses(dataDir)) groups.set(dyno, (groups.get(dyno) ?? new Set<number>()).add(pgid))
  return groups
}

/** A web dyno that echoes WebSocket bytes, counts uploads and streams 100 MB downloads. */
const STREAM_APP = `
const {createServer} = require('node:http')
const {createHash} = require('node:crypto')
const SIZE = 100 * 1024 * 1024
const chunk = Buffer.alloc(64 * 1024, 0x61)
const server = createServer((req, res) => {
  if (req.method === 'POST') {
    let bytes = 0
    req.on('data', (c) => (bytes += c.length))
    req.on('end', () => res.end(String(bytes)))
    return
  }
  res.writeHead(200, {'content-length': String(SIZE)})
  let sent = 0
  const pump = () => {
    while (sent < SIZE) {
      sent += chunk.length
      if (!res.write(chunk)) return void res.once('drain', pump)
    }
    res.end()
  }
  pump()
})
server.on('upgrade', (req, socket) => {
  const accept = createHash('sha1').update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64')
  socket.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: ' + accept + '\\r\\n\\r\\n')
  socket.pipe(socket)
})
server.listen(Number(process.env.PORT))
process.on('SIGTERM', () => process.exit(0))
`

/** The control plane's resident memory, from /proc. */
function rssOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(match?.[1] ?? 0) * 1024
}

describe('e2e: the router in front of the demo app', function () {
  this.timeout(300_000)
  let plane: ControlPlane
  let routerPort = 0

  const get = (path = '/', agent?: Agent): Promise<RouterAnswer> => getThroughRouter(routerPort, `demo.localhost:${routerPort}`, {path, agent, timeoutMs: 60_000})

  async function dynos(): Promise<Dyno[]> {
    const response = await fetch(`${plane.url}/apps/demo/dynos`, {headers: {Accept: ACCEPT, Authorization: `Bearer ${plane.token}`}})
    assert.equal(response.status, 200)
    return (await response.json()) as Dyno[]
  }

  async function webStates(): Promise<string> {
    return (await dynos())
      .filter((d) => d.type === 'web')
      .map((d) => `${d.name}:${d.state}`)
      .sort()
      .join(' ')
  }

  async function tug(args: string[]): Promise<string> {
    const result = await plane.run(args, {timeoutMs: 120_000})
    assert.equal(result.code, 0, `tug ${args.join(' ')}\n${result.stdout}\n${result.stderr}`)
    return result.stdout
  }

  async function scaleWeb(quantity: number): Promise<void> {
    await tug(['ps:scale', `web=${quantity}`, '-a', 'demo'])
    const want = Array.from({length: quantity}, (_, i) => `web.${i + 1}:up`).join(' ')
    await waitFor(async () => (await webStates()) === want, {what: `web dynos: ${want || 'none'}`, ...CONVERGE})
  }

  /** Requests from `clients` keep-alive clients, back to back (paced), until stopped. */
  function steadyStream(clients = 3): {ok: () => number; stop: () => Promise<string[]>} {
    let running = true
    let ok = 0
    const failures: string[] = []
    const loops = Array.from({length: clients}, async () => {
      const agent = new Agent({keepAlive: true, maxSockets: 1})
      try {
        while (running) {
          try {
            const answer = await get('/', agent)
            if (answer.status === 200 && /^hello from web\.\d+\n$/.test(answer.body)) ok++
            else failures.push(`${answer.status} ${answer.body.slice(0, 200)}`)
          } catch (error) {
            failures.push((error as Error).message)
          }
          await new Promise((resolve) => setTimeout(resolve, 10))
        }
      } finally {
        agent.destroy()
      }
    })
    return {
      ok: () => ok,
      stop: async () => {
        running = false
        await Promise.all(loops)
        return failures
      },
    }
  }

  before(async () => {
    plane = await startControlPlane({env: {TUG_ROUTER_PORT: '0', TUG_STOP_GRACE_MS: '5000'}})
    routerPort = routerPortOf(plane)
    await tug(['apps:create', 'demo', '--no-remote'])
    await tug(['deploy', DEMO, '-a', 'demo'])
  })

  after(async () => {
    const dataDir = plane?.dataDir
    await plane?.close()
    if (dataDir) killDynoProcesses(dataDir)
  })

  it('with web=3, 60 requests reach all three dynos, and tug logs shows router lines', async () => {
    await scaleWeb(3)
    const agent = new Agent({keepAlive: true, maxSockets: 1})
    const seen = new Map<string, number>()
    try {
      for (let i = 0; i < 60; i++) {
        const answer = await get(`/n/${i}`, agent)
        assert.equal(answer.status, 200, answer.body)
        seen.set(answer.body.trim(), (seen.get(answer.body.trim()) ?? 0) + 1)
      }
    } finally {
      agent.destroy()
    }
    assert.deepEqual([...seen.keys()].sort(), ['hello from web.1', 'hello from web.2', 'hello from web.3'])
    for (const count of seen.values()) assert.ok(count >= 10, JSON.stringify([...seen]))
    await waitFor(async () => /tug\[router\]: at=info method=GET path="\/n\/59" host=demo\.localhost request_id=\S+ fwd="127\.0\.0\.1" dyno=web\.\d connect=\d+ms service=\d+ms status=200 bytes=17 protocol=http$/m.test(await tug(['logs', '-a', 'demo', '-n', '200', '--source', 'tug'])), {what: 'the router line in tug logs', timeoutMs: 30_000})
  })

  it('kill -9 of a web dyno during a steady stream: no request fails', async () => {
    await scaleWeb(3)
    const victim = dynoGroups(plane.dataDir).get('web.2')
    assert.ok(victim && victim.size > 0, 'web.2 runs')
    const stream = steadyStream()
    try {
      await waitFor(() => stream.ok() >= 30, {what: 'requests flowing', timeoutMs: 60_000})
      killGroups(victim)
      // Until web.2 runs again as a new process and is up, and some more requests.
      await waitFor(async () => {
        const now = dynoGroups(plane.dataDir).get('web.2')
        return now !== undefined && [...now].every((g) => !victim.has(g)) && (await webStates()) === 'web.1:up web.2:up web.3:up'
      }, {what: 'web.2 back up as a new process', ...CONVERGE})
      const after = stream.ok()
      await waitFor(() => stream.ok() >= after + 30, {what: 'more requests after the restart', timeoutMs: 60_000})
    } finally {
      assert.deepEqual(await stream.stop(), [])
    }
    const crashed = await tug(['logs', '-a', 'demo', '-n', '1500', '--source', 'tug', '--dyno', 'web.2'])
    assert.match(crashed, /tug\[web\.2\]: Process exited with status 137$/m)
  })

  it('ps:restart web with web=2: no request fails, and the dynos restart one at a time', async () => {
    await scaleWeb(2)
    const old = dynoGroups(plane.dataDir)
    const oldGroups = new Set([...(old.get('web.1') ?? []), ...(old.get('web.2') ?? [])])
    assert.equal(oldGroups.size, 2)
    const stream = steadyStream()
    const since = Date.now()
    try {
      await waitFor(() => stream.ok() >= 30, {what: 'requests flowing', timeoutMs: 60_000})
      await tug(['ps:restart', 'web', '-a', 'demo'])
      await waitFor(async () => {
        const now = dynoGroups(plane.dataDir)
        const groups = [...(now.get('web.1') ?? []), ...(now.get('web.2') ?? [])]
        return groups.length === 2 && groups.every((g) => !oldGroups.has(g)) && (await webStates()) === 'web.1:up web.2:up'
      }, {what: 'both web dynos restarted and up', ...CONVERGE})
      const after = stream.ok()
      await waitFor(() => stream.ok() >= after + 20, {what: 'more requests after the restart', timeoutMs: 60_000})
    } finally {
      assert.deepEqual(await stream.stop(), [])
    }

    // One at a time: web.2 got SIGTERM only once web.1 was up again.
    const lines = (await tug(['logs', '-a', 'demo', '-n', '1500', '--source', 'tug']))
      .split('\n')
      .filter((line) => Date.parse(line.slice(0, line.indexOf(' '))) >= since - 1000)
    const index = (pattern: RegExp, from = 0): number => lines.findIndex((line, i) => i >= from && pattern.test(line))
    const stop1 = index(/tug\[web\.1\]: Stopping all processes with SIGTERM$/)
    const up1 = index(/tug\[web\.1\]: State changed from starting to up$/, stop1 + 1)
    const stop2 = index(/tug\[web\.2\]: Stopping all processes with SIGTERM$/)
    assert.ok(stop1 >= 0 && up1 > stop1 && stop2 > up1, `not one at a time:\n${lines.join('\n')}`)
  })

  it('a WebSocket echo and 100 MB each way pass through, the control plane memory staying flat', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tug-e2e-stream-'))
    try {
      writeFileSync(join(dir, 'Procfile'), 'web: node stream.cjs\n')
      writeFileSync(join(dir, 'stream.cjs'), STREAM_APP)
      await tug(['apps:create', 'streamer', '--no-remote'])
      await tug(['deploy', dir, '-a', 'streamer'])
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
    await tug(['ps:scale', 'web=1', '-a', 'streamer'])
    const up = async (): Promise<boolean> => {
      const response = await fetch(`${plane.url}/apps/streamer/dynos`, {headers: {Accept: ACCEPT, Authorization: `Bearer ${plane.token}`}})
      return ((await response.json()) as Dyno[]).some((d) => d.name === 'web.1' && d.state === 'up')
    }
    await waitFor(up, {what: 'streamer web.1 up', ...CONVERGE})

    // WebSocket: the handshake and a masked frame echoed back byte for byte.
    const socket = connect(routerPort, '127.0.0.1')
    let received = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])))
    try {
      const key = 'dGhlIHNhbXBsZSBub25jZQ=='
      socket.write(`GET /ws HTTP/1.1\r\nHost: streamer.localhost:${routerPort}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`)
      await waitFor(() => received.includes('\r\n\r\n'), {what: 'the 101 answer', timeoutMs: 30_000})
      const end = received.indexOf('\r\n\r\n')
      const head = received.toString('latin1', 0, end)
      assert.match(head, /^HTTP\/1\.1 101 /)
      assert.ok(head.includes(`Sec-WebSocket-Accept: ${createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64')}`), head)
      received = received.subarray(end + 4)
      const mask = Buffer.from([9, 8, 7, 6])
      const frame = Buffer.concat([Buffer.from([0x81, 0x84]), mask, Buffer.from('ping').map((b, i) => b ^ (mask[i % 4] as number))])
      socket.write(frame)
      await waitFor(() => received.length >= frame.length, {what: 'the echo', timeoutMs: 30_000})
      assert.deepEqual(received, frame)
    } finally {
      socket.destroy()
    }

    const SIZE = 100 * 1024 * 1024
    const chunk = Buffer.alloc(64 * 1024, 0x62)
    const base = rssOf(plane.pid)
    let peak = 0
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(plane.pid) - base)), 50)
    try {
      const uploaded = await new Promise<string>((resolve, reject) => {
        const req = request({host: '127.0.0.1', port: routerPort, method: 'POST', path: '/upload', headers: {host: 'streamer.localhost', 'content-length': String(SIZE)}, agent: false}, (res) => {
          let text = ''
          res.on('data', (c: Buffer) => (text += c.toString()))
          res.on('end', () => resolve(text))
        })
        req.on('error', reject)
        let sent = 0
        const pump = (): void => {
          while (sent < SIZE) {
            sent += chunk.length
            if (!req.write(chunk)) return void req.once('drain', pump)
          }
          req.end()
        }
        pump()
      })
      assert.equal(uploaded, String(SIZE))
      const downloaded = await new Promise<number>((resolve, reject) => {
        const req = request({host: '127.0.0.1', port: routerPort, path: '/download', headers: {host: 'streamer.localhost'}, agent: false}, (res) => {
          let bytes = 0
          res.on('data', (c: Buffer) => (bytes += c.length))
          res.on('end', () => resolve(bytes))
          res.on('error', reject)
        })
        req.on('error', reject)
        req.end()
      })
      assert.equal(downloaded, SIZE)
    } finally {
      clearInterval(sampler)
    }
    // Generous: buffering either body whole would add at least its 100 MB.
    assert.ok(peak < 80 * 1024 * 1024, `the control plane grew by ${peak} bytes`)
    await tug(['ps:scale', 'web=0', '-a', 'streamer'])
  })

  it('with web=0, a request gets 503 and tug logs shows an H14 line', async () => {
    await scaleWeb(0)
    const answer = await get('/gone')
    assert.equal(answer.status, 503)
    assert.match(answer.body, /Application error/)
    await waitFor(
      async () => /tug\[router\]: at=error code=H14 desc="No web processes running" method=GET path="\/gone" host=demo\.localhost request_id=\S+ fwd="127\.0\.0\.1" dyno= connect= service= status=503 bytes= protocol=http$/m.test(await tug(['logs', '-a', 'demo', '-n', '100', '--source', 'tug'])),
      {what: 'the H14 line in tug logs', timeoutMs: 30_000},
    )
    const unknown = await getThroughRouter(routerPort, 'nosuch.localhost')
    assert.equal(unknown.status, 404)
  })
})
