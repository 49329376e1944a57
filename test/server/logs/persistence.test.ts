import assert from 'node:assert/strict'
import {mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync, appendFileSync, existsSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {LogRouter, type LogRouterOptions} from '../../../src/server/logs/router.js'
import {fileNameFor, parseSegment} from '../../../src/server/logs/segment-store.js'
import {waitFor} from '../../helpers/wait-for.js'
import {FakeClock, RecordingSink} from './helpers.js'

const TS = '2026-11-27T11:15:41.123456+00:00'

describe('logs/persistence', () => {
  let dir: string
  const open: LogRouter[] = []

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tug-logs-'))
  })

  afterEach(async () => {
    for (const router of open.splice(0)) await router.close()
    rmSync(dir, {recursive: true, force: true})
  })

  async function start(options: LogRouterOptions = {}, clock = new FakeClock()): Promise<LogRouter> {
    // A long interval: the tests flush explicitly unless they test the timer.
    const router = await LogRouter.open({now: clock.now, persist: {dir, flushIntervalMs: 3_600_000, flushLines: 1_000_000}, ...options})
    open.push(router)
    return router
  }

  function fileLines(appId: string): string[] {
    return readFileSync(join(dir, fileNameFor(appId)), 'utf8').split('\n').slice(0, -1)
  }

  it('keeps history across a close and reopen; ids and time go on from there', async () => {
    const first = await start()
    for (let i = 1; i <= 5; i++) first.write('shop', {source: 'app', dyno: 'web.1', message: `m${i}`})
    first.write('blog', {source: 'tug', dyno: 'api', message: 'Release v1 created'})
    await first.close()

    const clock = new FakeClock(new FakeClock().micros - 5_000_000)
    const second = await start({}, clock)
    assert.deepEqual(second.history('shop').map((e) => [e.id, e.text]), [1, 2, 3, 4, 5].map((i) => [i, `${TS} app[web.1]: m${i}`]))
    assert.deepEqual(second.history('blog').map((e) => e.text), [`${TS} tug[api]: Release v1 created`])
    assert.deepEqual(second.history('shop', {filter: {dyno: 'web'}, lines: 2}).map((e) => e.id), [4, 5])
    second.write('shop', {source: 'app', dyno: 'web.1', message: 'after restart'})
    // The clock is now 5 s behind the stored lines: the new line keeps the app's time order.
    assert.deepEqual(second.history('shop', {afterId: 5}).map((e) => [e.id, e.text]), [[6, `${TS} app[web.1]: after restart`]])
  })

  it('lets a subscriber resume after a restart with nothing lost or repeated', async () => {
    const first = await start()
    for (let i = 1; i <= 5; i++) first.write('shop', {source: 'app', dyno: 'web.1', message: `m${i}`})
    await first.close()
    const second = await start()
    const sink = new RecordingSink()
    second.subscribe('shop', {afterId: 3, tail: false}, sink)
    await waitFor(() => sink.ended === 1, {what: 'the backlog'})
    assert.deepEqual(sink.ids, [4, 5])
  })

  it('writes nothing on the writer\'s stack: lines reach the file with the timer', async () => {
    const router = await start({persist: {dir, flushIntervalMs: 10}})
    router.write('shop', {source: 'app', dyno: 'web.1', message: 'hello'})
    assert.equal(existsSync(join(dir, fileNameFor('shop'))), false)
    await waitFor(() => existsSync(join(dir, fileNameFor('shop'))) && fileLines('shop').length === 1, {what: 'the timer flush'})
    assert.deepEqual(fileLines('shop'), [`1\t${TS} app[web.1]: hello`])
  })

  it('writes as soon as enough lines are pending, without waiting for the timer', async () => {
    const router = await start({persist: {dir, flushIntervalMs: 3_600_000, flushLines: 10}})
    for (let i = 1; i <= 10; i++) router.write('shop', {source: 'app', dyno: 'web.1', message: `m${i}`})
    await waitFor(() => existsSync(join(dir, fileNameFor('shop'))) && fileLines('shop').length === 10, {what: 'the batch flush'})
  })

  it('writes every line once, in order, however many flushes overlap', async () => {
    const router = await start()
    const flushes: Promise<void>[] = []
    for (let i = 1; i <= 50; i++) {
      router.write('shop', {source: 'app', dyno: 'web.1', message: `m${i}`})
      flushes.push(router.flush())
    }
    await Promise.all(flushes)
    assert.deepEqual(fileLines('shop').map((line) => Number(line.split('\t')[0])), Array.from({length: 50}, (_, i) => i + 1))
  })

  it('reloads what is whole from a file with a torn last record, and appends cleanly after it', async () => {
    const first = await start()
    for (let i = 1; i <= 4; i++) first.write('shop', {source: 'app', dyno: 'web.1', message: `message ${i}`})
    await first.close()
    const file = join(dir, fileNameFor('shop'))
    const size = readFileSync(file).length
    truncateSync(file, size - 5)

    const second = await start()
    assert.deepEqual(second.history('shop').map((e) => e.id), [1, 2, 3])
    second.write('shop', {source: 'app', dyno: 'web.1', message: 'new'})
    await second.flush()
    assert.deepEqual(fileLines('shop'), [1, 2, 3].map((i) => `${i}\t${TS} app[web.1]: message ${i}`).concat([`4\t${TS} app[web.1]: new`]))
  })

  it('skips records that do not parse (garbage after a power loss) and keeps the rest', async () => {
    const first = await start()
    first.write('shop', {source: 'app', dyno: 'web.1', message: 'one'})
    await first.close()
    const file = join(dir, fileNameFor('shop'))
    appendFileSync(file, '\0\0\0\0\n1\tnot a line\n')
    appendFileSync(file, `2\t${TS} app[web.1]: two\n`)
    const second = await start()
    assert.deepEqual(second.history('shop').map((e) => e.text), [`${TS} app[web.1]: one`, `${TS} app[web.1]: two`])
  })

  it('compacts a file when it holds more than twice the history', async () => {
    const router = await start({historyLines: 10})
    for (let i = 1; i <= 10; i++) router.write('shop', {source: 'app', dyno: 'web.1', message: `m${i}`})
    await router.flush()
    for (let i = 11; i <= 20; i++) router.write('shop', {source: 'app', dyno: 'web.1', message: `m${i}`})
    await router.flush()
    assert.equal(fileLines('shop').length, 20)
    router.write('shop', {source: 'app', dyno: 'web.1', message: 'm21'})
    await router.flush()
    assert.deepEqual(fileLines('shop').map((line) => Number(line.split('\t')[0])), [12, 13, 14, 15, 16, 17, 18, 19, 20, 21])
    router.write('shop', {source: 'app', dyno: 'web.1', message: 'm22'})
    await router.flush()
    assert.equal(fileLines('shop').length, 11)
    assert.deepEqual(readdirSync(dir), [fileNameFor('shop')])
  })

  it('keeps its pending lines bounded when the disk falls behind, rewriting from the history', async () => {
    const router = await start({historyLines: 10})
    for (let i = 1; i <= 100; i++) router.write('shop', {source: 'app', dyno: 'web.1', message: `m${i}`})
    await router.flush()
    assert.deepEqual(fileLines('shop').map((line) => Number(line.split('\t')[0])), [91, 92, 93, 94, 95, 96, 97, 98, 99, 100])
  })

  it('writes only the history when more lines came since the last write than it holds', async () => {
    const router = await start({historyLines: 10})
    for (let i = 1; i <= 5; i++) router.write('shop', {source: 'app', dyno: 'web.1', message: `m${i}`})
    await router.flush()
    for (let i = 6; i <= 30; i++) router.write('shop', {source: 'app', dyno: 'web.1', message: `m${i}`})
    await router.flush()
    assert.deepEqual(fileLines('shop').map((line) => Number(line.split('\t')[0])), Array.from({length: 10}, (_, i) => 21 + i))
    // A restart finds the same history, and ids go on after it.
    await router.close()
    const second = await start({historyLines: 10})
    assert.deepEqual(second.history('shop').map((e) => e.id), Array.from({length: 10}, (_, i) => 21 + i))
    second.write('shop', {source: 'app', dyno: 'web.1', message: 'next'})
    assert.equal(second.lastId('shop'), 31)
  })

  it('gives each app its own file, whatever characters its id holds', async () => {
    const first = await start()
    first.write('a/b c', {source: 'app', dyno: 'web.1', message: 'x'})
    first.write('..', {source: 'app', dyno: 'web.1', message: 'y'})
    await first.close()
    assert.deepEqual(readdirSync(dir).sort(), ['...log', 'a%2Fb%20c.log'])
    const second = await start()
    assert.equal(second.history('a/b c')[0]?.text, `${TS} app[web.1]: x`)
    assert.equal(second.history('..')[0]?.text, `${TS} app[web.1]: y`)
  })

  it('deletes an app\'s file with removeApp, and ignores leftovers of an interrupted rewrite', async () => {
    const first = await start()
    first.write('shop', {source: 'app', dyno: 'web.1', message: 'x'})
    await first.flush()
    await first.removeApp('shop')
    assert.deepEqual(readdirSync(dir), [])
    await first.close()
    writeFileSync(join(dir, `${fileNameFor('blog')}.tmp`), 'half written')
    const second = await start()
    assert.deepEqual(second.history('blog'), [])
    assert.deepEqual(readdirSync(dir), [])
  })

  describe('parseSegment', () => {
    it('ignores a torn last record and reports the damage', () => {
      const parsed = parseSegment('shop', `1\t${TS} app[web.1]: a\n2\t${TS} app[web.1]: b`)
      assert.deepEqual(parsed.entries.map((e) => e.id), [1])
      assert.equal(parsed.damaged, true)
      assert.equal(parsed.records, 1)
    })

    it('skips ids that do not increase, and takes source and dyno from the line', () => {
      const parsed = parseSegment('shop', `5\t${TS} app[web.1]: a\n3\t${TS} app[web.1]: b\n6\t${TS} tug[run.2]: c\n`)
      assert.deepEqual(parsed.entries.map((e) => [e.id, e.source, e.dyno, e.bytes]), [
        [5, 'app', 'web.1', 46],
        [6, 'tug', 'run.2', 46],
      ])
      assert.equal(parsed.damaged, true)
    })

    it('reads a clean file as undamaged, and an empty one as empty', () => {
      assert.equal(parseSegment('shop', `1\t${TS} app[web.1]: a\n`).damaged, false)
      assert.deepEqual(parseSegment('shop', ''), {appId: 'shop', entries: [], records: 0, bytes: 0, damaged: false})
    })
  })
})
