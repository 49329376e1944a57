import assert from 'node:assert/strict'

import {CoreV1Api} from '@kubernetes/client-node'
import type {KubeConfig, V1Pod} from '@kubernetes/client-node'

import {HighWater, dateOf, parseLogLine, parseTimestamp} from '../../../../src/server/runtime/kubernetes/io-log-lines.js'
import {PodLogFollower} from '../../../../src/server/runtime/kubernetes/pod-logs.js'
import {startFakeKubernetes} from '../../../helpers/kubernetes/fake-api-server.js'
import type {FakeKubernetes} from '../../../helpers/kubernetes/fake-api-server.js'
import {waitFor} from '../../../helpers/wait-for.js'
import {createDeployment, createNamespace, cuttableProxy, watchPods} from './io-fixtures.js'

describe('pod log lines (timestamps=true)', () => {
  it('reads RFC 3339 times to the nanosecond, whatever the length of the fraction', () => {
    const base = BigInt(Date.parse('2026-12-06T01:02:03Z')) * 1_000_000n
    assert.equal(parseTimestamp('2026-12-06T01:02:03Z'), base)
    assert.equal(parseTimestamp('2026-12-06T01:02:03.1Z'), base + 100_000_000n)
    assert.equal(parseTimestamp('2026-12-06T01:02:03.123456789Z'), base + 123_456_789n)
    assert.equal(parseTimestamp('2026-12-06T02:02:03.5+01:00'), base + 500_000_000n)
    // Go trims trailing zeros: as text, .1 would sort after .099, as time it is later anyway.
    assert.ok((parseTimestamp('2026-12-06T01:02:03.1Z') as bigint) > (parseTimestamp('2026-12-06T01:02:03.099999999Z') as bigint))
    assert.equal(parseTimestamp('yesterday'), undefined)
    assert.equal(parseTimestamp('2026-12-06 01:02:03Z'), undefined)
    assert.equal(dateOf(base + 123_456_789n).toISOString(), '2026-12-06T01:02:03.123Z')
  })

  it('splits a line into its time and its text, spaces and empty text kept', () => {
    assert.deepEqual(parseLogLine('2026-12-06T01:02:03.5Z  two  spaces '), {raw: '2026-12-06T01:02:03.5Z', nanos: parseTimestamp('2026-12-06T01:02:03.5Z'), text: ' two  spaces '})
    assert.equal(parseLogLine('2026-12-06T01:02:03.5Z ').text, '')
    assert.deepEqual(parseLogLine('no time here'), {raw: '', nanos: undefined, text: 'no time here'})
  })

  it('drops what a re-read from the mark hands back, and keeps repeated lines that are new', () => {
    const mark = new HighWater()
    const first = mark.reader()
    const lines = ['2026-12-06T01:00:00.1Z a', '2026-12-06T01:00:00.2Z b', '2026-12-06T01:00:00.2Z b', '2026-12-06T01:00:00.2Z c'].map(parseLogLine)
    assert.deepEqual(lines.map((l) => first.admit(l)), [true, true, true, true], 'the same text twice at one time is two lines')
    assert.equal(mark.sinceTime, '2026-12-06T01:00:00.2Z')
    // A resumption with sinceTime gets the lines at the mark again, then one more `b` and a later line.
    const again = mark.reader()
    const resumed = ['2026-12-06T01:00:00.2Z b', '2026-12-06T01:00:00.2Z b', '2026-12-06T01:00:00.2Z c', '2026-12-06T01:00:00.2Z b', '2026-12-06T01:00:00.3Z d'].map(parseLogLine)
    assert.deepEqual(resumed.map((l) => again.admit(l)), [false, false, false, true, true])
    // A server that rounds sinceTime down to the second hands back older lines too.
    const rounded = mark.reader()
    assert.deepEqual([...lines, ...resumed].map((l) => rounded.admit(l)), Array(9).fill(false))
    assert.equal(mark.reader().admit(parseLogLine('untimed line')), true)
  })
})

describe('PodLogFollower (against the fake API server)', function () {
  this.timeout(90_000)
  let fake: FakeKubernetes
  let kc: KubeConfig
  const cleanups: Array<() => Promise<void> | void> = []

  beforeEach(async () => {
    fake = await startFakeKubernetes({timing: {crashBackoffMs: 100, maxCrashBackoffMs: 400}})
    kc = fake.kubeConfig()
  })

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
    await fake.close()
  })

  /** A follower fed by a pod watch, collecting lines per pod. */
  async function follow(namespace: string, options: {kc?: KubeConfig; from?: (pod: V1Pod) => boolean} = {}) {
    const lines = new Map<string, string[]>()
    const events: string[] = []
    const errors: Error[] = []
    const follower = new PodLogFollower({
      kc: options.kc ?? kc,
      namespace,
      container: 'app',
      sink: {
        line: (pod, line) => void (lines.get(pod) ?? lines.set(pod, []).get(pod))?.push(line),
        event: (pod, message) => void events.push(`${pod}: ${message}`),
      },
      onError: (error) => void errors.push(error),
      resumeDelayMs: {min: 20, max: 200},
    })
    const informer = await watchPods(
      kc,
      namespace,
      (pod) => {
        if (!options.from || options.from(pod)) follower.observe(pod)
      },
      (pod) => follower.forget(pod.metadata?.name ?? ''),
    )
    cleanups.push(async () => {
      await informer.stop()
      await follower.close()
    })
    return {lines, events, errors, follower}
  }

  /** `tick 0`, `tick 1`, ... every 10 ms, and `bye` on SIGTERM. */
  const ticker = `trap 'echo bye; exit 0' TERM; n=0; while :; do echo "tick $n"; n=$((n+1)); sleep 0.01; done`

  function assertCounting(lines: readonly string[], what: string): number {
    const ticks = lines.filter((l) => l.startsWith('tick ')).map((l) => Number(l.slice(5)))
    ticks.forEach((n, i) => assert.equal(n, ticks[0] as number + i, `${what}: line ${i} is tick ${n} (${ticks.slice(Math.max(0, i - 3), i + 3).join(',')})`))
    return ticks.length
  }

  it('follows a pod, then its replacement, with nothing lost or doubled', async () => {
    await createNamespace(kc, 'tug-logs')
    const {lines, errors} = await follow('tug-logs')
    await createDeployment(kc, 'tug-logs', 'web', ticker)
    const first = await waitFor(() => [...lines.entries()].find(([, l]) => l.length >= 30)?.[0], {what: '30 lines of the first pod', timeoutMs: 30_000})
    await kc.makeApiClient(CoreV1Api).deleteNamespacedPod({name: first, namespace: 'tug-logs'})
    const second = await waitFor(() => [...lines.entries()].find(([pod, l]) => pod !== first && l.length >= 30)?.[0], {what: 'a replacement pod’s 30 lines', timeoutMs: 30_000})
    await waitFor(() => lines.get(first)?.includes('bye'), {what: 'the first pod’s last line'})
    const firstLines = lines.get(first) as string[]
    assert.ok(assertCounting(firstLines.slice(0, -1), first) >= 30)
    assert.equal(firstLines.at(-1), 'bye', `the line written after SIGTERM comes last: ${JSON.stringify(firstLines.slice(-4))}`)
    assert.ok(assertCounting(lines.get(second) as string[], second) >= 30)
    assert.deepEqual(errors, [])
  })

  it('resumes a dropped stream from its last line (sinceTime), nothing lost or doubled', async () => {
    await createNamespace(kc, 'tug-drop')
    const proxy = await cuttableProxy(kc)
    cleanups.push(() => proxy.close())
    const {lines, errors} = await follow('tug-drop', {kc: proxy.kc})
    await createDeployment(kc, 'tug-drop', 'worker', ticker)
    const pod = await waitFor(() => [...lines.entries()].find(([, l]) => l.length >= 20)?.[0], {what: '20 lines', timeoutMs: 30_000})
    for (let cut = 1; cut <= 3; cut++) {
      const before = (lines.get(pod) as string[]).length
      assert.ok(proxy.cut() >= 1, 'the follow went through the proxy')
      await waitFor(() => (lines.get(pod) as string[]).length >= before + 20, {what: `20 more lines after cut ${cut}`, timeoutMs: 30_000})
    }
    assert.ok(assertCounting(lines.get(pod) as string[], pod) >= 80)
    const resumed = fake.requests.filter((r) => r.path.endsWith(`/pods/${pod}/log`) && r.query.sinceTime)
    assert.ok(resumed.length >= 3, `${resumed.length} reads resumed with sinceTime`)
    assert.deepEqual(errors, [])
  })

  it('keeps long lines whole, multi-byte characters cut between chunks included', async () => {
    await createNamespace(kc, 'tug-long')
    const {lines, errors} = await follow('tug-long')
    await createDeployment(kc, 'tug-long', 'worker', `printf 'é%.0s' $(seq 1 100000); echo; echo short; sleep 600`)
    const pod = await waitFor(() => [...lines.entries()].find(([, l]) => l.includes('short'))?.[0], {what: 'the short line after the long one', timeoutMs: 30_000})
    assert.deepEqual(lines.get(pod), ['é'.repeat(100_000), 'short'])
    assert.deepEqual(errors, [])
  })

  it('reads a crashed instance’s log (previous=true) that nobody followed, then goes on with the next ones', async () => {
    await createNamespace(kc, 'tug-crash')
    let observing = false
    const {lines, errors, follower} = await follow('tug-crash', {from: () => observing})
    // Each run prints its number and a few lines, then crashes; the count survives in the emptyDir.
    await createDeployment(kc, 'tug-crash', 'worker', 'n=$(cat n 2>/dev/null || echo 0); echo $((n+1)) > n; for i in 1 2 3; do echo "run $n line $i"; done; sleep 0.1; exit 1')
    const crashed = await waitFor(
      () => fake.list('Pod', 'tug-crash').find((p) => ((p as V1Pod).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2) as V1Pod | undefined,
      {what: 'a pod restarted twice', timeoutMs: 30_000},
    )
    const name = crashed.metadata?.name as string
    const restarts = crashed.status?.containerStatuses?.[0]?.restartCount as number
    // The watch showed nothing of this pod so far: it is handed over as it is now.
    observing = true
    follower.observe(crashed)
    const runs = await waitFor(() => {
      const got = lines.get(name) ?? []
      return got.length >= 15 ? [...got] : undefined
    }, {what: 'five runs’ lines', timeoutMs: 30_000})
    const expected: string[] = []
    const first = restarts - 1
    for (let run = first; run < first + 5; run++) for (const i of [1, 2, 3]) expected.push(`run ${run} line ${i}`)
    assert.deepEqual(runs.slice(0, 15), expected, 'the previous instance first, then each new instance after its crash, once and in order')
    assert.ok(fake.requests.some((r) => r.path.endsWith(`/pods/${name}/log`) && r.query.previous === 'true'), 'previous=true was asked for')
    assert.deepEqual(errors, [])
  })
})
