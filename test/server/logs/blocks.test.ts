// The batch as the router's unit (block.ts): a dyno's read is one block, and every bound, resume
// and wire format still works line by line as if each line had come alone.
import assert from 'node:assert/strict'

import {entriesOf, sliceBlock, type LogBlock} from '../../../src/server/logs/block.js'
import {LogRouter, type LogRouterOptions} from '../../../src/server/logs/router.js'
import {itemsOf} from '../../../src/server/logs/subscription.js'
import {frameOfBlocks, piecesOfBlocks, serialiseBlocks, sseEventOfBlocks, textOfBlocks} from '../../../src/server/logs/wire.js'
import {FrameParser} from '../../../src/shared/log-frames.js'
import {LineSplitter} from '../../../src/shared/line-splitter.js'
import {FakeClock, ManualScheduler, RecordingSink} from './helpers.js'

const TS = '2026-11-27T11:15:41.123456+00:00'

function setup(options: LogRouterOptions = {}) {
  const clock = new FakeClock()
  const scheduler = new ManualScheduler()
  const router = new LogRouter({now: clock.now, schedule: scheduler.schedule, ...options})
  return {router, clock, scheduler}
}

/** A sink that takes blocks, as the HTTP stream does. */
class BlockSink extends RecordingSink {
  blocks: LogBlock[] = []
  deliverBlocks(blocks: readonly LogBlock[]): boolean {
    this.batches++
    this.blocks.push(...blocks)
    this.items.push(...itemsOf(blocks))
    return this.accept
  }
}

const messages = (texts: string[]): string[] => texts.map((text) => text.slice(TS.length + 1))

describe('logs/blocks', () => {
  it('a message of several lines is one block, the same lines as writing them one by one', () => {
    const {router} = setup()
    router.writeLines('shop', {source: 'app', dyno: 'web.1', lines: ['a\nbé\n\nc', 'd']})
    router.write('blog', {source: 'app', dyno: 'web.1', message: 'a'})
    for (const line of ['bé', '', 'c', 'd']) router.write('blog', {source: 'app', dyno: 'web.1', message: line})
    assert.deepEqual(router.history('shop'), router.history('blog'))
    assert.deepEqual(messages(router.history('shop').map((e) => e.text)), ['app[web.1]: a', 'app[web.1]: bé', 'app[web.1]: ', 'app[web.1]: c', 'app[web.1]: d'])
    assert.equal(router.stats().bytes, router.history('shop').reduce((sum, e) => sum + e.bytes, 0) * 2)
    // \r, a final line break and over-long lines still go through the splitting rules.
    const {router: other} = setup({maxLineBytes: 30})
    other.writeLines('shop', {source: 'app', dyno: 'web.1', lines: ['x\r\ny\n', `${'z'.repeat(40)}\nw`]})
    assert.deepEqual(messages(other.history('shop').map((e) => e.text)), ['app[web.1]: x', 'app[web.1]: y', `app[web.1]: ${'z'.repeat(30)}`, `app[web.1]: [continued] ${'z'.repeat(10)}`, 'app[web.1]: w'])
  })

  it('LineSplitter.blocks gives the lines of LineSplitter.batched, however the bytes are cut', () => {
    const text = 'one\ntwo\r\nthree\n\nfour€\nfive' + 'x'.repeat(50) + '\nsix\n'
    const bytes = Buffer.from(text)
    for (const size of [1, 2, 3, 5, 7, 16, 64]) {
      const joined: string[] = []
      const plain: string[] = []
      const blocks = LineSplitter.blocks((messages) => joined.push(...messages.flatMap((m) => m.split('\n'))), 20)
      const batched = LineSplitter.batched((lines) => plain.push(...lines), 20)
      for (let at = 0; at < bytes.length; at += size) {
        blocks.push(bytes.subarray(at, at + size))
        batched.push(bytes.subarray(at, at + size))
      }
      blocks.end()
      batched.end()
      assert.deepEqual(joined, plain, `chunks of ${size}`)
    }
    const seen: string[][] = []
    const one = LineSplitter.blocks((messages) => seen.push(messages))
    one.push('a\nb\nc')
    one.push('d\ne\n')
    assert.deepEqual(seen, [['a\nb'], ['cd\ne']])
  })

  it('a block that does not fit a subscriber\'s queue is cut: the lines that fit, then L10 for the rest', () => {
    const {router, scheduler} = setup({queueLines: 3})
    const sink = new BlockSink()
    const sub = router.subscribe('shop', {tail: true}, sink)
    router.writeLines('shop', {source: 'app', dyno: 'web.1', lines: ['1\n2']})
    router.writeLines('shop', {source: 'app', dyno: 'web.1', lines: ['3\n4\n5']})
    router.writeLines('shop', {source: 'app', dyno: 'web.1', lines: ['6\n7']})
    assert.deepEqual(sub.stats(), {delivered: 0, dropped: 4, queued: 3})
    scheduler.run()
    router.writeLines('shop', {source: 'app', dyno: 'web.1', lines: ['8\n9']})
    scheduler.run()
    assert.deepEqual(sink.ids, [1, 2, 3, undefined, 8, 9])
    assert.match(sink.texts[3] ?? '', /Error L10 \(output buffer overflow\): 4 messages dropped since /)
  })

  it('cuts blocks at batchLines, and resumes inside a block', () => {
    const {router, scheduler} = setup({batchLines: 4})
    router.writeLines('shop', {source: 'app', dyno: 'web.1', lines: ['1\n2\n3\n4\n5\n6\n7\n8\n9\n10']})
    const sink = new BlockSink()
    router.subscribe('shop', {lines: 7, tail: false}, sink)
    scheduler.run()
    assert.equal(sink.batches, 2)
    assert.deepEqual(sink.ids, [4, 5, 6, 7, 8, 9, 10])
    assert.deepEqual(messages(sink.texts), ['4', '5', '6', '7', '8', '9', '10'].map((m) => `app[web.1]: ${m}`))
    const resumed = new BlockSink()
    router.subscribe('shop', {afterId: 8, tail: false}, resumed)
    scheduler.run()
    assert.deepEqual(resumed.ids, [9, 10])
    assert.deepEqual(router.history('shop', {afterId: 5}).map((e) => e.id), [6, 7, 8, 9, 10])
    assert.deepEqual(router.history('shop', {lines: 2}).map((e) => e.id), [9, 10])
  })

  it('slices blocks by line with their ids and byte sizes', () => {
    const text = `${TS} app[web.1]: a€\n${TS} app[web.1]: b\n${TS} app[web.1]: c\n`
    const block: LogBlock = {firstId: 7, count: 3, text, bytes: Buffer.byteLength(text) - 3, source: 'app', dyno: 'web.1'}
    const middle = sliceBlock(block, 1, 2)
    assert.deepEqual(entriesOf(middle), [{id: 8, text: `${TS} app[web.1]: b`, source: 'app', dyno: 'web.1', bytes: Buffer.byteLength(`${TS} app[web.1]: b`)}])
    assert.equal(sliceBlock(block, 0, 1).bytes, Buffer.byteLength(`${TS} app[web.1]: a€`))
    assert.equal(sliceBlock(block, 0), block)
  })

  it('serialises blocks exactly as the lines they hold', () => {
    const {router, scheduler} = setup({queueLines: 2})
    const sink = new BlockSink()
    router.subscribe('shop', {tail: true}, sink)
    router.writeLines('shop', {source: 'app', dyno: 'web.1', lines: ['a\nb\nc']})
    scheduler.run()
    router.write('shop', {source: 'app', dyno: 'web.2', message: 'd€'})
    scheduler.run()
    const blocks = sink.blocks
    const items = itemsOf(blocks)
    assert.equal(items.length, 4)
    assert.equal(items[2]?.id, undefined, 'the L10 notice has no id')
    // The bytes each format had when a line was serialised on its own: one event with the id of
    // the last line (the notice has none) and a data field per line; a line per \n; one frame.
    const body = items.map((item) => `${item.text}\n`).join('')
    assert.equal(sseEventOfBlocks(blocks), `id: 4\n${items.map((item) => `data: ${item.text}\n`).join('')}\n`)
    assert.equal(textOfBlocks(blocks), body)
    assert.equal(frameOfBlocks(blocks), `4 4 ${Buffer.byteLength(body)}\n${body}`)
    assert.equal(serialiseBlocks('sse', blocks), sseEventOfBlocks(blocks))
    assert.equal(serialiseBlocks('text', blocks), body)
    assert.equal(serialiseBlocks('frames', blocks), frameOfBlocks(blocks))
    for (const format of ['sse', 'text', 'frames'] as const) assert.equal(piecesOfBlocks(format, blocks).join(''), serialiseBlocks(format, blocks))
    assert.equal(piecesOfBlocks('frames', blocks).length, 1 + blocks.length)
    assert.equal(frameOfBlocks(blocks.slice(2, 3)), `- 1 ${Buffer.byteLength(items[2]?.text ?? '') + 1}\n${items[2]?.text}\n`)
  })

  describe('FrameParser', () => {
    const frames = '3 2 6\nab\ncd\n- 0 0\n- 1 4\nL10\n9 1 5\ne€\n'
    it('gives whole frames only, however the stream is cut, and the last id with them', () => {
      const bytes = Buffer.from(frames)
      for (let size = 1; size <= bytes.length; size++) {
        const parser = new FrameParser()
        const out: Buffer[] = []
        let lines = 0
        const ids: string[] = []
        for (let at = 0; at < bytes.length; at += size) {
          const got = parser.push(bytes.subarray(at, at + size))
          out.push(...got.bodies)
          lines += got.lines
          ids.push(parser.lastId)
        }
        assert.equal(Buffer.concat(out).toString(), 'ab\ncd\nL10\ne€\n', `chunks of ${size}`)
        assert.equal(lines, 4)
        assert.equal(parser.lastId, '9')
        assert.equal(parser.pendingBytes, 0)
        // The id moves only once its frame is whole.
        const whole = bytes.indexOf('e€') + Buffer.byteLength('e€\n')
        assert.ok(ids.every((id, i) => id !== '9' || (i + 1) * size >= whole))
      }
    })

    it('refuses what is not a frames stream', () => {
      assert.throws(() => new FrameParser().push(Buffer.from('data: x\n\n')), /not a log frame header/)
      assert.throws(() => new FrameParser().push(Buffer.from('x'.repeat(100))), /not a log frame header/)
    })
  })
})
