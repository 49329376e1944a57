// `tug local` and `tug local:run` end to end (issue 20): the real binary runs a Procfile from a
// temporary directory, with no control plane. What is checked is what a developer sees: the web
// process answers on its PORT with the .env variables, every line comes prefixed and in the order
// each process wrote it, Foreman's stop rule and exit status, and that nothing is left running in
// any process group tug started.
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {probeFreePort} from '../../src/server/runtime/ports.js'
import {runTug} from '../helpers/control-plane.js'
import {listPids, procStat} from '../helpers/proc.js'
import {tugOnPty} from '../helpers/pty.js'
import {spawnTug, type TugProcess} from '../helpers/tug-process.js'
import {waitFor, withDeadline} from '../helpers/wait-for.js'

const PREFIX = /^\d\d:\d\d:\d\d (\S+)\s* \| (.*)$/

/** The lines of one process, without the time and name. */
function linesOf(lines: readonly string[], name: string): string[] {
  return lines.flatMap((line) => {
    const match = PREFIX.exec(line)
    return match && match[1] === name ? [match[2] as string] : []
  })
}

/** The process groups tug started: each process is its group's leader, named in `started with pid N`. */
function startedGroups(lines: readonly string[]): number[] {
  return lines.flatMap((line) => {
    const match = / \| started with pid (\d+)$/.exec(line)
    return match ? [Number(match[1])] : []
  })
}

/** Every pid in /proc whose process group is one of `groups`. */
function membersOf(groups: readonly number[]): number[] {
  const wanted = new Set(groups)
  return listPids().filter((pid) => {
    const stat = procStat(pid)
    return stat !== undefined && stat.state !== 'Z' && wanted.has(stat.pgid)
  })
}

describe('tug local (e2e)', function () {
  this.timeout(120_000)
  let dir: string
  const running: TugProcess[] = []

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tug-local-'))
  })

  afterEach(async () => {
    for (const tug of running.splice(0)) await tug.stop()
    rmSync(dir, {recursive: true, force: true})
  })

  function start(args: string[], env: Record<string, string | undefined> = {}): TugProcess {
    const tug = spawnTug(['local', '-f', join(dir, 'Procfile'), ...args], env)
    running.push(tug)
    return tug
  }

  it('runs web and worker: the web answers on its PORT with the .env vars, output prefixed and in each process`s order; SIGINT stops everything', async () => {
    writeFileSync(
      join(dir, 'server.js'),
      `const http = require('node:http')
http.createServer((req, res) => res.end(JSON.stringify({dyno: process.env.DYNO, ps: process.env.PS, port: process.env.PORT, greeting: process.env.GREETING, key: process.env.KEY, plain: process.env.PLAIN})))
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on ' + process.env.PORT))
`,
    )
    writeFileSync(join(dir, 'Procfile'), `web: node server.js\nworker: for i in $(seq 1 300); do echo "out $i"; echo "err $i" >&2; done; echo "worker on $PORT as $DYNO"; sleep 1000 & sleep 1000; wait\n`)
    writeFileSync(join(dir, '.env'), `# local settings\nexport GREETING="hello \\"there\\""\nKEY='-----BEGIN-----\nabc\n-----END-----'\nPLAIN=value # a comment\n`)
    const base = await probeFreePort()
    const tug = start(['-p', String(base)])
    await tug.waitFor((lines) => linesOf(lines, 'web.1').includes(`listening on ${base}`), 'the web process to listen')
    const body = (await (await fetch(`http://127.0.0.1:${base}/`)).json()) as Record<string, string>
    assert.deepEqual(body, {dyno: 'web.1', ps: 'web.1', port: String(base), greeting: 'hello "there"', key: '-----BEGIN-----\nabc\n-----END-----', plain: 'value'})

    await tug.waitFor((lines) => linesOf(lines, 'worker.1').some((line) => line.startsWith('worker on')), 'the worker to finish its lines')
    const expected = Array.from({length: 300}, (_, i) => [`out ${i + 1}`, `err ${i + 1}`]).flat()
    const worker = linesOf(tug.lines, 'worker.1')
    assert.match(worker[0] as string, /^started with pid \d+$/)
    assert.deepEqual(worker.slice(1, 601), expected)
    assert.equal(worker[601], `worker on ${base + 100} as worker.1`)
    for (const line of tug.lines) assert.match(line, /^\d\d:\d\d:\d\d (web\.1 {3}|worker\.1|system {2}) \| /)

    const groups = startedGroups(tug.lines)
    assert.equal(groups.length, 2)
    // The worker's two sleeps and its shell, the web's node: all alive in the groups tug made.
    assert.ok(membersOf(groups).length >= 4, `expected the processes in groups ${groups}: found ${membersOf(groups)}`)
    tug.kill('SIGINT')
    const exit = await tug.exited
    assert.equal(exit.code, 130, tug.stderr())
    assert.deepEqual(membersOf(groups), [])
    assert.ok(tug.lines.some((line) => / system {3}\| SIGINT received$/.test(line)))
    assert.ok(tug.lines.some((line) => / system {3}\| sending SIGTERM to all processes$/.test(line)))
  })

  it('stops the others when one process exits, and exits with its status (Foreman`s rule); the exiting process`s lines all come first', async () => {
    writeFileSync(join(dir, 'Procfile'), `sleeper: sleep 1000\nfailer: for i in $(seq 1 20000); do echo "line $i"; done; exit 3\n`)
    const tug = start(['-p', String(await probeFreePort())])
    const exit = await tug.exited
    assert.equal(exit.code, 3, tug.stderr())
    const failer = linesOf(tug.lines, 'failer.1')
    assert.equal(failer.length, 20002)
    failer.slice(1, 20001).forEach((line, i) => assert.equal(line, `line ${i + 1}`))
    assert.equal(failer[20001], 'exited with code 3')
    assert.deepEqual(linesOf(tug.lines, 'sleeper.1').slice(-1), ['terminated by SIGTERM'])
    assert.deepEqual(membersOf(startedGroups(tug.lines)), [])
  })

  it('prints long lines whole and a last line without a newline, of the process that exits and of those stopped', async () => {
    // `last` exits (which stops `long`) only once `long` has written everything.
    const wrote = join(dir, 'wrote')
    writeFileSync(
      join(dir, 'Procfile'),
      `long: node -e "process.stdout.write('y'.repeat(3000000) + '\\\\nhalf a line')"; touch ${wrote}; sleep 1000\n` +
        `last: while [ ! -f ${wrote} ]; do sleep 0.1; done; printf 'no newline'\n`,
    )
    const tug = start(['-p', String(await probeFreePort())])
    const exit = await tug.exited
    assert.equal(exit.code, 0, tug.stderr())
    assert.deepEqual(linesOf(tug.lines, 'long.1').slice(1), ['y'.repeat(3_000_000), 'half a line', 'terminated by SIGTERM'])
    assert.deepEqual(linesOf(tug.lines, 'last.1').slice(1), ['no newline', 'exited with code 0'])
  })

  it('on SIGTERM, kills what ignores SIGTERM after --timeout, children included, and leaves no process', async () => {
    writeFileSync(join(dir, 'Procfile'), `stubborn: trap '' TERM; (trap '' TERM; sleep 1000) & echo ready; while true; do sleep 0.2; done\n`)
    const tug = start(['--timeout', '1', '-p', String(await probeFreePort())])
    await tug.waitFor((lines) => linesOf(lines, 'stubborn.1').includes('ready'), 'the process to start')
    const groups = startedGroups(tug.lines)
    await waitFor(() => membersOf(groups).length >= 3, {what: 'the shell, its subshell and sleeps'})
    tug.kill('SIGTERM')
    const exit = await tug.exited
    assert.equal(exit.code, 143)
    assert.deepEqual(membersOf(groups), [])
    assert.ok(tug.lines.some((line) => / system {5}\| sending SIGKILL to all processes$/.test(line)), tug.lines.join('\n'))
    assert.deepEqual(linesOf(tug.lines, 'stubborn.1').slice(-1), ['terminated by SIGKILL'])
  })

  it('a second SIGINT kills at once what the first one asked to stop', async () => {
    writeFileSync(join(dir, 'Procfile'), `stubborn: trap 'echo got TERM' TERM; echo ready; while true; do sleep 0.2; done\n`)
    const tug = start(['--timeout', '300', '-p', String(await probeFreePort())])
    await tug.waitFor((lines) => linesOf(lines, 'stubborn.1').includes('ready'), 'the process to start')
    const groups = startedGroups(tug.lines)
    tug.kill('SIGINT')
    await tug.waitFor((lines) => linesOf(lines, 'stubborn.1').includes('got TERM'), 'the process to get SIGTERM')
    tug.kill('SIGINT')
    const exit = await withDeadline(tug.exited, 30_000, 'tug to exit long before the 300 s grace')
    assert.equal(exit.code, 130)
    assert.deepEqual(linesOf(tug.lines, 'system').slice(-3), ['SIGINT received', 'sending SIGTERM to all processes', 'sending SIGKILL to all processes'])
    assert.deepEqual(membersOf(groups), [])
  })

  it('colours each process`s prefix on a terminal, and not with NO_COLOR or in a pipe', async function () {
    // Three runs of tug, two of them on a pty: slow on a loaded machine.
    this.timeout(240_000)
    writeFileSync(join(dir, 'Procfile'), `one: echo first; sleep 1000\ntwo: echo second; sleep 1000\n`)
    const onTerminal = async (env: Record<string, string | undefined>): Promise<string> => {
      const term = tugOnPty(['local', '-f', join(dir, 'Procfile'), '-p', '7300'], {cols: 120, rows: 40, env})
      try {
        await waitFor(() => term.output().includes('first') && term.output().includes('second'), {what: () => `both lines on the terminal (so far: ${JSON.stringify(term.output())})`, timeoutMs: 30_000})
      } finally {
        term.kill('SIGINT')
      }
      assert.equal((await withDeadline(term.exited, 30_000, 'tug local on the terminal to exit')).exitCode, 130)
      return term.output()
    }
    const coloured = await onTerminal({NO_COLOR: undefined, TERM: 'xterm'})
    const ESC = '\u001B['
    const lineWith = (output: string, text: string): string => output.split(/\r?\n/).find((line) => line.endsWith(` ${text}`)) ?? ''
    // Cyan, then yellow (Foreman's first two colours), around the time, the padded name and the bar.
    assert.ok(lineWith(coloured, 'first').startsWith(`${ESC}36m`) && lineWith(coloured, 'first').endsWith(`one.1  |${ESC}0m first`), JSON.stringify(coloured))
    assert.ok(lineWith(coloured, 'second').startsWith(`${ESC}33m`) && lineWith(coloured, 'second').endsWith(`two.1  |${ESC}0m second`), JSON.stringify(coloured))
    assert.ok(!(await onTerminal({NO_COLOR: '1', TERM: 'xterm'})).includes(ESC))
    const piped = start(['-p', '7300'], {NO_COLOR: undefined, TERM: 'xterm'})
    await piped.waitFor((lines) => lines.some((line) => line.endsWith('| second')) && lines.some((line) => line.endsWith('| first')), 'both lines in the pipe')
    piped.kill('SIGINT')
    await piped.exited
    assert.ok(!piped.lines.join('\n').includes('\u001B'))
  })

  it('runs N of a type on Foreman ports and only the types named', async () => {
    writeFileSync(join(dir, 'Procfile'), `web: echo "$DYNO on $PORT"; sleep 1000\nworker: echo "$DYNO on $PORT"; sleep 1000\nclock: echo "$DYNO on $PORT"; sleep 1000\n`)
    const tug = start(['-p', '7000', 'web=2', 'clock'])
    await tug.waitFor((lines) => lines.filter((line) => / on \d+$/.test(line)).length === 3, 'three processes to start')
    const said = tug.lines.filter((line) => / on \d+$/.test(line)).map((line) => line.replace(/^\S+ /, '').replace(/\s+\| /, ' | ')).sort()
    assert.deepEqual(said, ['clock.1 | clock.1 on 7200', 'web.1 | web.1 on 7000', 'web.2 | web.2 on 7001'])
    tug.kill('SIGINT')
    assert.equal((await tug.exited).code, 130)
  })

  it('refuses a malformed .env, naming the line, and starts nothing', async () => {
    writeFileSync(join(dir, 'Procfile'), `web: touch started; sleep 1000\n`)
    writeFileSync(join(dir, '.env'), `A=1\nB="two\nlines"\nthis is not a variable\n`)
    const result = await runTug(['local', '-f', join(dir, 'Procfile')])
    assert.equal(result.code, 2)
    assert.equal(result.stdout, '')
    assert.match(result.stderr, /\.env line 4: expected KEY=value, got "this is not a variable"/)
    assert.equal(existsSync(join(dir, 'started')), false)
  })

  it('refuses an unknown process type, naming the ones there are', async () => {
    writeFileSync(join(dir, 'Procfile'), `web: sleep 1000\nworker: sleep 1000\n`)
    const result = await runTug(['local', '-f', join(dir, 'Procfile'), 'wokrer=2'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /The Procfile has no process type wokrer\. Did you mean worker\? Its process types are web, worker\./)
  })

  it('local:run passes the command`s exit status, and the command sees the .env vars and PORT', async () => {
    writeFileSync(join(dir, 'Procfile'), `web: sleep 1000\n`)
    writeFileSync(join(dir, '.env'), `GREETING='hi there'\n`)
    const result = await runTug(['local:run', '-f', join(dir, 'Procfile'), '-p', '6123', 'echo "$GREETING on $PORT in $(pwd)"; exit 4'])
    assert.equal(result.code, 4, result.stderr)
    assert.equal(result.stdout, `hi there on 6123 in ${dir}\n`)
    const ok = await runTug(['local:run', '-e', join(dir, '.env'), '--', 'printenv', 'GREETING'])
    assert.equal(ok.code, 0, ok.stderr)
    assert.equal(ok.stdout, 'hi there\n')
  })
})
