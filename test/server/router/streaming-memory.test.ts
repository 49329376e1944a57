import assert from 'node:assert/strict'
import {fork, type ChildProcess} from 'node:child_process'
import {request} from 'node:http'
import {fileURLToPath} from 'node:url'
import {waitFor} from '../../helpers/wait-for.js'
import {startBackend, useRealHttp, type Backend} from './fixtures.js'

const SIZE = 100 * 1024 * 1024
const CHUNK = Buffer.alloc(64 * 1024, 0x61)
/** Generous: buffering a body whole would add at least its 100 MB. */
const MAX_GROWTH = 64 * 1024 * 1024

interface Mem {
  rss: number
  heapUsed: number
  external: number
  arrayBuffers: number
}

describe('router streaming: 100 MB each way, router memory flat', function () {
  this.timeout(180_000)
  useRealHttp()
  let backend: Backend
  let child: ChildProcess | undefined
  let routerPort = 0
  const pending: Array<(mem: Mem) => void> = []

  before(async () => {
    backend = await startBackend('web.1', (req, res) => {
      if (req.method === 'POST') {
        let bytes = 0
        req.on('data', (chunk: Buffer) => (bytes += chunk.length))
        req.on('end', () => res.end(String(bytes)))
        return
      }
      res.writeHead(200, {'content-length': String(SIZE)})
      let sent = 0
      const pump = (): void => {
        while (sent < SIZE) {
          sent += CHUNK.length
          if (!res.write(CHUNK)) return void res.once('drain', pump)
        }
        res.end()
      }
      pump()
    })
    const script = fileURLToPath(new URL('router-process.ts', import.meta.url))
    child = fork(script, [], {execArgv: ['--import', 'tsx'], env: {...process.env, ROUTER_TEST_DYNO_PORT: String(backend.port)}, stdio: ['ignore', 'inherit', 'inherit', 'ipc']})
    child.on('message', (message: {port?: number; mem?: Mem}) => {
      if (message.port) routerPort = message.port
      if (message.mem) pending.shift()?.(message.mem)
    })
    await waitFor(() => routerPort !== 0, {what: 'the router process to listen', timeoutMs: 60_000})
  })

  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    }
    await backend.close()
  })

  function memory(): Promise<Mem> {
    return new Promise((resolve) => {
      pending.push(resolve)
      child?.send('mem')
    })
  }

  /** Samples the router's memory while `work` runs; returns the peak rss and external growth. */
  async function peakDuring(work: () => Promise<void>): Promise<{rss: number; external: number}> {
    const base = await memory()
    let peak = {rss: 0, external: 0}
    let done = false
    const sampler = (async () => {
      while (!done) {
        const mem = await memory()
        peak = {rss: Math.max(peak.rss, mem.rss - base.rss), external: Math.max(peak.external, mem.external + mem.heapUsed - base.external - base.heapUsed)}
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    })()
    try {
      await work()
    } finally {
      done = true
      await sampler
    }
    return peak
  }

  it('streams a 100 MB upload', async () => {
    let answer = ''
    const peak = await peakDuring(
      () =>
        new Promise<void>((resolve, reject) => {
          const req = request({host: '127.0.0.1', port: routerPort, method: 'POST', headers: {host: 'shop.localhost', 'content-length': String(SIZE)}, agent: false}, (res) => {
            res.on('data', (chunk: Buffer) => (answer += chunk.toString()))
            res.on('end', resolve)
          })
          req.on('error', reject)
          let sent = 0
          const pump = (): void => {
            while (sent < SIZE) {
              sent += CHUNK.length
              if (!req.write(CHUNK)) return void req.once('drain', pump)
            }
            req.end()
          }
          pump()
        }),
    )
    assert.equal(answer, String(SIZE))
    assert.ok(peak.rss < MAX_GROWTH, `router rss grew by ${peak.rss} bytes`)
    assert.ok(peak.external < MAX_GROWTH, `router heap+external grew by ${peak.external} bytes`)
  })

  it('streams a 100 MB download', async () => {
    let received = 0
    const peak = await peakDuring(
      () =>
        new Promise<void>((resolve, reject) => {
          const req = request({host: '127.0.0.1', port: routerPort, headers: {host: 'shop.localhost'}, agent: false}, (res) => {
            res.on('data', (chunk: Buffer) => (received += chunk.length))
            res.on('end', resolve)
            res.on('error', reject)
          })
          req.on('error', reject)
          req.end()
        }),
    )
    assert.equal(received, SIZE)
    assert.ok(peak.rss < MAX_GROWTH, `router rss grew by ${peak.rss} bytes`)
    assert.ok(peak.external < MAX_GROWTH, `router heap+external grew by ${peak.external} bytes`)
  })
})
