import assert from 'node:assert/strict'

import {CONTINUATION_MARKER} from '../../../src/server/logs/format.js'
import {LogRouter, type LogRouterOptions} from '../../../src/server/logs/router.js'
import {LineSplitter} from '../../../src/shared/line-splitter.js'
import {FakeClock, ManualScheduler, RecordingSink, T0} from './helpers.js'

const TS = '2026-11-27T11:15:41.123456+00:00'

function setup(options: LogRouterOptions = {}) {
  const clock = new FakeClock()
  const scheduler = new ManualScheduler()
  const errors: unknown[] = []
  const router = new LogRouter({now: clock.now, schedule: scheduler.schedule, onError: (e) => errors.push(e), ...options})
  return {router, clock, scheduler, errors}
}

describe('logs/router', () => {
  describe('write', () => {
    it('numbers each app\'s lines from 1 and formats them', () => {
      const {router} = setup()
      router.write('shop', {source: 'app', dyno: 'web.1', message: 'hello'})
      router.write('shop', {source: 'tug', dyno: 'web.1', message: 'State changed from starting to up'})
      router.write('blog', {source: 'app', dyno: 'worker.1', message: 'other app'})
      assert.deepEqual(
        router.history('shop').map((e) => [e.id, e.text]),
        [
          [1, `${TS} app[web.1]: hello`],
          [2, `${TS} tug[web.1]: State changed from starting to up`],
        ],
      )
      assert.deepEqual(router.history('blog').map((e) => [e.id, e.text]), [[1, `${TS} app[worker.1]: other app`]])
      assert.equal(router.lastId('shop'), 2)
      assert.equal(router.lastId('nobody'), 0)
    })

    it('splits a message on line breaks, one id per line', () => {
      const {router} = setup()
      router.write('shop', {source: 'app', dyno: 'web.1', message: 'one\r\ntwo\n\nthree\n'})
      assert.deepEqual(router.history('shop').map((e) => `${e.id} ${e.text.slice(TS.length + 1)}`), [
        '1 app[web.1]: one',
        '2 app[web.1]: two',
        '3 app[web.1]: ',
        '4 app[web.1]: three',
      ])
    })

    it('decodes bytes, invalid UTF-8 as U+FFFD', () => {
      const {router} = setup()
      router.write('shop', {source: 'app', dyno: 'web.1', message: Uint8Array.from([0x68, 0xc3, 0xa9, 0xff, 0x21])})
      assert.equal(router.history('shop')[0]?.text, `${TS} app[web.1]: hé\uFFFD!`)
    })

    it('uses the given time, but never goes back in time within an app', () => {
      const {router, clock} = setup()
      router.write('shop', {source: 'app', dyno: 'web.1', message: 'a', time: new Date(Date.UTC(2026, 10, 27, 12, 0, 0, 500))})
      router.write('shop', {source: 'app', dyno: 'web.1', message: 'b'})
      clock.micros += 3_600_000_000
      router.write('shop', {source: 'app', dyno: 'web.1', message: 'c'})
      router.write('shop', {source: 'app', dyno: 'web.2', message: 'd', time: clock.micros + 7})
      router.write('shop', {source: 'app', dyno: 'web.2', message: 'e', time: Number.NaN})
      router.write('shop', {source: 'app', dyno: 'web.2', message: 'f', time: new Date('nonsense')})
      assert.deepEqual(router.history('shop').map((e) => e.text), [
        '2026-11-27T12:00:00.500000+00:00 app[web.1]: a',
        '2026-11-27T12:00:00.500000+00:00 app[web.1]: b',
        '2026-11-27T12:15:41.123456+00:00 app[web.1]: c',
        '2026-11-27T12:15:41.123463+00:00 app[web.2]: d',
        '2026-11-27T12:15:41.123463+00:00 app[web.2]: e',
        '2026-11-27T12:15:41.123463+00:00 app[web.2]: f',
      ])
    })

    it('splits a line over 10000 bytes into marked pieces, dropping nothing', () => {
      const {router} = setup()
      const message = 'x'.repeat(25_000)
      router.write('shop', {source: 'app', dyno: 'web.1', message})
      const lines = router.history('shop')
      assert.deepEqual(lines.map((e) => e.id), [1, 2, 3])
      const messages = lines.map((e) => e.text.slice(`${TS} app[web.1]: `.length))
      assert.deepEqual(messages.map((m) => Buffer.byteLength(m)), [10_000, 10_000, 5_000 + 2 * CONTINUATION_MARKER.length])
      assert.equal(messages.map((m, i) => (i === 0 ? m : m.slice(CONTINUATION_MARKER.length))).join(''), message)
    })

    it('makes unsafe source and dyno names safe rather than breaking the header', () => {
      const {router} = setup()
      router.write('shop', {source: 'my app', dyno: 'web]1', message: 'x'})
      router.write('shop', {source: '', dyno: '', message: 'y'})
      assert.deepEqual(router.history('shop').map((e) => e.text.slice(TS.length + 1)), ['my_app[web_1]: x', '-[-]: y'])
    })

    it('never throws into the caller, and reports what went wrong', () => {
      const {router, errors} = setup({
        now: () => {
          throw new Error('clock broke')
        },
      })
      assert.doesNotThrow(() => router.write('shop', {source: 'app', dyno: 'web.1', message: 'x'}))
      assert.doesNotThrow(() => router.write('shop', JSON.parse('{"source": 1, "dyno": null, "message": 3}')))
      assert.equal(router.stats().writeErrors, 2)
      assert.equal(errors.length, 2)
    })

    it('does not throw even when onError does', () => {
      const router = new LogRouter({
        now: () => {
          throw new Error('clock broke')
        },
        onError: () => {
          throw new Error('so did the handler')
        },
      })
      assert.doesNotThrow(() => router.write('shop', {source: 'app', dyno: 'web.1', message: 'x'}))
    })
  })

  describe('writeLines', () => {
    it('is a write of each line in order, with one timestamp for the batch', () => {
      const {router} = setup()
      const messages = ['one', '', 'two\r\nthree', 'x'.repeat(10_050), 'caf\u00e9 \u20ac']
      router.writeLines('shop', {source: 'app', dyno: 'web.1', lines: messages})
      const {router: reference} = setup()
      for (const message of messages) reference.write('shop', {source: 'app', dyno: 'web.1', message})
      assert.deepEqual(router.history('shop'), reference.history('shop'))
      assert.deepEqual(
        router.history('shop').map((e) => e.text.slice(TS.length + 1, TS.length + 30)),
        ['app[web.1]: one', 'app[web.1]: ', 'app[web.1]: two', 'app[web.1]: three', `app[web.1]: ${'x'.repeat(17)}`, `app[web.1]: ${CONTINUATION_MARKER}xxxxx`, 'app[web.1]: café €'],
      )
      // The byte bounds count UTF-8: é and € are 2 and 3 bytes.
      assert.equal(router.history('shop').at(-1)?.bytes, Buffer.byteLength(`${TS} app[web.1]: café €`))
      assert.equal(router.lastId('shop'), 7)
    })

    it('takes its time, keeps time from going back, and names as write does', () => {
      const {router} = setup()
      router.write('shop', {source: 'app', dyno: 'web.1', message: 'first', time: T0 + 10})
      router.writeLines('shop', {source: 'my app', dyno: 'web]1', lines: ['a', 'b'], time: T0})
      assert.deepEqual(router.history('shop').map((e) => e.text), [
        '2026-11-27T11:15:41.123466+00:00 app[web.1]: first',
        '2026-11-27T11:15:41.123466+00:00 my_app[web_1]: a',
        '2026-11-27T11:15:41.123466+00:00 my_app[web_1]: b',
      ])
    })

    it('feeds matching subscribers only, in order, and an empty batch is nothing', () => {
      const {router, scheduler} = setup()
      const web = new RecordingSink()
      const worker = new RecordingSink()
      router.subscribe('shop', {tail: true, filter: {dyno: 'web'}}, web)
      router.subscribe('shop', {tail: true, filter: {dyno: 'worker'}}, worker)
      router.writeLines('shop', {source: 'app', dyno: 'web.1', lines: []})
      router.writeLines('shop', {source: 'app', dyno: 'web.1', lines: ['w1', 'w2']})
      router.writeLines('shop', {source: 'app', dyno: 'worker.1', lines: ['k1']})
      router.writeLines('shop', {source: 'app', dyno: 'web.2', lines: ['w3']})
      scheduler.run()
      assert.deepEqual(web.ids, [1, 2, 4])
      assert.deepEqual(web.texts.map((t) => t.slice(TS.length + 1)), ['app[web.1]: w1', 'app[web.1]: w2', 'app[web.2]: w3'])
      assert.deepEqual(worker.ids, [3])
    })

    it('never throws into the caller, and ignores writes after close', async () => {
      const {router, errors} = setup()
      assert.doesNotThrow(() => router.writeLines('shop', JSON.parse('{"source": "app", "dyno": "web.1", "lines": 5}')))
      assert.equal(router.stats().writeErrors, 1)
      assert.equal(errors.length, 1)
      await router.close()
      router.writeLines('shop', {source: 'app', dyno: 'web.1', lines: ['late']})
      assert.equal(router.lastId('shop'), 0)
    })
  })

  describe('raw dyno output (through the one line splitter, as the dyno manager feeds it)', () => {
    it('assembles lines across chunks and writes the last partial line at the end', () => {
      const {router} = setup()
      const out = new LineSplitter((line) => router.write('shop', {source: 'app', dyno: 'web.1', message: line}))
      out.push('hel')
      out.push(Buffer.from('lo\nwor'))
      assert.deepEqual(router.history('shop').map((e) => e.text), [`${TS} app[web.1]: hello`])
      out.push(Buffer.from([0xe2, 0x82]))
      out.push(Buffer.from([0xac, 0x0a, 0x6e, 0x6f, 0x20, 0x6e, 0x6c]))
      out.end()
      assert.deepEqual(router.history('shop').map((e) => e.text.slice(TS.length + 1)), ['app[web.1]: hello', 'app[web.1]: wor€', 'app[web.1]: no nl'])
    })

    it('gives the same lines through a batched splitter and writeLines', () => {
      const {router} = setup()
      const out = LineSplitter.batched((lines) => router.writeLines('shop', {source: 'app', dyno: 'web.1', lines}))
      out.push('hel')
      out.push(Buffer.from('lo\nwor'))
      out.push(Buffer.from([0xe2, 0x82]))
      out.push(Buffer.from([0xac, 0x0a, 0x6e, 0x6f, 0x20, 0x6e, 0x6c]))
      out.end()
      assert.deepEqual(router.history('shop').map((e) => e.text.slice(TS.length + 1)), ['app[web.1]: hello', 'app[web.1]: wor€', 'app[web.1]: no nl'])
    })
  })

  it('a write never throws either, whatever message it is given', () => {
    const {router, errors} = setup()
    assert.doesNotThrow(() => router.write('shop', {source: 'app', dyno: 'web.1', message: JSON.parse('5')}))
    router.write('shop', {source: 'app', dyno: 'web.1', message: 'fine'})
    assert.deepEqual(router.history('shop').map((e) => e.text), [`${TS} app[web.1]: fine`])
    assert.equal(errors.length, 1)
    assert.equal(router.stats().writeErrors, 1)
  })

  describe('history', () => {
    it('is bounded by lines per app (a constructor option)', () => {
      const {router} = setup({historyLines: 5})
      for (let i = 1; i <= 12; i++) router.write('shop', {source: 'app', dyno: 'web.1', message: `m${i}`})
      router.write('blog', {source: 'app', dyno: 'web.1', message: 'b1'})
      assert.deepEqual(router.history('shop').map((e) => e.id), [8, 9, 10, 11, 12])
      // `<timestamp> app[web.1]: m8` is 32 + 1 + 12 + 2 bytes; m10..m12 one more; blog's b1 47.
      assert.deepEqual(router.stats(), {apps: 2, lines: 6, bytes: 2 * 47 + 3 * 48 + 47, subscribers: 0, writeErrors: 0})
    })

    it('is bounded by bytes per app, dropping the oldest lines', () => {
      const {router} = setup({historyBytes: 1_000})
      const line = `${TS} app[web.1]: ${'y'.repeat(100)}`
      for (let i = 0; i < 100; i++) router.write('shop', {source: 'app', dyno: 'web.1', message: 'y'.repeat(100)})
      const kept = Math.floor(1_000 / line.length)
      assert.equal(router.stats().lines, kept)
      assert.equal(router.stats().bytes, kept * line.length)
      assert.deepEqual(router.history('shop').map((e) => e.id), Array.from({length: kept}, (_, i) => 101 - kept + i))
    })

    it('answers the last N matching lines and the lines after an id', () => {
      const {router} = setup()
      for (let i = 1; i <= 9; i++) router.write('shop', {source: i % 3 === 0 ? 'tug' : 'app', dyno: `web.${(i % 2) + 1}`, message: `m${i}`})
      assert.deepEqual(router.history('shop', {lines: 2, filter: {dyno: 'web.2'}}).map((e) => e.id), [7, 9])
      assert.deepEqual(router.history('shop', {filter: {source: 'heroku'}}).map((e) => e.id), [3, 6, 9])
      assert.deepEqual(router.history('shop', {afterId: 6}).map((e) => e.id), [7, 8, 9])
      assert.deepEqual(router.history('nobody'), [])
    })
  })

  describe('subscribe', () => {
    it('delivers the last `lines` matching lines, then ends without tail', () => {
      const {router, scheduler} = setup()
      for (let i = 1; i <= 10; i++) router.write('shop', {source: 'app', dyno: i % 2 ? 'web.1' : 'web.2', message: `m${i}`})
      const sink = new RecordingSink()
      const sub = router.subscribe('shop', {filter: {dyno: 'web.2'}, lines: 3, tail: false}, sink)
      assert.deepEqual(sink.items, [], 'nothing is delivered on the subscriber\'s stack')
      scheduler.run()
      assert.deepEqual(sink.ids, [6, 8, 10])
      assert.equal(sink.ended, 1)
      assert.equal(sub.closed, true)
      router.write('shop', {source: 'app', dyno: 'web.2', message: 'later'})
      scheduler.run()
      assert.deepEqual(sink.ids, [6, 8, 10])
    })

    it('counts `lines` after the filter, and caps it at the history size', () => {
      const {router, scheduler} = setup({historyLines: 4})
      for (let i = 1; i <= 6; i++) router.write('shop', {source: 'app', dyno: 'web.1', message: `m${i}`})
      const sink = new RecordingSink()
      router.subscribe('shop', {lines: 1_000_000, tail: false}, sink)
      scheduler.run()
      assert.deepEqual(sink.ids, [3, 4, 5, 6])
    })

    it('delivers the backlog, then live lines in order, with tail', () => {
      const {router, scheduler} = setup()
      router.write('shop', {source: 'app', dyno: 'web.1', message: 'old'})
      const sink = new RecordingSink()
      const sub = router.subscribe('shop', {lines: 10, tail: true}, sink)
      router.write('shop', {source: 'app', dyno: 'web.1', message: 'new1'})
      router.write('shop', {source: 'app', dyno: 'worker.1', message: 'new2'})
      scheduler.run()
      assert.deepEqual(sink.ids, [1, 2, 3])
      assert.deepEqual(sink.texts.map((t) => t.slice(TS.length + 1)), ['app[web.1]: old', 'app[web.1]: new1', 'app[worker.1]: new2'])
      assert.equal(sink.ended, 0)
      assert.equal(router.stats().subscribers, 1)
      sub.close()
      sub.close()
      assert.equal(sink.ended, 1)
      assert.equal(router.stats().subscribers, 0)
    })

    it('filters live lines too', () => {
      const {router, scheduler} = setup()
      const sink = new RecordingSink()
      router.subscribe('shop', {filter: {type: 'worker', source: 'app'}, tail: true}, sink)
      router.write('shop', {source: 'app', dyno: 'web.1', message: 'no'})
      router.write('shop', {source: 'app', dyno: 'worker.2', message: 'yes'})
      router.write('shop', {source: 'tug', dyno: 'worker.2', message: 'no'})
      scheduler.run()
      assert.deepEqual(sink.ids, [2])
    })

    it('resumes after an id with nothing lost or repeated', () => {
      const {router, scheduler} = setup()
      for (let i = 1; i <= 5; i++) router.write('shop', {source: 'app', dyno: 'web.1', message: `m${i}`})
      const sink = new RecordingSink()
      router.subscribe('shop', {afterId: 3, lines: 100, tail: true}, sink)
      router.write('shop', {source: 'app', dyno: 'web.1', message: 'm6'})
      scheduler.run()
      assert.deepEqual(sink.ids, [4, 5, 6])
    })

    it('tells a subscriber resuming before the oldest line kept how many lines it lost', () => {
      const {router, scheduler} = setup({historyLines: 3})
      for (let i = 1; i <= 10; i++) router.write('shop', {source: 'app', dyno: 'web.1', message: `m${i}`})
      const sink = new RecordingSink()
      router.subscribe('shop', {afterId: 2, tail: false}, sink)
      scheduler.run()
      assert.deepEqual(sink.ids, [undefined, 8, 9, 10])
      assert.equal(sink.texts[0], `${TS} tug[logplex]: Warning (history gap): 5 messages after id 2 are no longer in the history`)
      const exact = new RecordingSink()
      router.subscribe('shop', {afterId: 7, tail: false}, exact)
      scheduler.run()
      assert.deepEqual(exact.ids, [8, 9, 10])
    })

    it('delivers in batches of batchLines', () => {
      const {router, scheduler} = setup({batchLines: 4})
      for (let i = 1; i <= 10; i++) router.write('shop', {source: 'app', dyno: 'web.1', message: `m${i}`})
      const sink = new RecordingSink()
      router.subscribe('shop', {lines: 10, tail: false}, sink)
      scheduler.run()
      assert.equal(sink.batches, 3)
      assert.deepEqual(sink.ids, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    })

    it('bounds a batch by bytes too, always holding at least one line', () => {
      const {router, scheduler} = setup({batchBytes: 100})
      // Each line is 32 + 1 + 12 + 40 = 85 bytes: the second one takes a batch over 100.
      for (let i = 1; i <= 5; i++) router.write('shop', {source: 'app', dyno: 'web.1', message: 'q'.repeat(40)})
      const sink = new RecordingSink()
      router.subscribe('shop', {lines: 5, tail: false}, sink)
      scheduler.run()
      assert.equal(sink.batches, 3)
      assert.deepEqual(sink.ids, [1, 2, 3, 4, 5])
    })

    it('stops delivering when the sink says so, until resume()', () => {
      const {router, scheduler} = setup({batchLines: 2})
      for (let i = 1; i <= 5; i++) router.write('shop', {source: 'app', dyno: 'web.1', message: `m${i}`})
      const sink = new RecordingSink()
      sink.accept = false
      const sub = router.subscribe('shop', {lines: 5, tail: true}, sink)
      scheduler.run()
      assert.deepEqual(sink.ids, [1, 2])
      assert.deepEqual(sub.stats(), {delivered: 2, dropped: 0, queued: 3})
      sink.accept = true
      sub.resume()
      scheduler.run()
      assert.deepEqual(sink.ids, [1, 2, 3, 4, 5])
    })

    it('closes a subscription whose sink throws, and goes on for the others', () => {
      const {router, scheduler, errors} = setup()
      const good = new RecordingSink()
      router.subscribe('shop', {tail: true}, {
        deliver() {
          throw new Error('sink broke')
        },
      })
      router.subscribe('shop', {tail: true}, good)
      router.write('shop', {source: 'app', dyno: 'web.1', message: 'a'})
      scheduler.run()
      router.write('shop', {source: 'app', dyno: 'web.1', message: 'b'})
      scheduler.run()
      assert.deepEqual(good.ids, [1, 2])
      assert.equal(errors.length, 1)
      assert.equal(router.stats().subscribers, 1)
    })
  })

  describe('a slow subscriber (L10)', () => {
    it('drops what its full queue cannot take, then gets ONE notice when drained, then fresh lines', () => {
      const {router, scheduler, clock} = setup({queueLines: 3})
      const slow = new RecordingSink()
      const fast = new RecordingSink()
      slow.accept = false
      const slowSub = router.subscribe('shop', {tail: true}, slow)
      router.subscribe('shop', {tail: true}, fast)
      router.write('shop', {source: 'app', dyno: 'web.1', message: 'm1'})
      scheduler.run()
      assert.deepEqual(slow.ids, [1])
      // Paused: 2, 3, 4 fill the queue; 5 (at T0 + 5 us) is the first lost line.
      for (let i = 2; i <= 9; i++) {
        clock.micros++
        router.write('shop', {source: 'app', dyno: 'web.1', message: `m${i}`})
        scheduler.run()
      }
      assert.deepEqual(slowSub.stats(), {delivered: 1, dropped: 5, queued: 3})
      assert.deepEqual(fast.ids, [1, 2, 3, 4, 5, 6, 7, 8, 9])
      slow.accept = true
      clock.micros = clock.micros + 1_000_000
      slowSub.resume()
      scheduler.run()
      assert.deepEqual(slow.ids, [1, 2, 3, 4, undefined])
      assert.equal(slow.texts[4], '2026-11-27T11:15:42.123464+00:00 tug[logplex]: Error L10 (output buffer overflow): 5 messages dropped since 2026-11-27T11:15:41.123460+00:00')
      router.write('shop', {source: 'app', dyno: 'web.1', message: 'm10'})
      scheduler.run()
      assert.deepEqual(slow.ids, [1, 2, 3, 4, undefined, 10])
      assert.deepEqual(fast.ids, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
      assert.equal(slowSub.stats().dropped, 5)
    })

    it('keeps dropping until its queue is empty, so one episode makes one notice', () => {
      const {router, scheduler} = setup({queueLines: 4, batchLines: 2})
      const slow = new RecordingSink()
      slow.accept = false
      const sub = router.subscribe('shop', {tail: true}, slow)
      for (let i = 1; i <= 10; i++) router.write('shop', {source: 'app', dyno: 'web.1', message: `m${i}`})
      // Nothing is delivered before the scheduler runs: 1..4 fill the queue, 5..10 are dropped;
      // then the sink takes the batch [1, 2] and pauses, leaving 3 and 4 queued.
      scheduler.run()
      assert.deepEqual(slow.ids, [1, 2])
      assert.deepEqual(sub.stats(), {delivered: 2, dropped: 6, queued: 2})
      router.write('shop', {source: 'app', dyno: 'web.1', message: 'm11'})
      assert.equal(sub.stats().dropped, 7, 'room in the queue does not end the episode')
      slow.accept = true
      sub.resume()
      scheduler.run()
      assert.deepEqual(slow.ids, [1, 2, 3, 4, undefined])
      assert.match(slow.texts[4] ?? '', /Error L10 \(output buffer overflow\): 7 messages dropped since /)
    })

    it('bounds the queue by bytes too', () => {
      const {router, scheduler} = setup({queueBytes: 200})
      const slow = new RecordingSink()
      slow.accept = false
      const sub = router.subscribe('shop', {tail: true}, slow)
      router.write('shop', {source: 'app', dyno: 'web.1', message: 'first'})
      scheduler.run()
      for (let i = 0; i < 5; i++) router.write('shop', {source: 'app', dyno: 'web.1', message: 'z'.repeat(50)})
      // Each line is 32 + 13 + 50 = 95 bytes: two fit in 200.
      assert.deepEqual(sub.stats(), {delivered: 1, dropped: 3, queued: 2})
    })

    it('keeps memory bounded however long the reader stalls', () => {
      const {router, scheduler} = setup({queueLines: 100, historyLines: 1000})
      const slow = new RecordingSink()
      slow.accept = false
      const sub = router.subscribe('shop', {tail: true}, slow)
      router.write('shop', {source: 'app', dyno: 'web.1', message: 'first'})
      scheduler.run()
      for (let i = 0; i < 50_000; i++) router.write('shop', {source: 'app', dyno: 'web.1', message: `m${i}`})
      scheduler.run()
      assert.deepEqual(sub.stats(), {delivered: 1, dropped: 49_900, queued: 100})
      assert.equal(router.stats().lines, 1000)
    })
  })

  describe('lifecycle', () => {
    it('removeApp ends its subscribers and forgets its lines', async () => {
      const {router, scheduler} = setup()
      router.write('shop', {source: 'app', dyno: 'web.1', message: 'a'})
      const sink = new RecordingSink()
      router.subscribe('shop', {tail: true}, sink)
      await router.removeApp('shop')
      assert.equal(sink.ended, 1)
      assert.deepEqual(router.history('shop'), [])
      router.write('shop', {source: 'app', dyno: 'web.1', message: 'b'})
      scheduler.run()
      assert.deepEqual(router.history('shop').map((e) => e.id), [1])
    })

    it('close ends every subscriber; writes after it are ignored', async () => {
      const {router, scheduler} = setup()
      const sink = new RecordingSink()
      router.subscribe('shop', {tail: true}, sink)
      await router.close()
      assert.equal(sink.ended, 1)
      router.write('shop', {source: 'app', dyno: 'web.1', message: 'late'})
      scheduler.run()
      assert.deepEqual(sink.items, [])
      assert.equal(router.stats().writeErrors, 0)
    })

    it('refuses persistence in the constructor (it needs the async open)', () => {
      assert.throws(() => new LogRouter({persist: {dir: '/nonexistent'}}), /LogRouter.open/)
    })
  })
})
