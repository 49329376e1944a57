// `tug logs` end to end: a real control plane (`tug server`), the real `tug` binary, and real
// dynos (the dyno manager runs the processes of a small app deployed with `tug deploy`) writing
// numbered lines to stdout.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {parseLogLine} from '../../src/shared/log-line.js'
import {startControlPlane, type ControlPlane} from '../helpers/control-plane.js'
import {startSyslogListener, type SyslogListener} from '../helpers/syslog-listener.js'
import {spawnTug, type TugProcess} from '../helpers/tug-process.js'
import {waitFor} from '../helpers/wait-for.js'

// The drain test's listener is on 127.0.0.1, which drains may reach only with --allow-private-drains.
const ENV = {TUG_STOP_GRACE_MS: '3000', TUG_ROUTER_PORT: '0', TUG_ALLOW_PRIVATE_DRAINS: 'true'}

// seq.js COUNT PAD PER_TICK: COUNT lines `<dyno> seq <i> <pad>`, PER_TICK at a time (then a timer
// tick), then it idles. tick.js: a line every 50 ms, for ever. web.js: listens on $PORT, 12 lines.
const APP_FILES: Record<string, string> = {
  Procfile: [
    'web: node web.js',
    'a: node seq.js 3000 20 100',
    'b: node seq.js 3000 20 100',
    'c: node seq.js 3000 20 100',
    'flood: node seq.js 80000 400 100',
    'tick: node tick.js',
    'quiet: node quiet.js',
    'long: node long.js',
    'seven: node seq.js 7000 20 100',
    '',
  ].join('\n'),
  'seq.js': `const [count, pad, perTick] = process.argv.slice(2).map(Number)
const name = process.env.DYNO
const padding = 'x'.repeat(pad)
let i = 0
function burst() {
  let text = ''
  const end = Math.min(count, i + perTick)
  for (; i < end; i++) text += name + ' seq ' + i + ' ' + padding + '\\n'
  process.stdout.write(text, () => { if (i < count) setTimeout(burst, 1) })
}
burst()
setInterval(() => {}, 1 << 30)
`,
  'tick.js': `let i = 0
setInterval(() => console.log(process.env.DYNO + ' tick ' + i++), 50)
`,
  'long.js': `console.log('<' + 'L'.repeat(24998) + '>')
setInterval(() => {}, 1 << 30)
`,
  'quiet.js': `console.log(process.env.DYNO + ' fresh line')
setInterval(() => {}, 1 << 30)
`,
  'web.js': `const http = require('node:http')
for (let i = 0; i < 12; i++) console.log(process.env.DYNO + ' line ' + i)
http.createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT))
`,
}

/** An incremental scan: true once some line (ever) satisfies `test`; each line is looked at once. */
function seen(test: (line: string) => boolean): (lines: string[]) => boolean {
  let index = 0
  let found = false
  return (lines) => {
    for (; !found && index < lines.length; index++) found = test(lines[index] as string)
    return found
  }
}

function message(line: string): string {
  return parseLogLine(line)?.message ?? `unparsed: ${line}`
}

/** The numbers of `<dyno> seq N` lines of one dyno, in the order they came. */
function seqOf(lines: string[], dyno: string): number[] {
  const prefix = `${dyno} seq `
  const out: number[] = []
  for (const line of lines) {
    const text = message(line)
    if (text.startsWith(prefix)) out.push(Number(text.slice(prefix.length).split(' ')[0]))
  }
  return out
}

const range = (n: number): number[] => Array.from({length: n}, (_, i) => i)

describe('e2e: tug logs with real dynos', function () {
  this.timeout(300_000)
  let plane: ControlPlane
  /** Planes replaced by a restart: their temp dirs go once the last one has stopped. */
  const replaced: ControlPlane[] = []
  let dir: string
  const tails: TugProcess[] = []

  async function tug(args: string[], target: ControlPlane = plane): Promise<string> {
    const result = await target.run(args, {timeoutMs: 120_000})
    assert.equal(result.code, 0, `tug ${args.join(' ')}\n${result.stdout}\n${result.stderr}`)
    return result.stdout
  }

  async function makeApp(name: string): Promise<void> {
    await tug(['apps:create', name, '--no-remote'])
    await tug(['deploy', dir, '-a', name])
    // web starts at 1 with every deploy; these tests choose their own dynos.
    await tug(['ps:scale', 'web=0', '-a', name])
  }

  /** `tug logs --tail` at the control plane, started once it has printed its backlog (the last platform line). */
  async function tail(app: string, extra: string[] = [], target: ControlPlane = plane): Promise<TugProcess> {
    const proc = spawnTug(['logs', '--tail', '-a', app, '-n', '1', ...extra], {HOME: target.home, TUG_API_URL: target.url, TUG_API_KEY: target.token})
    tails.push(proc)
    await proc.waitFor((lines) => lines.length >= 1, `the backlog of ${app}`)
    return proc
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tug-e2e-logs-app-'))
    for (const [name, text] of Object.entries(APP_FILES)) writeFileSync(join(dir, name), text)
    plane = await startControlPlane({env: ENV})
  })

  afterEach(async () => {
    for (const proc of tails.splice(0)) await proc.stop()
  })

  after(async () => {
    await plane?.close()
    for (const old of replaced) await old.close()
    rmSync(dir, {recursive: true, force: true})
  })

  it('lines from three dynos arrive in logs --tail, each dyno in its own order, none missing', async () => {
    await makeApp('three')
    const reader = await tail('three')
    await tug(['ps:scale', 'a=1', 'b=1', 'c=1', '-a', 'three'])
    const done = {a: seen((l) => l.includes('a.1 seq 2999 ')), b: seen((l) => l.includes('b.1 seq 2999 ')), c: seen((l) => l.includes('c.1 seq 2999 '))}
    await reader.waitFor((lines) => done.a(lines) && done.b(lines) && done.c(lines), 'the last line of each dyno', 120_000)
    for (const dyno of ['a.1', 'b.1', 'c.1']) assert.deepEqual(seqOf(reader.lines, dyno), range(3000), `${dyno}: every line once, in order`)
    assert.ok(!reader.lines.some((line) => line.includes('Error L10')))
    assert.ok(reader.lines.some((line) => /tug\[api\]: Scaled to .*a@1:Standard-1X/.test(line)), 'the platform line too')
  })

  it('--num 5 --dyno web.2 gives the last five lines of web.2', async () => {
    await makeApp('nums')
    await tug(['ps:scale', 'web=2', '-a', 'nums'])
    let all: string[] = []
    await waitFor(
      async () => {
        all = (await tug(['logs', '-a', 'nums', '-n', '1500', '-d', 'web.2', '-s', 'app'])).split('\n').filter((l) => l !== '')
        return all.length >= 12
      },
      {what: () => `12 lines of web.2 (${all.length} so far)`, timeoutMs: 120_000, intervalMs: 200},
    )
    assert.deepEqual(all.map(message), range(12).map((i) => `web.2 line ${i}`))
    const five = (await tug(['logs', '-a', 'nums', '--num', '5', '--dyno', 'web.2', '--source', 'app'])).split('\n').filter((l) => l !== '')
    assert.deepEqual(five, all.slice(7))
    // Without --source, web.2's platform lines (state changes) count too: still web.2's last five.
    const mixed = (await tug(['logs', '-a', 'nums', '--num', '5', '--dyno', 'web.2'])).split('\n').filter((l) => l !== '')
    const everything = (await tug(['logs', '-a', 'nums', '-n', '1500', '--dyno', 'web.2'])).split('\n').filter((l) => l !== '')
    assert.equal(mixed.length, 5)
    assert.deepEqual(mixed, everything.slice(-5))
    for (const line of mixed) assert.match(line, /^\S+ (app|tug)\[web\.2\]: /)
  })

  it('-n 6000 reaches into the history: exactly the last 6000 of 7000 lines (the CLI once refused more than 1500)', async () => {
    await makeApp('deep')
    await tug(['ps:scale', 'seven=1', '-a', 'deep'])
    await waitFor(async () => (await tug(['logs', '-a', 'deep', '-n', '1', '-d', 'seven.1', '-s', 'app'])).includes('seven.1 seq 6999 '), {
      what: 'the 7000th line of seven.1',
      timeoutMs: 120_000,
      intervalMs: 200,
    })
    const own = (await tug(['logs', '-a', 'deep', '-n', '6000', '-d', 'seven.1', '-s', 'app'])).split('\n').filter((l) => l !== '')
    assert.equal(own.length, 6000)
    assert.deepEqual(seqOf(own, 'seven.1'), range(6000).map((i) => i + 1000))
    // Unfiltered, the platform's lines count too: still exactly 6000, ending with the newest.
    const all = (await tug(['logs', '-a', 'deep', '-n', '6000'])).split('\n').filter((l) => l !== '')
    assert.equal(all.length, 6000)
    const history = (await tug(['logs', '-a', 'deep', '-n', '10000'])).split('\n').filter((l) => l !== '')
    assert.ok(history.length > 7000, `the history holds every line (${history.length})`)
    const start = history.indexOf(all[0] as string)
    assert.deepEqual(all, history.slice(start, start + 6000), 'one unbroken stretch of the history')
    assert.ok(all.some((l) => l.includes('seven.1 seq 6999 ')), 'up to the newest dyno line')
  })

  it('a 25,000-character line arrives whole, in pieces of at most 10,000 bytes, each after the first marked [continued]', async () => {
    await makeApp('longline')
    await tug(['ps:scale', 'long=1', '-a', 'longline'])
    let pieces: string[] = []
    await waitFor(
      async () => {
        pieces = (await tug(['logs', '-a', 'longline', '-n', '100', '-d', 'long.1', '-s', 'app'])).split('\n').filter((l) => l !== '').map(message)
        return pieces.some((p) => p.endsWith('>'))
      },
      {what: 'the end of the long line', timeoutMs: 120_000, intervalMs: 200},
    )
    assert.equal(pieces.length, 3, pieces.map((p) => p.slice(0, 20)).join(' | '))
    for (const piece of pieces) assert.ok(Buffer.byteLength(piece) <= 10_000, `a piece of ${Buffer.byteLength(piece)} bytes`)
    assert.ok(pieces.slice(1).every((p) => p.startsWith('[continued] ')))
    assert.equal(pieces.map((p) => p.replace(/^\[continued\] /, '')).join(''), '<' + 'L'.repeat(24998) + '>')
  })

  it('a paused reader gets the L10 line and then fresh lines, while a second reader gets every line', async () => {
    await makeApp('flood')
    const paused = await tail('flood')
    const steady = await tail('flood')
    paused.pause()
    await tug(['ps:scale', 'flood=1', '-a', 'flood'])
    await steady.waitFor(seen((l) => l.includes('flood.1 seq 79999 ')), 'every flood line at the steady reader', 180_000)
    paused.resume()
    await paused.waitFor(seen((l) => /tug\[logplex\]: Error L10 \(output buffer overflow\): \d+ messages dropped since /.test(l)), 'the L10 line', 120_000)
    await tug(['ps:scale', 'quiet=1', '-a', 'flood'])
    await paused.waitFor(seen((l) => l.endsWith('quiet.1 fresh line')), 'a fresh line after the L10 line', 120_000)
    await steady.waitFor(seen((l) => l.endsWith('quiet.1 fresh line')), 'the fresh line at the steady reader', 120_000)

    assert.deepEqual(seqOf(steady.lines, 'flood.1'), range(80_000), 'the steady reader got every line, in order')
    assert.ok(!steady.lines.some((l) => l.includes('Error L10')))
    const got = seqOf(paused.lines, 'flood.1')
    assert.ok(got.length < 80_000, `the paused reader lost lines (${got.length})`)
    for (let i = 1; i < got.length; i++) assert.ok((got[i] as number) > (got[i - 1] as number), 'in order, never repeated')
    const l10 = paused.lines.findIndex((l) => l.includes('Error L10'))
    const fresh = paused.lines.findIndex((l) => l.endsWith('quiet.1 fresh line'))
    assert.ok(l10 >= 0 && fresh > l10)
    const dropped = Number(/: (\d+) messages dropped/.exec(paused.lines[l10] as string)?.[1])
    // Everything the paused reader did not get is accounted for by the notice (lines other than
    // flood's, like state changes, may be among the dropped ones).
    assert.ok(dropped >= 80_000 - got.length, `dropped ${dropped}, missing ${80_000 - got.length}`)
  })

  it('a syslog drain on a loopback TCP listener receives framed lines', async () => {
    let listener: SyslogListener | undefined
    try {
      listener = await startSyslogListener()
      const endpoint = listener
      await makeApp('drained')
      assert.equal(await tug(['drains:add', endpoint.url, '-a', 'drained']), `Successfully added drain ${endpoint.url}\n`)
      const listed = await tug(['drains', '-a', 'drained'])
      const token = /\((d\.[0-9a-f-]{36})\)/.exec(listed)?.[1] as string
      assert.equal(listed, `=== Drains\n${endpoint.url} (${token})\n`)
      await tug(['ps:scale', 'a=1', '-a', 'drained'])
      await waitFor(() => endpoint.messages.some((m) => m.includes(' a.1 seq 2999 ')), {what: 'the 3000th line at the drain', timeoutMs: 120_000, intervalMs: 50})
      const frames = endpoint.messages.filter((m) => / app a\.1 - - a\.1 seq /.test(m))
      assert.equal(frames.length, 3000)
      for (const frame of frames) assert.match(frame, new RegExp(`^<190>1 \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}\\+00:00 ${token} app a\\.1 - - a\\.1 seq \\d+ x{20}$`))
      assert.deepEqual(frames.map((m) => Number(m.split(' seq ')[1]?.split(' ')[0])), range(3000))
      assert.ok(endpoint.messages.some((m) => m.includes(` ${token} tug api - - Scaled to `)), 'platform lines too, with app-name tug')
      assert.equal(await tug(['drains:remove', token, '-a', 'drained']), `Successfully removed drain ${endpoint.url}\n`)
      assert.equal((await plane.run(['drains', '-a', 'drained'])).stderr, 'drained has no log drains.\n')
    } finally {
      await listener?.close()
    }
  })

  it("run:detached --tail follows the one-off dyno's output", async () => {
    await makeApp('detached')
    const proc = spawnTug(['run:detached', '--tail', '-a', 'detached', '--', 'echo first; echo second'], {HOME: plane.home, TUG_API_URL: plane.url, TUG_API_KEY: plane.token})
    tails.push(proc)
    await proc.waitFor(seen((l) => /^\S+ app\[run\.\d+\]: second$/.test(l)), 'the one-off dyno output', 120_000)
    const own = proc.lines.filter((l) => / app\[run\.\d+\]: /.test(l)).map(message)
    assert.deepEqual(own, ['first', 'second'])
    // Only that dyno's lines: no other dyno's, whatever the app's history holds.
    const dyno = /\[(run\.\d+)\]/.exec(proc.lines.find((l) => l.endsWith(': first')) as string)?.[1]
    for (const line of proc.lines) assert.ok(line.includes(`[${dyno}]: `), line)
  })

  it('the server closing the stream mid-tail (a restart): the CLI reconnects and loses and repeats nothing', async () => {
    await makeApp('resume')
    await tug(['ps:scale', 'tick=1', '-a', 'resume'])
    const port = Number(new URL(plane.url).port)
    const reader = await tail('resume')
    await reader.waitFor(seen((l) => l.includes('tick.1 tick 20')), 'twenty ticks', 120_000)
    await plane.kill('SIGTERM')
    const before = reader.lines.length
    const again = await startControlPlane({dataDir: plane.dataDir, home: plane.home, port, env: ENV})
    replaced.push(plane)
    plane = again
    await reader.waitFor((lines) => lines.length > before + 20 && lines.slice(before).filter((l) => l.includes('tick.1 tick')).length >= 20, 'ticks after the restart', 120_000)
    await reader.stop()
    assert.equal(reader.isRunning(), false)

    const history = (await tug(['logs', '-a', 'resume', '-n', '1500'])).split('\n').filter((l) => l !== '')
    const start = history.indexOf(reader.lines[0] as string)
    assert.ok(start >= 0, 'the first line the reader printed is in the history')
    assert.deepEqual(reader.lines, history.slice(start, start + reader.lines.length), 'the reader printed the history exactly: nothing lost, nothing repeated')
    assert.ok(new Set(reader.lines).size === reader.lines.length)
  })
})
