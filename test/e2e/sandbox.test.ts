// The dyno sandbox end to end (issue 14): a real control plane started with the sandbox on (the
// default of `tug server`), real dynos, the real `tug` binary. What a dyno must not reach is read
// from inside one, with the host paths the control plane really uses; each check prints what it
// found, so that a failure says which hole is open.
import assert from 'node:assert/strict'
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {startControlPlane, type ControlPlane} from '../helpers/control-plane.js'
import {tugOnPty} from '../helpers/pty.js'
import {waitFor, withDeadline} from '../helpers/wait-for.js'

const CONVERGE_MS = 90_000

/** The file named `name` under `dir`, searched depth-first (a release's code directory holds it). */
function findFile(dir: string, name: string): string | undefined {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry)
    if (entry === name) return path
    if (statSync(path, {throwIfNoEntry: false})?.isDirectory()) {
      const found = findFile(path, name)
      if (found) return found
    }
  }
  return undefined
}

describe('e2e: the dyno sandbox', function () {
  this.timeout(300_000)
  let plane: ControlPlane
  let codeDir: string
  let otherCode: string

  async function tug(args: string[]): Promise<string> {
    const result = await plane.run(args, {timeoutMs: 120_000})
    assert.equal(result.code, 0, `tug ${args.join(' ')}\n${result.stdout}\n${result.stderr}`)
    return result.stdout
  }
  const logs = (app: string): Promise<string> => tug(['logs', '-a', app, '-n', '1500'])
  /** `sh` test that prints `<label>:open` when `command` succeeds and `<label>:closed` otherwise. */
  const probe = (label: string, command: string): string => `if ${command} >/dev/null 2>&1; then echo ${label}:open; else echo ${label}:closed; fi`

  before(async () => {
    plane = await startControlPlane({env: {TUG_STOP_GRACE_MS: '3000'}})
    assert.match(plane.output(), /^Sandbox: +on/m)
    codeDir = mkdtempSync(join(tmpdir(), 'tug-e2e-box-'))
    otherCode = mkdtempSync(join(tmpdir(), 'tug-e2e-box2-'))
    writeFileSync(join(codeDir, 'box1-marker.txt'), 'box1\n')
    writeFileSync(
      join(codeDir, 'Procfile'),
      [
        // Says whether this run of the dyno finds a note an earlier run (or another dyno) left.
        'worker: if [ -e /app/note ]; then echo "$DYNO sees $(cat /app/note)"; else echo "$DYNO fresh"; fi; echo "$DYNO" > /app/note; sleep 1000',
        `release: echo "release uid=$(id -u)"; ${probe('release-data', 'ls "$DATA"')}`,
        '',
      ].join('\n'),
    )
    writeFileSync(join(otherCode, 'box2-secret.txt'), 'box2\n')
    writeFileSync(join(otherCode, 'Procfile'), 'worker: sleep 1000\n')
    await tug(['apps:create', 'box1', '--no-remote'])
    await tug(['apps:create', 'box2', '--no-remote'])
    await tug(['config:set', `DATA=${plane.dataDir}`, '-a', 'box1'])
    await tug(['deploy', otherCode, '-a', 'box2'])
    await tug(['deploy', codeDir, '-a', 'box1'])
  })

  after(async () => {
    await plane?.close()
    for (const dir of [codeDir, otherCode]) if (dir) rmSync(dir, {recursive: true, force: true})
  })

  it("a one-off reads neither the data directory nor another app's code, and cannot see or signal the control plane", async () => {
    const secret = findFile(plane.dataDir, 'box2-secret.txt')
    assert.ok(secret, 'box2 has a release directory on the host')
    const script = [
      'id -u',
      probe('data-dir', `ls ${plane.dataDir}`),
      probe('admin-token', `cat ${join(plane.dataDir, 'admin-token')}`),
      probe('tug-db', `cat ${join(plane.dataDir, 'tug.db')}`),
      probe('other-app', `cat ${secret}`),
      probe('plane-proc', `cat /proc/${plane.pid}/status`),
      probe('plane-kill', `kill -0 ${plane.pid}`),
      probe('own-code', 'cat /app/box1-marker.txt'),
      'echo "home=$HOME pwd=$PWD"',
    ].join('; ')
    const out = await tug(['run', '-a', 'box1', '--no-tty', '--', script])
    const [uid, ...rest] = out.trim().split('\n')
    assert.notEqual(Number(uid), 0)
    assert.notEqual(Number(uid), process.getuid?.())
    assert.deepEqual(rest, [
      'data-dir:closed',
      'admin-token:closed',
      'tug-db:closed',
      'other-app:closed',
      'plane-proc:closed',
      'plane-kill:closed',
      'own-code:open',
      'home=/app pwd=/app',
    ])
    // The same checks from the host, so that "closed" above is the sandbox and not a wrong path.
    assert.equal(readFileSync(secret, 'utf8'), 'box2\n')
    assert.ok(readFileSync(join(plane.dataDir, 'admin-token'), 'utf8').length > 0)
  })

  it('a file written under /app is private to the dyno and gone after a restart', async () => {
    await tug(['ps:scale', 'worker=2', '-a', 'box1'])
    await waitFor(async () => /worker\.1 fresh/.test(await logs('box1')) && /worker\.2 fresh/.test(await logs('box1')), {
      timeoutMs: CONVERGE_MS,
      what: 'both workers to write their note',
    })
    // Another dyno of the same app, started after the workers wrote: its /app has no note.
    const other = await tug(['run', '-a', 'box1', '--no-tty', '--', probe('note', 'test -e /app/note')])
    assert.equal(other.trim(), 'note:closed')
    await tug(['ps:restart', 'worker.1', '-a', 'box1'])
    await waitFor(async () => ((await logs('box1')).match(/worker\.1 (fresh|sees)/g) ?? []).length >= 2, {
      timeoutMs: CONVERGE_MS,
      what: 'worker.1 to run again after its restart',
    })
    const text = await logs('box1')
    assert.equal((text.match(/app\[worker\.1\]: worker\.1 fresh/g) ?? []).length, 2, text)
    assert.doesNotMatch(text, /app\[worker\.\d\]: worker\.\d sees/)
    // Nothing reached the release's code on the host.
    const marker = findFile(plane.dataDir, 'box1-marker.txt')
    assert.ok(marker)
    assert.deepEqual(
      readdirSync(join(marker, '..')).filter((name) => name === 'note'),
      [],
    )
  })

  it('the release phase and a scheduled run are sandboxed too', async () => {
    const text = await logs('box1')
    const release = /app\[release\.1\]: release uid=(\d+)/.exec(text)
    assert.ok(release, text)
    assert.notEqual(Number(release[1]), 0)
    assert.match(text, /app\[release\.1\]: release-data:closed/)
    await tug(['schedules:add', '* * * * *', '-a', 'box1', '--', `echo "scheduled uid=$(id -u)"; ${probe('scheduled-data', 'ls "$DATA"')}`])
    const scheduled = await waitFor(
      async () => {
        const now = await logs('box1')
        return /app\[scheduler\.1\]: scheduled-data:/.test(now) ? now : undefined
      },
      {timeoutMs: 120_000, intervalMs: 1000, what: 'the scheduled run'},
    )
    assert.match(scheduled, /app\[scheduler\.1\]: scheduled-data:closed/)
    const uid = /app\[scheduler\.1\]: scheduled uid=(\d+)/.exec(scheduled)
    assert.ok(uid, scheduled)
    assert.notEqual(Number(uid[1]), 0)
  })

  it('an attached one-off under a terminal still has its tty', async () => {
    const term = tugOnPty(['run', '-a', 'box1', '--', 'tty && echo tty-ok'], {cols: 80, rows: 24, env: {HOME: plane.home, TUG_API_URL: plane.url, TUG_API_KEY: plane.token}})
    try {
      const {exitCode} = await withDeadline(term.exited, 60_000, 'tug run under a terminal')
      assert.equal(exitCode, 0, term.output())
      // `tty` names the terminal (bwrap's own /dev would call it /dev/console), then the && ran.
      assert.match(term.output(), /\/dev\/pts\/\d+\s+tty-ok/, term.output())
    } finally {
      term.kill('SIGKILL')
    }
  })

  it('leaves no overlay mounted and no scratch directory once the control plane has stopped', async () => {
    // A clean stop (SIGTERM), looked at before close(), whose clean-up would unmount leftovers itself.
    await plane.kill('SIGTERM')
    const mounts = readFileSync('/proc/self/mounts', 'utf8')
    assert.equal(mounts.includes(plane.dataDir), false, mounts)
    assert.deepEqual(readdirSync(join(plane.dataDir, 'sandboxes')), [])
  })
})
