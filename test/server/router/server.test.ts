// startServer with the router: web_url names the router's real port, requests reach it, and
// close() releases it.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {createServer} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {startServer, type RunningServer} from '../../../src/server/index.js'
import {StoreOnlyRuntime} from '../../helpers/store-only-runtime.js'
import {fetchVia, useRealHttp} from './fixtures.js'

const ACCEPT = 'application/vnd.heroku+json; version=3'

describe('startServer with the router', function () {
  this.timeout(30_000)
  useRealHttp()
  let dir: string
  let server: RunningServer | undefined

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tug-router-server-'))
  })

  afterEach(async () => {
    await server?.close()
    server = undefined
    rmSync(dir, {recursive: true, force: true})
  })

  async function createApp(name: string): Promise<{web_url: string}> {
    const token = readFileSync(server?.adminTokenPath ?? assert.fail(), 'utf8').trim()
    const response = await fetch(`${server?.url}/apps`, {
      method: 'POST',
      headers: {Accept: ACCEPT, Authorization: `Bearer ${token}`, 'Content-Type': 'application/json'},
      body: JSON.stringify({name}),
    })
    assert.equal(response.status, 201)
    return (await response.json()) as {web_url: string}
  }

  it("serves apps on the router's port, names it in web_url, and releases it on close", async () => {
    server = await startServer({dataDir: dir, port: 0, router: {host: '127.0.0.1', port: 0}, runtime: (store) => new StoreOnlyRuntime(store)})
    const port = server.routerPort ?? assert.fail('the router listens')
    assert.equal(server.routerError, undefined)
    assert.equal((await createApp('shop')).web_url, `http://shop.localhost:${port}/`)
    assert.equal((await fetchVia(port, 'shop.localhost')).status, 503)
    assert.equal((await fetchVia(port, 'other.localhost')).status, 404)
    await server.close()
    server = undefined
    // The port is free again.
    const probe = createServer()
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(port, '127.0.0.1', resolve))
    await new Promise<void>((resolve) => probe.close(() => resolve()))
  })

  it('web_url uses the first router domain', async () => {
    server = await startServer({dataDir: dir, port: 0, router: {host: '127.0.0.1', port: 0, domains: ['Apps.Example.com']}, runtime: (store) => new StoreOnlyRuntime(store)})
    assert.equal((await createApp('shop')).web_url, `http://shop.apps.example.com:${server.routerPort}/`)
  })

  it('a router port in use is reported, not fatal', async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    try {
      const port = (taken.address() as {port: number}).port
      server = await startServer({dataDir: dir, port: 0, router: {host: '127.0.0.1', port}, runtime: (store) => new StoreOnlyRuntime(store)})
      assert.equal(server.routerPort, undefined)
      assert.match(server.routerError ?? '', /EADDRINUSE/)
      // Without a running router, web_url keeps the default address.
      assert.equal((await createApp('shop')).web_url, 'http://shop.localhost:5080/')
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()))
    }
  })
})
