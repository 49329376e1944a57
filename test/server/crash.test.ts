// kill -9 of the control plane during a burst of config:set calls from several clients: after a
// restart every acknowledged change is there, no change is there by half, and release versions
// have no gaps or duplicates.
import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterEach, beforeEach, describe, it} from 'mocha'
import type {Release} from '../../src/shared/api-types.js'
import {startApiServer} from '../helpers/api-server.js'
import {ACCEPT_V3} from '../helpers/api-server.js'
import {waitFor} from '../helpers/wait-for.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/server-process.ts', import.meta.url))

describe('crash safety (kill -9 during a burst of config changes)', function () {
  this.timeout(60_000)
  let dataDir = ''
  let child: ChildProcess | undefined

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tug-crash-api-'))
  })

  afterEach(() => {
    child?.kill('SIGKILL')
    rmSync(dataDir, {recursive: true, force: true})
  })

  it('keeps every acknowledged change, no half-change, and gap-free release versions', async () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dataDir], {stdio: ['ignore', 'pipe', 'inherit']})
    child = proc
    let output = ''
    proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const line = await waitFor(() => output.split('\n').find((l) => l.startsWith('{')), {what: 'the server to listen', timeoutMs: 20_000})
    const {url} = JSON.parse(line) as {url: string}
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8')
    const headers = {Accept: ACCEPT_V3, Authorization: `Bearer ${token}`, 'Content-Type': 'application/json'}
    assert.equal((await fetch(`${url}/apps`, {method: 'POST', headers, body: JSON.stringify({name: 'burst'})})).status, 201)

    const acknowledged: string[] = []
    let stop = false
    const client = async (c: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const key = `C${c}_${i}`
        try {
          const response = await fetch(`${url}/apps/burst/config-vars`, {
            method: 'PATCH',
            headers,
            body: JSON.stringify({[`${key}_A`]: 'a', [`${key}_B`]: 'b'}),
          })
          if (response.status === 200) acknowledged.push(key)
          await response.arrayBuffer()
        } catch {
          return // the server is gone
        }
      }
    }
    const clients = [0, 1, 2, 3].map(client)
    await waitFor(() => acknowledged.length >= 40, {what: '40 acknowledged changes', timeoutMs: 20_000})
    const exited = new Promise((resolve) => proc.once('exit', resolve))
    proc.kill('SIGKILL')
    await exited
    stop = true
    await Promise.all(clients)

    const server = await startApiServer({dataDir})
    try {
      const config = (await server.call<Record<string, string>>('GET', '/apps/burst/config-vars')).body
      for (const key of acknowledged) {
        assert.equal(config[`${key}_A`], 'a', `acknowledged ${key} lost`)
        assert.equal(config[`${key}_B`], 'b', `acknowledged ${key} lost`)
      }
      const keys = new Set(Object.keys(config).map((k) => k.slice(0, -2)))
      for (const key of keys) {
        assert.deepEqual([config[`${key}_A`], config[`${key}_B`]], ['a', 'b'], `half of ${key}`)
      }
      const releases = (await server.call<Release[]>('GET', '/apps/burst/releases', {headers: {Range: 'version ..; max=1000'}})).body
      assert.deepEqual(releases.map((r) => r.version), Array.from({length: keys.size + 1}, (_, i) => i + 1))
      const described = releases.slice(1).map((r) => /^Set (\w+)_A, \1_B config vars$/.exec(r.description)?.[1])
      assert.deepEqual(new Set(described), keys)
    } finally {
      await server.close()
    }
  })
})
