import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {killServerOf, runTug} from '../helpers/control-plane.js'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('e2e: the embedded local control plane starts on first use', function () {
  this.timeout(60_000)
  let home: string
  let tugHome: string

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'tug-e2e-home-'))
    tugHome = join(home, '.local', 'share', 'tug')
  })

  afterEach(() => {
    killServerOf(tugHome)
    rmSync(home, {recursive: true, force: true})
  })

  it('apps:create then apps:info work on a fresh HOME, and two CLIs at once share one server', async () => {
    const env = {HOME: home}
    const [created, concurrent] = await Promise.all([
      runTug(['apps:create', 'demo', '--no-remote'], {env}),
      runTug(['apps:create', 'other', '--no-remote'], {env}),
    ])
    assert.equal(created.code, 0, created.stderr)
    assert.equal(concurrent.code, 0, concurrent.stderr)
    assert.match(created.stderr, /^Creating demo\.\.\. done$/m)
    // One line while it starts, from the CLI that started it; the other one waited in silence.
    const startLines = (created.stderr + concurrent.stderr).match(/^Starting the local tug control plane in .*$/gm) ?? []
    assert.deepEqual(startLines, ['Starting the local tug control plane in ~/.local/share/tug... done'])

    const info = await runTug(['apps:info', '-a', 'demo', '--json'], {env})
    assert.equal(info.code, 0, info.stderr)
    assert.equal((JSON.parse(info.stdout) as {app: {name: string}}).app.name, 'demo')

    const starts = readFileSync(join(tugHome, 'server.log'), 'utf8').match(/^--- .* starting: /gm) ?? []
    assert.equal(starts.length, 1, 'one server was started for both CLIs')
    const server = JSON.parse(readFileSync(join(tugHome, 'server.json'), 'utf8')) as {pid: number; url: string}
    assert.ok(alive(server.pid))
    const apps = await runTug(['apps', '--json'], {env})
    assert.deepEqual((JSON.parse(apps.stdout) as Array<{name: string}>).map((a) => a.name).sort(), ['demo', 'other'])

    const status = await runTug(['server:status', '--json'], {env})
    assert.deepEqual(
      (({running, responding, pid, url}) => ({running, responding, pid, url}))(JSON.parse(status.stdout) as {running: boolean; responding: boolean; pid: number; url: string}),
      {running: true, responding: true, pid: server.pid, url: server.url},
    )

    const stop = await runTug(['server:stop'], {env})
    assert.equal(stop.code, 0, stop.stderr)
    assert.equal(stop.stdout, `Stopped the tug server (pid ${server.pid}) on ${tugHome}.\n`)
    assert.equal(alive(server.pid), false)
    assert.equal(existsSync(join(tugHome, 'server.json')), false)
    const after = await runTug(['server:status'], {env})
    assert.equal(after.stdout, `No tug server is running on ${tugHome}.\n`)

    // Started again, it listens where it did: URLs printed earlier and git remotes still work.
    const restarted = await runTug(['apps', '--json'], {env})
    assert.equal(restarted.code, 0, restarted.stderr)
    assert.match(restarted.stderr, /^Starting the local tug control plane in ~\/\.local\/share\/tug\.\.\. done$/m)
    const again = JSON.parse(readFileSync(join(tugHome, 'server.json'), 'utf8')) as {pid: number; url: string}
    assert.notEqual(again.pid, server.pid)
    assert.equal(again.url, server.url)
  })

  it('TUG_NO_AUTOSTART=1 fails with a usage error that says how to start one', async () => {
    const result = await runTug(['apps'], {env: {HOME: home, TUG_NO_AUTOSTART: '1'}})
    assert.equal(result.code, 2)
    assert.match(result.stderr, /TUG_NO_AUTOSTART=1 keeps tug from starting one\./)
    assert.match(result.stderr, /Start one with `tug server`/)
    assert.equal(existsSync(join(tugHome, 'server.json')), false)
  })
})
