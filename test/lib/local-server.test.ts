import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {createServer, type Server} from 'node:net'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {RuntimeError, UsageError} from '../../src/lib/errors.js'
import {ensureLocalServer, isAlive, readLastPort, readServerInfo, stopLocalServer, writeServerInfo} from '../../src/lib/cli/local-server.js'
import {waitFor} from '../helpers/wait-for.js'

// A stand-in for `tug server` with the same outward behaviour (admin-token, server.json after
// listen, /account answered with the token, clean exit on SIGTERM), so these tests exercise the
// lock, the readiness wait and the error paths without depending on the real server. It starts
// slowly on purpose, to widen the window in which two CLIs race.
const FAKE_SERVER = `
import {createServer} from 'node:http'
import {appendFileSync, existsSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
const home = process.argv[process.argv.indexOf('--data-dir') + 1]
appendFileSync(join(home, 'starts.log'), process.pid + '\\n')
const tokenFile = join(home, 'admin-token')
if (!existsSync(tokenFile)) writeFileSync(tokenFile, 'secret-' + process.pid + '\\n', {mode: 0o600})
const token = (await import('node:fs')).readFileSync(tokenFile, 'utf8').trim()
await new Promise((r) => setTimeout(r, 300))
const server = createServer((req, res) => {
  const ok = req.url === '/account' && req.headers.authorization === 'Bearer ' + token
  res.writeHead(ok ? 200 : 401, {'content-type': 'application/json'}).end(ok ? '{"id":"x"}' : '{"id":"unauthorized"}')
})
server.listen(Number(process.argv[process.argv.lastIndexOf('--port') + 1] ?? 0), '127.0.0.1', () => {
  const info = {pid: process.pid, url: 'http://127.0.0.1:' + server.address().port, started_at: new Date().toISOString()}
  writeFileSync(join(home, '.tmp-info'), JSON.stringify(info))
  renameSync(join(home, '.tmp-info'), join(home, 'server.json'))
  console.log('listening on ' + info.url)
})
process.on('SIGTERM', () => { rmSync(join(home, 'server.json'), {force: true}); server.close(); process.exit(0) })
`

const localServerModule = fileURLToPath(new URL('../../src/lib/cli/local-server.ts', import.meta.url))

function starts(home: string): number[] {
  if (!existsSync(join(home, 'starts.log'))) return []
  return readFileSync(join(home, 'starts.log'), 'utf8').trim().split('\n').map(Number)
}

describe('lib/cli/local-server', function () {
  this.timeout(30_000)
  let dir: string
  let home: string
  let fake: {file: string; args: string[]}

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tug-local-'))
    home = join(dir, 'home')
    writeFileSync(join(dir, 'fake-server.mjs'), FAKE_SERVER)
    fake = {file: process.execPath, args: [join(dir, 'fake-server.mjs'), '--data-dir', home]}
  })

  afterEach(async () => {
    if (existsSync(home)) {
      await stopLocalServer(home).catch(() => undefined)
      for (const pid of starts(home)) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    }
    rmSync(dir, {recursive: true, force: true})
  })

  it('starts a server on a fresh home, then finds the same one', async () => {
    const first = await ensureLocalServer(home, {command: fake, env: {}})
    const info = readServerInfo(home)
    assert.ok(info)
    assert.equal(first.url, info.url)
    assert.equal(first.token, `secret-${info.pid}`)
    assert.equal(statSync(join(home, 'admin-token')).mode & 0o777, 0o600)
    assert.equal(existsSync(join(home, 'server.lock')), false, 'the lock is released')
    assert.match(readFileSync(join(home, 'server.log'), 'utf8'), /listening on http:\/\/127\.0\.0\.1:\d+/)

    const second = await ensureLocalServer(home, {command: fake, env: {}})
    assert.deepEqual(second, first)
    assert.deepEqual(starts(home), [info.pid])

    const stopped = await stopLocalServer(home)
    assert.deepEqual(stopped, {stopped: true, pid: info.pid})
    assert.equal(isAlive(info.pid), false)
    assert.equal(existsSync(join(home, 'server.json')), false)
    assert.deepEqual(await stopLocalServer(home), {stopped: false})
  })

  it('says on one line that it starts the server, and keeps its port across restarts while it is free', async () => {
    let progress = ''
    const first = await ensureLocalServer(home, {command: fake, env: {HOME: dir}, progress: {write: (text: string) => (progress += text)}})
    assert.equal(progress, 'Starting the local tug control plane in ~/home... done\n')
    const port = Number(new URL(first.url).port)
    assert.equal(readLastPort(home), port)
    await stopLocalServer(home)

    progress = ''
    const again = await ensureLocalServer(home, {command: fake, env: {}, progress: {write: (text: string) => (progress += text)}})
    assert.equal(again.url, first.url, 'the same URL after a restart')
    assert.equal(progress, `Starting the local tug control plane in ${home}... done\n`)
    progress = ''
    await ensureLocalServer(home, {command: fake, env: {}, progress: {write: (text: string) => (progress += text)}})
    assert.equal(progress, '', 'nothing is printed when the server already runs')
    await stopLocalServer(home)

    // Someone else took the port meanwhile: any free port, and that one is remembered.
    const squatter: Server = createServer()
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve))
    try {
      const moved = await ensureLocalServer(home, {command: fake, env: {}})
      assert.notEqual(moved.url, first.url)
      assert.equal(readLastPort(home), Number(new URL(moved.url).port))
    } finally {
      await new Promise((resolve) => squatter.close(resolve))
    }
  })

  it('prints ! after the line when the server cannot start', async () => {
    let progress = ''
    const broken = {file: process.execPath, args: ['-e', 'process.exit(3)', '--']}
    await assert.rejects(ensureLocalServer(home, {command: broken, env: {}, progress: {write: (text: string) => (progress += text)}}), RuntimeError)
    assert.equal(progress, `Starting the local tug control plane in ${home}... !\n`)
  })

  it('two CLIs started at the same moment share one server', async () => {
    const script = `
      import {ensureLocalServer} from ${JSON.stringify(localServerModule)}
      const target = await ensureLocalServer(process.argv[1], {command: JSON.parse(process.argv[2]), env: {}})
      console.log(JSON.stringify(target))
    `
    const runCli = () =>
      new Promise<{url: string; token: string}>((resolve, reject) => {
        execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, home, JSON.stringify(fake)], (error, stdout, stderr) => {
          if (error) reject(new Error(`${error.message}\n${stderr}`))
          else resolve(JSON.parse(stdout) as {url: string; token: string})
        })
      })
    const results = await Promise.all([runCli(), runCli(), runCli()])
    const pids = starts(home)
    assert.equal(pids.length, 1, `exactly one server was started, got ${pids.join(', ')}`)
    assert.equal(results[0]?.url, readServerInfo(home)?.url)
    assert.deepEqual(results[1], results[0])
    assert.deepEqual(results[2], results[0])
  })

  it('replaces a server.json whose process is gone', async () => {
    writeServerInfo(home, {pid: 2 ** 22 + 12345, url: 'http://127.0.0.1:1', started_at: '2026-01-01T00:00:00Z'})
    writeFileSync(join(home, 'admin-token'), 'old\n')
    const target = await ensureLocalServer(home, {command: fake, env: {}})
    assert.notEqual(target.url, 'http://127.0.0.1:1')
    assert.equal(starts(home).length, 1)
  })

  it('breaks a stale lock left by a CLI that died', async () => {
    mkdirSync(home, {recursive: true})
    writeFileSync(join(home, 'server.lock'), JSON.stringify({pid: 2 ** 22 + 4321, created_at: Date.now()}))
    const target = await ensureLocalServer(home, {command: fake, env: {}})
    assert.match(target.url, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.equal(existsSync(join(home, 'server.lock')), false)
  })

  it('waits for a live lock holder, and times out clearly when it never finishes', async () => {
    mkdirSync(home, {recursive: true})
    writeFileSync(join(home, 'server.lock'), JSON.stringify({pid: process.pid, created_at: Date.now()}))
    await assert.rejects(ensureLocalServer(home, {command: fake, env: {}, deadlineMs: 500}), (error: unknown) => {
      assert.ok(error instanceof RuntimeError)
      assert.match(error.message, /^Timed out after 0\.5 s waiting for another tug to start the local server on /)
      return true
    })
    assert.deepEqual(starts(home), [], 'it did not start a second server')
    // An old lock is stale even when its pid is (reused by) a live process.
    const old = (Date.now() - 120_000) / 1000
    utimesSync(join(home, 'server.lock'), old, old)
    await ensureLocalServer(home, {command: fake, env: {}, staleLockMs: 60_000})
    assert.equal(starts(home).length, 1)
  })

  it('TUG_NO_AUTOSTART=1 says how to start one instead of starting it', async () => {
    await assert.rejects(ensureLocalServer(home, {command: fake, env: {TUG_NO_AUTOSTART: '1'}}), (error: unknown) => {
      assert.ok(error instanceof UsageError)
      assert.match(error.message, /TUG_NO_AUTOSTART=1/)
      assert.equal(error.hint, 'Start one with `tug server` (in another terminal), or set TUG_API_URL and TUG_API_KEY.')
      return true
    })
    assert.deepEqual(starts(home), [])
  })

  it('a server that exits at once fails with its log path and last lines', async () => {
    const broken = {file: process.execPath, args: ['-e', 'console.error("Error: listen EADDRINUSE 127.0.0.1:5055"); process.exit(3)', '--']}
    await assert.rejects(ensureLocalServer(home, {command: broken, env: {}}), (error: unknown) => {
      assert.ok(error instanceof RuntimeError)
      assert.ok(error.message.startsWith(`The local tug server exited before it was ready (code 3). Its log is ${join(home, 'server.log')}; the last lines:\n`))
      assert.match(error.message, /Error: listen EADDRINUSE 127\.0\.0\.1:5055$/)
      return true
    })
    assert.equal(existsSync(join(home, 'server.lock')), false)
  })

  it('a server that never becomes ready is stopped at the deadline', async () => {
    const hanging = {file: process.execPath, args: ['-e', `require('fs').writeFileSync(${JSON.stringify(join(dir, 'hang.pid'))}, String(process.pid)); setInterval(() => {}, 1000)`, '--']}
    await assert.rejects(ensureLocalServer(home, {command: hanging, env: {}, deadlineMs: 1000}), /^RuntimeError: The local tug server did not become ready within 1 s\. Its log is /)
    const pid = Number(readFileSync(join(dir, 'hang.pid'), 'utf8'))
    await waitFor(() => !isAlive(pid), {what: 'the hanging server to end', timeoutMs: 5000, intervalMs: 20})
    assert.equal(isAlive(pid), false)
  })
})
