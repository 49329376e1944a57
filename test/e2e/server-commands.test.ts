import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {runTug, startControlPlane, type ControlPlane} from '../helpers/control-plane.js'

const ACCEPT = 'application/vnd.heroku+json; version=3'

describe('e2e: tug server and its admin commands', function () {
  this.timeout(60_000)
  const planes: ControlPlane[] = []

  afterEach(async () => {
    while (planes.length > 0) await planes.pop()?.close()
  })

  async function start(env?: Record<string, string>): Promise<ControlPlane> {
    const plane = await startControlPlane(env ? {env} : {})
    planes.push(plane)
    return plane
  }

  const account = (plane: ControlPlane, token: string) =>
    fetch(`${plane.url}/account`, {headers: {Accept: ACCEPT, Authorization: `Bearer ${token}`}})

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`prints where it listens, writes server.json, and stops cleanly on ${signal}`, async () => {
      const plane = await start()
      assert.match(plane.url, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.match(plane.output(), new RegExp(`^Admin token: +${join(plane.dataDir, 'admin-token')}$`, 'm'))
      const info = JSON.parse(readFileSync(join(plane.dataDir, 'server.json'), 'utf8')) as {pid: number; url: string}
      assert.deepEqual({pid: info.pid, url: info.url}, {pid: plane.pid, url: plane.url})
      assert.equal((await account(plane, plane.token)).status, 200)
      const health = await fetch(`${plane.url}/healthz`)
      assert.deepEqual([health.status, await health.json()], [200, {status: 'ok'}])

      process.kill(plane.pid, signal)
      assert.deepEqual(await plane.exited, {code: 0, signal: null})
      assert.match(plane.output(), new RegExp(`Received ${signal}, stopping\\.\\.\\.\\nStopped\\.\\n$`))
      assert.equal(existsSync(join(plane.dataDir, 'server.json')), false)
    })
  }

  it('refuses a second server on the same data dir, and a port in use', async () => {
    const plane = await start()
    const second = await runTug(['server', '--port', '0', '--data-dir', plane.dataDir], {env: {HOME: plane.home}})
    assert.equal(second.code, 2)
    assert.match(second.stderr, new RegExp(`A tug server is already running on ${plane.dataDir} \\(pid ${plane.pid}, ${plane.url}\\)\\.`))
    const port = new URL(plane.url).port
    const taken = await runTug(['server', '--port', port, '--data-dir', join(plane.home, 'other')], {env: {HOME: plane.home}})
    assert.equal(taken.code, 2)
    assert.match(taken.stderr, new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)\\.`))
  })

  it('server:tokens creates a token shown once, lists it, and revokes it', async () => {
    const plane = await start()
    const dataDir = ['--data-dir', plane.dataDir]
    const created = await plane.run(['server:tokens:create', '--description', 'CI deploys', ...dataDir])
    assert.equal(created.code, 0, created.stderr)
    const secret = created.stdout.trim()
    assert.match(secret, /^tug_[A-Za-z0-9_-]{43}$/)
    assert.equal((await account(plane, secret)).status, 200)

    const listed = await plane.run(['server:tokens', '--json', ...dataDir])
    const tokens = JSON.parse(listed.stdout) as Array<{id: string; description: string | null}>
    // Both made in the same second: the listing order between them is by id, so compare as sets.
    assert.deepEqual(tokens.map((t) => t.description).sort(), ['CI deploys', 'admin token (created on first start)'])
    assert.equal(listed.stdout.includes(secret), false, 'secrets are never listed')
    const ci = tokens.find((t) => t.description === 'CI deploys') as {id: string}
    // Without --json, a table: each column starts where its heading does, no trailing blanks.
    const table = (await plane.run(['server:tokens', ...dataDir])).stdout.split('\n').slice(0, -1)
    assert.match(table[0] ?? '', /^ID {2,}Description {2,}Created {2,}Last used$/)
    for (const token of tokens) {
      const row = table.find((line) => line.startsWith(`${token.id}  `)) ?? assert.fail(`no row for ${token.id}: ${table.join('\n')}`)
      assert.equal(row.indexOf(`${token.description}  `), table[0]?.indexOf('Description'), row)
      assert.equal(row, row.trimEnd())
    }
    assert.equal(table.length, 3)
    assert.match(created.stderr, new RegExp(`^Created token ${ci.id} \\(CI deploys\\)\\. It is shown only this once:$`, 'm'))

    const revoked = await plane.run(['server:tokens:revoke', ci.id, ...dataDir])
    assert.equal(revoked.stdout, `Revoked token ${ci.id}.\n`)
    assert.equal((await account(plane, secret)).status, 401)
    assert.equal((await account(plane, plane.token)).status, 200)
    const again = await plane.run(['server:tokens:revoke', ci.id, ...dataDir])
    assert.equal(again.code, 2)
    assert.match(again.stderr, /No token with id/)
  })

  it('ps:settings shows the stop grace a server was started with as its default', async () => {
    const plane = await start({TUG_STOP_GRACE_MS: '5000'})
    assert.equal((await plane.run(['apps:create', 'graceful', '--no-remote'])).code, 0)
    const shown = await plane.run(['ps:settings', '-a', 'graceful'])
    assert.equal(shown.stdout, '=== graceful Dyno Settings\nRolling restart: on\nStop grace:      5s (default)\n', shown.stderr)
    const set = await plane.run(['ps:settings', '-a', 'graceful', '--stop-grace', '20', '--rolling-restart', 'off', '--json'])
    assert.deepEqual(JSON.parse(set.stdout), {stop_grace_seconds: 20, rolling_restart: false, default_stop_grace_seconds: 5})
  })

  it('server:status notices a server killed with -9 is gone', async () => {
    const plane = await start()
    await plane.kill('SIGKILL')
    const status = await runTug(['server:status', '--data-dir', plane.dataDir, '--json'], {env: {HOME: plane.home}})
    assert.equal((JSON.parse(status.stdout) as {running: boolean}).running, false)
    const stop = await runTug(['server:stop', '--data-dir', plane.dataDir], {env: {HOME: plane.home}})
    assert.equal(stop.stdout, `No tug server is running on ${plane.dataDir}.\n`)
  })
})
