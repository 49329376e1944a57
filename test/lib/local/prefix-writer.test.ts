import assert from 'node:assert/strict'
import {PassThrough, Writable} from 'node:stream'

import {PrefixWriter} from '../../../src/lib/local/prefix-writer.js'

/** A sink that keeps what it is given, and can hold writes back as a slow reader does. */
class SlowSink extends Writable {
  text = ''
  private release: Array<() => void> = []
  constructor(private slow: boolean) {
    super({highWaterMark: 16})
  }
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.text += chunk.toString()
    if (this.slow) this.release.push(callback)
    else callback()
  }
  drainAll(): void {
    this.slow = false
    for (const callback of this.release.splice(0)) callback()
  }
}

// 2026-12-06 13:04:05 local time.
const AT = new Date(2026, 11, 6, 13, 4, 5, 250).getTime()

describe('PrefixWriter', () => {
  it('prefixes each line with the time and the name, padded to the longest name, in the order given', async () => {
    const sink = new SlowSink(false)
    const writer = new PrefixWriter(sink, {names: ['system', 'web.1', 'worker.10'], color: false, now: () => AT})
    writer.line('web.1', 'listening')
    writer.line('worker.10', 'tick')
    writer.line('system', 'sending SIGTERM to all processes')
    writer.line('web.1', '')
    await writer.drained()
    assert.equal(sink.text, ['13:04:05 web.1     | listening', '13:04:05 worker.10 | tick', '13:04:05 system    | sending SIGTERM to all processes', '13:04:05 web.1     | ', ''].join('\n'))
  })

  it('takes the time of each line, a new second included', async () => {
    const sink = new SlowSink(false)
    let now = AT
    const writer = new PrefixWriter(sink, {names: ['web.1'], color: false, now: () => now})
    writer.line('web.1', 'a')
    now += 1000
    writer.line('web.1', 'b')
    now += 3_600_000
    writer.line('web.1', 'c')
    await writer.drained()
    assert.equal(sink.text, '13:04:05 web.1 | a\n13:04:06 web.1 | b\n14:04:06 web.1 | c\n')
  })

  it('colours the prefix, one colour per process in Foreman order, none for system', async () => {
    const sink = new SlowSink(false)
    const writer = new PrefixWriter(sink, {names: ['system', 'web.1', 'web.2'], color: true, now: () => AT})
    writer.line('web.1', 'x')
    writer.line('web.2', 'y')
    writer.line('system', 'z')
    await writer.drained()
    assert.equal(sink.text, '\u001B[36m13:04:05 web.1  |\u001B[0m x\n\u001B[33m13:04:05 web.2  |\u001B[0m y\n13:04:05 system | z\n')
  })

  it('keeps long lines whole', async () => {
    const sink = new SlowSink(false)
    const writer = new PrefixWriter(sink, {names: ['web.1'], color: false, now: () => AT, batchBytes: 1024})
    const long = 'x'.repeat(100_000)
    writer.line('web.1', long)
    writer.line('web.1', 'after')
    await writer.drained()
    assert.equal(sink.text, `13:04:05 web.1 | ${long}\n13:04:05 web.1 | after\n`)
  })

  it('holds the producers while the sink is behind, releases them once it has caught up, and loses nothing', async () => {
    const sink = new SlowSink(true)
    const writer = new PrefixWriter(sink, {names: ['web.1'], color: false, now: () => AT, batchBytes: 100, maxBufferedBytes: 1000})
    const holds: boolean[] = []
    writer.onHold((held) => holds.push(held))
    for (let i = 0; i < 200; i++) writer.line('web.1', `line ${i}`)
    assert.deepEqual(holds, [true])
    const drained = writer.drained()
    sink.drainAll()
    await drained
    assert.deepEqual(holds, [true, false])
    const lines = sink.text.split('\n').slice(0, -1)
    assert.equal(lines.length, 200)
    lines.forEach((line, i) => assert.equal(line, `13:04:05 web.1 | line ${i}`))
  })

  it('batches lines into few writes', async () => {
    const sink = new PassThrough()
    let writes = 0
    const write = sink.write.bind(sink)
    sink.write = ((chunk: string, callback?: () => void) => {
      if (chunk !== '') writes++
      return write(chunk, callback)
    }) as typeof sink.write
    const chunks: Buffer[] = []
    sink.on('data', (chunk: Buffer) => chunks.push(chunk))
    const writer = new PrefixWriter(sink, {names: ['web.1'], color: false, now: () => AT})
    for (let i = 0; i < 1000; i++) writer.line('web.1', `line ${i}`)
    await writer.drained()
    assert.equal(writes, 1)
    assert.equal(Buffer.concat(chunks).toString().split('\n').length, 1001)
  })

  it('tells when the sink fails (its reader went away) and drops what comes after', async () => {
    const sink = new SlowSink(false)
    const writer = new PrefixWriter(sink, {names: ['web.1'], color: false, now: () => AT})
    const closed: string[] = []
    writer.onClose((error) => closed.push((error as NodeJS.ErrnoException).code ?? ''))
    writer.line('web.1', 'before')
    await writer.drained()
    sink.emit('error', Object.assign(new Error('write EPIPE'), {code: 'EPIPE'}))
    writer.line('web.1', 'after')
    await writer.drained()
    assert.deepEqual(closed, ['EPIPE'])
    assert.equal(sink.text, '13:04:05 web.1 | before\n')
  })
})
