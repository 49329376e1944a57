// startServer as a library: data dir, admin token file, restart, close.
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync} from 'node:fs'
import {connect} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'mocha'
import {startServer} from '../../src/server/index.js'
import {StoreOnlyRuntime} from '../helpers/store-only-runtime.js'
import {Store} from '../../src/server/store/index.js'
import {ACCEPT_V3} from '../helpers/api-server.js'

async function get(url: string, token: string, path = '/account'): Promise<Response> {
  return fetch(url + path, {headers: {Accept: ACCEPT_V3, Authorization: `Bearer ${token}`}})
}

function portIsClosed(url: string): Promise<boolean> {
  const {hostname, port} = new URL(url)
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname)
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(true))
  })
}

describe('startServer', () => {
  const dirs: string[] = []
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tug-server-test-'))
    dirs.push(dir)
    return dir
  }

  after(() => {
    for (const dir of dirs) rmSync(dir, {recursive: true, force: true})
  })

  it('creates the data dir, the database and a 0600 admin token that works', async () => {
    const dataDir = join(tempDir(), 'nested', 'home')
    const server = await startServer({dataDir, port: 0})
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.equal(server.adminTokenPath, join(dataDir, 'admin-token'))
      assert.equal(statSync(server.adminTokenPath).mode & 0o777, 0o600)
      assert.ok(existsSync(join(dataDir, 'tug.db')))
      const token = readFileSync(server.adminTokenPath, 'utf8')
      assert.match(token, /^tug_[A-Za-z0-9_-]{43}$/)
      const account = await get(server.url, token)
      assert.equal(account.status, 200)
      assert.equal(((await account.json()) as {email: string}).email, 'admin@tug.local')
    } finally {
      await server.close()
    }
  })

  it('keeps its state and its token across a restart', async () => {
    const dataDir = tempDir()
    const first = await startServer({dataDir, port: 0})
    const token = readFileSync(first.adminTokenPath, 'utf8')
    const created = await fetch(`${first.url}/apps`, {
      method: 'POST',
      headers: {Accept: ACCEPT_V3, Authorization: `Bearer ${token}`, 'Content-Type': 'application/json'},
      body: JSON.stringify({name: 'survivor'}),
    })
    assert.equal(created.status, 201)
    await first.close()
    const second = await startServer({dataDir, port: 0})
    try {
      assert.equal(readFileSync(second.adminTokenPath, 'utf8'), token)
      const app = await get(second.url, token, '/apps/survivor')
      assert.equal(app.status, 200)
    } finally {
      await second.close()
    }
  })

  it('writes a new admin token when the file is gone', async () => {
    const dataDir = tempDir()
    const first = await startServer({dataDir, port: 0})
    const old = readFileSync(first.adminTokenPath, 'utf8')
    await first.close()
    unlinkSync(join(dataDir, 'admin-token'))
    const second = await startServer({dataDir, port: 0})
    try {
      const fresh = readFileSync(second.adminTokenPath, 'utf8')
      assert.notEqual(fresh, old)
      assert.equal(statSync(second.adminTokenPath).mode & 0o777, 0o600)
      assert.equal((await get(second.url, fresh)).status, 200)
    } finally {
      await second.close()
    }
  })

  it('stops accepting a revoked token', async () => {
    const dataDir = tempDir()
    const server = await startServer({dataDir, port: 0})
    try {
      const store = new Store({path: join(dataDir, 'tug.db')})
      let secret: string
      try {
        const account = store.accounts.findByEmail('admin@tug.local')
        assert.ok(account)
        const created = store.tokens.create(account.id, 'ci')
        secret = created.secret
        assert.equal((await get(server.url, secret)).status, 200)
        assert.deepEqual(store.tokens.list().map((t) => t.description), ['admin token (created on first start)', 'ci'])
        store.tokens.revoke(created.token.id)
      } finally {
        store.close()
      }
      const denied = await get(server.url, secret)
      assert.equal(denied.status, 401)
    } finally {
      await server.close()
    }
  })

  it('honours publicUrl in capability URLs and bodyLimit', async () => {
    const dataDir = tempDir()
    const server = await startServer({dataDir, port: 0, publicUrl: 'https://tug.example.com/', bodyLimit: 200})
    try {
      const token = readFileSync(server.adminTokenPath, 'utf8')
      const headers = {Accept: ACCEPT_V3, Authorization: `Bearer ${token}`, 'Content-Type': 'application/json'}
      const big = await fetch(`${server.url}/apps`, {method: 'POST', headers, body: JSON.stringify({name: 'x'.repeat(300)})})
      assert.equal(big.status, 413)
      assert.deepEqual(await big.json(), {id: 'payload_too_large', message: 'Request body is too large: the limit is 200 bytes.'})
      await fetch(`${server.url}/apps`, {method: 'POST', headers, body: JSON.stringify({name: 'pub'})})
      const session = await fetch(`${server.url}/apps/pub/log-sessions`, {method: 'POST', headers, body: '{}'})
      const {logplex_url: url} = (await session.json()) as {logplex_url: string}
      assert.match(url, /^https:\/\/tug\.example\.com\/log-sessions\/[A-Za-z0-9_-]{43}\?tail=false$/)
    } finally {
      await server.close()
    }
  })

  it('calls the runtime it is given, and closes it', async () => {
    const calls: string[] = []
    const server = await startServer({
      dataDir: tempDir(),
      port: 0,
      runtime: (store) => {
        const inner = new StoreOnlyRuntime(store)
        return Object.assign(Object.create(inner) as StoreOnlyRuntime, {
          formationChanged: async (appId: string) => {
            calls.push('formationChanged')
            await inner.formationChanged(appId)
          },
          close: async () => {
            calls.push('close')
          },
        })
      },
    })
    try {
      const token = readFileSync(server.adminTokenPath, 'utf8')
      const headers = {Accept: ACCEPT_V3, Authorization: `Bearer ${token}`, 'Content-Type': 'application/json'}
      await fetch(`${server.url}/apps`, {method: 'POST', headers, body: JSON.stringify({name: 'rt-app'})})
      const scaled = await fetch(`${server.url}/apps/rt-app/formation`, {method: 'PATCH', headers, body: JSON.stringify({updates: []})})
      assert.equal(scaled.status, 200, await scaled.text())
    } finally {
      await server.close()
    }
    assert.deepEqual(calls, ['formationChanged', 'close'])
  })

  it('closes cleanly: the port is released, and close() may be called twice', async () => {
    const server = await startServer({dataDir: tempDir(), port: 0})
    await Promise.all([server.close(), server.close()])
    await server.close()
    assert.equal(await portIsClosed(server.url), true)
  })

  it('fails to start on a port in use, leaving nothing open', async () => {
    const first = await startServer({dataDir: tempDir(), port: 0})
    try {
      const port = Number(new URL(first.url).port)
      await assert.rejects(startServer({dataDir: tempDir(), port}), /EADDRINUSE/)
    } finally {
      await first.close()
    }
  })
})
