// The demo (scripts/demo.js) stopped by a signal that ends one of its tug commands names the
// signal: spawnSync reports `status: null` then, which it printed as "exited with status null".
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, realpathSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {cleanEnv, collectOutput, ensureBuilt, killServerOf, ROOT} from '../helpers/control-plane.js'
import {listPids, procStat} from '../helpers/proc.js'
import {waitFor} from '../helpers/wait-for.js'

/** The pid of a child of `parent` whose command line contains `word`, if one runs now. */
function childRunning(parent: number, word: string): number | undefined {
  for (const pid of listPids()) {
    if (procStat(pid)?.ppid !== parent) continue
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(word)) return pid
    } catch {
      // gone meanwhile
    }
  }
  return undefined
}

describe('e2e: the demo stopped by a signal', function () {
  this.timeout(180_000)
  let home: string

  before(() => {
    ensureBuilt()
    home = realpathSync(mkdtempSync(join(tmpdir(), 'tug-demo-signal-')))
  })

  after(() => {
    killServerOf(join(home, '.local', 'share', 'tug'))
    rmSync(home, {recursive: true, force: true})
  })

  it('names the signal that ended its tug command, and exits as a shell would (128 + its number)', async () => {
    const env = cleanEnv({HOME: home, CI: 'true', TUG_ROUTER_PORT: '0'})
    const demo = spawn(process.execPath, [join(ROOT, 'scripts', 'demo.js')], {cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe']})
    const done = collectOutput(demo, 'the demo', 150_000)
    let deploy: number | undefined
    await waitFor(() => (deploy = childRunning(demo.pid ?? -1, 'deploy')) !== undefined || demo.exitCode !== null, {
      what: 'the demo to run tug deploy',
      timeoutMs: 120_000,
      intervalMs: 20,
    })
    assert.ok(deploy !== undefined, 'the demo ran tug deploy')
    // SIGKILL: tug ends on SIGTERM and SIGINT by itself with 143 and 130, a status, not a signal.
    process.kill(deploy, 'SIGKILL')
    const result = await done
    assert.match(result.stderr, /^The demo stopped: `tug deploy \S+ -a demo` was stopped by SIGKILL\.$/m)
    assert.doesNotMatch(result.stderr, /status null/)
    assert.equal(result.code, 137)
  })
})
