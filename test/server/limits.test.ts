// The descriptor limit at start and the listeners' caps derived from it (issue 14, item 4).
import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {afterEach, describe, it} from 'mocha'
import {connectionCaps, describeFileLimit, raiseFileLimit, readFileLimit} from '../../src/server/limits.js'
import {waitFor} from '../helpers/wait-for.js'

describe('descriptor limit and connection caps', function () {
  this.timeout(20_000)
  let child: ChildProcess | undefined

  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    }
    child = undefined
  })

  it('leaves the API and the reserve their descriptors: the router gets half of the rest, at most 10,000', () => {
    // This machine's limit: a full router with every connection in flight to a dyno (two descriptors
    // each) uses 16,440 of 20,000, leaving 1,000 to the API, 256 to rendezvous, 2,304 to the rest.
    assert.deepEqual(connectionCaps(20_000), {api: 1000, router: 8220, routerPerAddress: 256, rendezvous: 256, reserve: 2304})
    assert.deepEqual(connectionCaps(1_048_576), {api: 1000, router: 10_000, routerPerAddress: 256, rendezvous: 256, reserve: 2304})
    // A small limit (a default soft 1024 that could not be raised) is shared in proportion.
    const small = connectionCaps(1024)
    assert.deepEqual(small, {api: 128, router: 288, routerPerAddress: 256, rendezvous: 64, reserve: 256})
    assert.ok(small.api + small.rendezvous + small.reserve + 2 * small.router <= 1024)
    for (const limit of [64, 256, 4096, 20_000, 65_536]) {
      const caps = connectionCaps(limit)
      assert.ok(caps.api + caps.rendezvous + caps.reserve + 2 * caps.router <= limit, `limit ${limit}`)
      assert.ok(caps.router >= 1 && caps.routerPerAddress <= caps.router)
    }
  })

  it('raises the soft limit of a process to its hard one with prlimit', async () => {
    // sleep, unlike node, does not raise its own soft limit at start.
    child = spawn('prlimit', ['--nofile=1024:4096', 'sleep', '60'], {stdio: 'ignore'})
    const pid = child.pid as number
    await waitFor(() => readFileLimit(pid)?.soft === 1024, {what: 'sleep to run with a soft limit of 1024'})
    const limit = raiseFileLimit({pid})
    assert.deepEqual(limit, {soft: 4096, hard: 4096, raisedFrom: 1024})
    assert.deepEqual(readFileLimit(pid), {soft: 4096, hard: 4096})
    assert.equal(describeFileLimit(limit, connectionCaps(limit.soft)), '4096 (raised from 1024); connections: API 512, router 1152 (256 per address), rendezvous 256')
  })

  it('says why when prlimit is missing, and changes nothing', async () => {
    child = spawn('prlimit', ['--nofile=1024:4096', 'sleep', '60'], {stdio: 'ignore'})
    const pid = child.pid as number
    await waitFor(() => readFileLimit(pid)?.soft === 1024, {what: 'sleep to run with a soft limit of 1024'})
    const limit = raiseFileLimit({
      pid,
      run: () => {
        throw Object.assign(new Error('spawnSync prlimit ENOENT'), {code: 'ENOENT'})
      },
    })
    assert.deepEqual(limit, {soft: 1024, hard: 4096, note: 'prlimit is not installed (util-linux); raise it with `ulimit -n 4096` before starting'})
    assert.equal(readFileLimit(pid)?.soft, 1024)
  })

  it('runs nothing when the soft limit is already the hard one', () => {
    const limit = raiseFileLimit({
      run: () => assert.fail('prlimit must not run'),
    })
    // Node raises its own soft limit at start, so the test process is already there.
    assert.equal(limit.soft, limit.hard)
    assert.equal(limit.raisedFrom, undefined)
  })
})
