// Attached one-offs on the local backend (src/server/runtime/attached.ts): real processes, under a
// pty and with pipes, read through DynoIo.
import assert from 'node:assert/strict'
import {tmpdir} from 'node:os'

import {LocalBackend} from '../../../src/server/runtime/local-backend.js'
import type {DynoHandle, DynoIo, DynoIoStream} from '../../../src/server/runtime/backend.js'
import {waitFor, withDeadline} from '../../helpers/wait-for.js'

const spec = (command: string, tty: boolean) => ({
  appId: 'app',
  appName: 'app',
  dynoName: 'run.1',
  type: 'run',
  command,
  cwd: tmpdir(),
  env: {},
  releaseVersion: 1,
  stdio: {tty, cols: 91, rows: 27},
})

/** Reads everything, pausing `delayMs` after every chunk (a slow client). */
async function readAll(handle: DynoHandle, delayMs = 0): Promise<{out: Record<DynoIoStream, string>; code: number | null}> {
  const io = handle.io as DynoIo
  const out: Record<DynoIoStream, string> = {stdout: '', stderr: ''}
  io.onData((stream, chunk) => {
    out[stream] += chunk.toString('latin1')
    if (delayMs > 0) {
      io.pause()
      setTimeout(() => io.resume(), delayMs)
    }
  })
  const ended = new Promise<void>((resolve) => io.onEnd(resolve))
  io.resume()
  await withDeadline(ended, 60_000, 'the output to end')
  const exit = await withDeadline(handle.exited, 60_000, 'the exit')
  return {out, code: exit.code}
}

describe('attached processes (local backend)', function () {
  this.timeout(90_000)
  const backend = new LocalBackend()
  after(() => backend.stopAll({graceMs: 1000}))

  it('with pipes: stdout and stderr apart, stdin to its end, output held until a reader comes', async () => {
    const handle = await backend.start(spec('cat; echo err >&2; exit 4', false))
    const io = handle.io as DynoIo
    assert.equal(io.tty, false)
    io.write(Buffer.from('one\ntwo\n'))
    io.endInput()
    // The process is over (reaped) before anyone reads; nothing of its output may be gone.
    const pid = handle.describe().pid as number
    await waitFor(() => {
      try {
        process.kill(pid, 0)
        return false
      } catch {
        return true
      }
    }, {timeoutMs: 30_000, what: 'the process to exit'})
    const {out, code} = await readAll(handle)
    assert.deepEqual(out, {stdout: 'one\ntwo\n', stderr: 'err\n'})
    assert.equal(code, 4)
  })

  it('under a pty: a terminal of the asked size, and a slow reader gets every byte', async () => {
    const handle = await backend.start(spec('stty size; tty >/dev/null && echo is-a-tty; head -c 1000000 /dev/zero | tr "\\0" x; echo; echo END', true))
    assert.equal(handle.io?.tty, true)
    const {out, code} = await readAll(handle, 10)
    assert.equal(code, 0)
    assert.equal(out.stderr, '')
    assert.ok(out.stdout.startsWith('27 91\r\nis-a-tty\r\n'), out.stdout.slice(0, 40))
    assert.ok(out.stdout.endsWith(`${"x".repeat(10)}\r\nEND\r\n`), JSON.stringify([out.stdout.length, out.stdout.slice(-30)]))
    assert.equal(out.stdout.length, '27 91\r\nis-a-tty\r\n'.length + 1_000_000 + 2 + 5)
  })

  it('under a pty: signals go to the terminal session and the status says so', async () => {
    const handle = await backend.start(spec('echo started; sleep 30', true))
    const io = handle.io as DynoIo
    io.onData((_stream, chunk) => {
      if (chunk.toString().includes('started')) io.signal('SIGINT')
    })
    io.resume()
    const exit = await withDeadline(handle.exited, 30_000, 'the exit after SIGINT')
    assert.deepEqual(exit, {code: null, signal: 'SIGINT'})
  })
})
