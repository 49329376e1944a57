import assert from 'node:assert/strict'

import type {Release} from '../../src/shared/api-types.js'
import {startControlPlane, type ControlPlane} from '../helpers/control-plane.js'

const ACCEPT = 'application/vnd.heroku+json; version=3'
const CLIENTS = 12
/** Kill the server once this many changes have been acknowledged (while the rest are in flight). */
const KILL_AFTER_ACKS = 120

interface Change {
  client: number
  seq: number
  keys: [string, string]
  value: string
}

describe('e2e: kill -9 of the control plane during a burst of config changes', function () {
  this.timeout(90_000)
  let first: ControlPlane | undefined
  let second: ControlPlane | undefined

  after(async () => {
    await second?.close()
    await first?.close()
  })

  it('keeps every acknowledged change, no half change, and gap-free release versions', async () => {
    first = await startControlPlane()
    const plane = first
    const call = (method: string, path: string, body?: unknown, base = plane.url, token = plane.token) =>
      fetch(base + path, {
        method,
        headers: {Accept: ACCEPT, Authorization: `Bearer ${token}`, 'Content-Type': 'application/json'},
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    assert.equal((await call('POST', '/apps', {name: 'crashy'})).status, 201)

    const acknowledged: Change[] = []
    const attempted: Change[] = []
    let killed = false
    let killing: Promise<void> | undefined

    const client = async (id: number): Promise<void> => {
      for (let seq = 0; !killed; seq++) {
        const change: Change = {client: id, seq, keys: [`C${id}_${seq}_A`, `C${id}_${seq}_B`], value: `v-${id}-${seq}`}
        attempted.push(change)
        try {
          const response = await call('PATCH', '/apps/crashy/config-vars', {[change.keys[0]]: change.value, [change.keys[1]]: change.value})
          await response.arrayBuffer()
          if (response.status !== 200) throw new Error(`PATCH answered ${response.status}`)
          if (!killed) acknowledged.push(change)
        } catch {
          // The connection died with the server: this change is unacknowledged.
          return
        }
        if (acknowledged.length >= KILL_AFTER_ACKS && !killing) {
          killed = true
          killing = plane.kill('SIGKILL')
        }
      }
    }
    await Promise.all(Array.from({length: CLIENTS}, (_, i) => client(i)))
    await killing
    assert.ok(acknowledged.length >= KILL_AFTER_ACKS, `only ${acknowledged.length} acknowledged`)
    assert.ok(attempted.length > acknowledged.length, 'some changes were in flight at the kill')

    second = await startControlPlane({dataDir: plane.dataDir, home: plane.home})
    const restarted = second
    const config = (await (await call('GET', '/apps/crashy/config-vars', undefined, restarted.url, restarted.token)).json()) as Record<string, string>

    for (const change of acknowledged) {
      assert.equal(config[change.keys[0]], change.value, `acknowledged ${change.keys[0]} is present`)
      assert.equal(config[change.keys[1]], change.value, `acknowledged ${change.keys[1]} is present`)
    }
    const present = attempted.filter((c) => config[c.keys[0]] !== undefined || config[c.keys[1]] !== undefined)
    for (const change of present) {
      assert.deepEqual([config[change.keys[0]], config[change.keys[1]]], [change.value, change.value], `no half change for ${change.keys[0]}`)
    }
    assert.equal(Object.keys(config).length, present.length * 2, 'nothing else is in the config')

    const releasesResponse = await fetch(`${restarted.url}/apps/crashy/releases`, {
      headers: {Accept: ACCEPT, Authorization: `Bearer ${restarted.token}`, Range: 'version ..; max=1000'},
    })
    assert.equal(releasesResponse.status, 200)
    const releases = (await releasesResponse.json()) as Release[]
    const versions = releases.map((r) => r.version)
    // One release at creation, then exactly one per change that committed.
    assert.deepEqual(versions, Array.from({length: present.length + 1}, (_, i) => i + 1))
    assert.equal(releases.filter((r) => r.current).map((r) => r.version).join(), String(present.length + 1))
  })
})
