import assert from 'node:assert/strict'
import {EventEmitter} from 'node:events'
import {Writable} from 'node:stream'

import {PrefixWriter} from '../../../src/lib/local/prefix-writer.js'
import {exitStatus, supervise, type ProcessExit, type ProcessHandle, type ProcessSpec, type SignalSource} from '../../../src/lib/local/supervisor.js'

/** A process that ends when told to, or when stopped (with the signal it was stopped by). */
class FakeHandle implements ProcessHandle {
  readonly exited: Promise<ProcessExit>
  readonly stops: Array<{signal?: NodeJS.Signals; graceMs: number}> = []
  listener: ((stream: 'stdout' | 'stderr', line: string) => void) | undefined
  end!: (exit: ProcessExit) => void
  constructor(readonly spec: ProcessSpec, readonly pid: number) {
    this.exited = new Promise((resolve) => (this.end = resolve))
  }
  onOutput(listener: (stream: 'stdout' | 'stderr', line: string) => void): () => void {
    this.listener = listener
    return () => {}
  }
  async stop(options: {signal?: NodeJS.Signals; graceMs: number}): Promise<void> {
    this.stops.push(options)
    this.end({code: null, signal: options.signal ?? 'SIGTERM'})
    await this.exited
  }
  describe(): {pid?: number} {
    return {pid: this.pid}
  }
}

function setup(failOn?: string) {
  const handles: FakeHandle[] = []
  let output = ''
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      output += chunk.toString()
      callback()
    },
  })
  const signals = new EventEmitter()
  const starter = {
    async start(spec: ProcessSpec): Promise<ProcessHandle> {
      if (spec.dynoName === failOn) throw new Error('spawn bash ENOENT')
      const handle = new FakeHandle(spec, 100 + handles.length)
      handles.push(handle)
      return handle
    },
  }
  const processes = [
    {name: 'web.1', type: 'web', command: 'node web.js', port: 5000},
    {name: 'worker.1', type: 'worker', command: 'node worker.js', port: 5100},
  ]
  const writer = new PrefixWriter(sink, {names: ['system', 'web.1', 'worker.1'], color: false, now: () => new Date(2026, 0, 1, 9, 0, 0).getTime()})
  const run = supervise({processes, cwd: '/app', env: {A: '1'}, graceMs: 5000, starter, writer, signals: signals as unknown as SignalSource})
  return {handles, run, signals, output: () => output}
}

describe('tug local supervisor', () => {
  it('starts each process with its name, port, env and command (stderr merged into stdout), and prints its lines', async () => {
    const {handles, run, output} = setup()
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(
      handles.map((h) => [h.spec.dynoName, h.spec.port, h.spec.command, h.spec.env, h.spec.cwd]),
      [
        ['web.1', 5000, 'exec 2>&1; node web.js', {A: '1'}, '/app'],
        ['worker.1', 5100, 'exec 2>&1; node worker.js', {A: '1'}, '/app'],
      ],
    )
    handles[0]?.listener?.('stdout', 'listening')
    handles[1]?.end({code: 3, signal: null})
    assert.equal(await run, 3)
    assert.equal(
      output(),
      [
        '09:00:00 web.1    | started with pid 100',
        '09:00:00 worker.1 | started with pid 101',
        '09:00:00 web.1    | listening',
        '09:00:00 worker.1 | exited with code 3',
        '09:00:00 system   | sending SIGTERM to all processes',
        '09:00:00 web.1    | terminated by SIGTERM',
        '',
      ].join('\n'),
    )
    assert.deepEqual(handles[0]?.stops, [{graceMs: 5000}])
  })

  it('exits 0 when the first process to exit exits 0, as Foreman does', async () => {
    const {handles, run} = setup()
    await new Promise((resolve) => setImmediate(resolve))
    handles[0]?.end({code: 0, signal: null})
    assert.equal(await run, 0)
  })

  it('on SIGTERM stops every process and exits 143; a second signal sends SIGKILL', async () => {
    const {handles, run, signals, output} = setup()
    await new Promise((resolve) => setImmediate(resolve))
    // A stop that does not end the process at once, as with a real grace period.
    for (const handle of handles) handle.stop = async (options) => void handle.stops.push(options)
    signals.emit('SIGTERM')
    signals.emit('SIGINT')
    assert.deepEqual(handles.map((h) => h.stops), [[{graceMs: 5000}, {signal: 'SIGKILL', graceMs: 0}], [{graceMs: 5000}, {signal: 'SIGKILL', graceMs: 0}]])
    for (const handle of handles) handle.end({code: null, signal: 'SIGKILL'})
    assert.equal(await run, 143)
    assert.match(output(), /system {3}\| SIGTERM received\n.*system {3}\| sending SIGTERM to all processes\n.*system {3}\| sending SIGKILL to all processes\n/)
    assert.equal(signals.listenerCount('SIGTERM'), 0)
  })

  it('stops what started when a process cannot start, and exits 1', async () => {
    const {handles, run, output} = setup('worker.1')
    assert.equal(await run, 1)
    assert.equal(handles.length, 1)
    assert.deepEqual(handles[0]?.stops, [{graceMs: 5000}])
    assert.match(output(), /system {3}\| worker\.1 could not start: spawn bash ENOENT\n/)
  })

  it('gives a signal`s exit status as a shell does', () => {
    assert.equal(exitStatus({code: 0, signal: null}), 0)
    assert.equal(exitStatus({code: null, signal: 'SIGKILL'}), 137)
    assert.equal(exitStatus({code: null, signal: 'SIGTERM'}), 143)
  })
})
