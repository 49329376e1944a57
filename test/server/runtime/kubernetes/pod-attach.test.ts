import assert from 'node:assert/strict'

import type {KubeConfig} from '@kubernetes/client-node'

import type {DynoIoStream} from '../../../../src/server/runtime/backend.js'
import {TtyGate} from '../../../../src/server/runtime/kubernetes/io-attach-gate.js'
import {GATE_READY, attachToPod, gatedCommand} from '../../../../src/server/runtime/kubernetes/pod-attach.js'
import type {PodAttach} from '../../../../src/server/runtime/kubernetes/pod-attach.js'
import {startFakeKubernetes} from '../../../helpers/kubernetes/fake-api-server.js'
import type {FakeKubernetes} from '../../../helpers/kubernetes/fake-api-server.js'
import {waitFor, withDeadline} from '../../../helpers/wait-for.js'
import {createJob, createNamespace} from './io-fixtures.js'

interface Collected {
  text: Record<DynoIoStream, string>
  order: DynoIoStream[]
  ended: Promise<void>
}

function collect(io: PodAttach): Collected {
  const collected: Collected = {text: {stdout: '', stderr: ''}, order: [], ended: new Promise((resolve) => io.onEnd(resolve))}
  io.onData((stream, chunk) => {
    collected.text[stream] += chunk.toString('utf8')
    collected.order.push(stream)
  })
  return collected
}

describe('the TTY gate (GATE_READY taken out of the stream)', () => {
  const ready = Buffer.from(`${GATE_READY}\r\n`)
  function gate(): {gate: TtyGate; out: () => string; sent: () => number} {
    let text = ''
    let sent = 0
    const g = new TtyGate((data) => void (text += data.toString('latin1')), () => void sent++)
    return {gate: g, out: () => text, sent: () => sent}
  }

  it('opens on the line seen on the stream, cut anywhere, and delivers only what follows', () => {
    const {gate: g, out, sent} = gate()
    g.push(ready.subarray(0, 5))
    assert.equal(sent(), 0)
    g.push(Buffer.concat([ready.subarray(5), Buffer.from('hi\r\n')]))
    assert.equal(sent(), 1)
    g.push(Buffer.from('more'))
    assert.equal(out(), 'hi\r\nmore')
  })

  it('opened from the log: strips the line still in flight, or passes the command’s output when it came before', () => {
    const inFlight = gate()
    inFlight.gate.open()
    assert.equal(inFlight.sent(), 1)
    inFlight.gate.push(ready.subarray(0, 3))
    assert.equal(inFlight.out(), '', 'the start of the line is held')
    inFlight.gate.push(Buffer.concat([ready.subarray(3), Buffer.from('out')]))
    assert.equal(inFlight.out(), 'out')
    const before = gate()
    before.gate.open()
    before.gate.push(Buffer.from('out'))
    assert.equal(before.out(), 'out')
    assert.equal(before.sent(), 1)
  })
})

describe('attachToPod (against the fake API server)', function () {
  this.timeout(90_000)
  let fake: FakeKubernetes
  let kc: KubeConfig
  let count = 0

  beforeEach(async () => {
    fake = await startFakeKubernetes()
    kc = fake.kubeConfig()
    await createNamespace(kc, 'tug-run')
  })

  afterEach(async () => {
    await fake.close()
  })

  /** A one-off's Job `run-N` and its pod's name. */
  async function oneOff(script: string, options: {tty?: boolean} = {}): Promise<string> {
    const job = `run-${++count}`
    await createJob(kc, 'tug-run', job, script, options)
    return waitFor(() => fake.list('Pod', 'tug-run').find((p) => p.metadata.labels?.['job-name'] === job)?.metadata.name, {what: `the pod of ${job}`})
  }

  it('bridges stdin to `cat` and ends on EOF (v5 close of stdin), exit status 0', async () => {
    const pod = await oneOff(gatedCommand('cat'))
    const io = await attachToPod({kc, namespace: 'tug-run', pod, container: 'app', tty: false, gate: true})
    const out = collect(io)
    io.resume()
    assert.equal(io.write(Buffer.from('hello\n')), true)
    io.write(Buffer.from('world\n'))
    await waitFor(() => out.text.stdout === 'hello\nworld\n', {what: () => `cat's echo (got ${JSON.stringify(out.text.stdout)})`})
    io.endInput()
    await withDeadline(out.ended, 20_000, 'the end of the output after EOF')
    assert.deepEqual(await withDeadline(io.exited, 20_000, 'the exit status'), {code: 0, signal: null, reason: 'Completed'})
    await io.closed
    assert.ok(fake.requests.some((r) => r.path === `/api/v1/namespaces/tug-run/pods/${pod}/attach` && r.query.stdin === 'true'))
  })

  it('takes 1 MiB of stdin with back-pressure (write() false, then onDrain) and echoes it all, in order', async () => {
    const pod = await oneOff(gatedCommand('cat'))
    const io = await attachToPod({kc, namespace: 'tug-run', pod, container: 'app', tty: false, gate: true})
    const out = collect(io)
    io.resume()
    const input = Buffer.from(Array.from({length: 1 << 16}, (_, i) => `${String(i).padStart(15, '0')}\n`).join(''))
    let refused = 0
    for (let offset = 0; offset < input.length; offset += 16 * 1024) {
      if (!io.write(input.subarray(offset, offset + 16 * 1024))) {
        refused++
        await withDeadline(new Promise<void>((resolve) => io.onDrain(resolve)), 20_000, 'a drain')
      }
    }
    io.endInput()
    await withDeadline(out.ended, 60_000, 'the echo of 1 MiB')
    assert.ok(refused > 0, 'write() said to wait at least once')
    assert.equal(out.text.stdout.length, input.length)
    assert.ok(out.text.stdout === input.toString(), 'the echo is the input, in order')
  })

  it('reports the exit status of `exit 3`, with stdout and stderr apart', async () => {
    const pod = await oneOff(gatedCommand('echo out; echo err >&2; exit 3'))
    const io = await attachToPod({kc, namespace: 'tug-run', pod, container: 'app', tty: false, gate: true})
    const out = collect(io)
    io.resume()
    await withDeadline(out.ended, 20_000, 'the end of the output')
    assert.deepEqual(out.text, {stdout: 'out\n', stderr: 'err\n'})
    const exit = await withDeadline(io.exited, 20_000, 'the exit status')
    assert.equal(exit.code, 3)
    assert.equal(exit.signal, null)
  })

  it('holds the output back until resume(), and pause() holds it again', async () => {
    const pod = await oneOff(gatedCommand('for i in $(seq 1 2000); do echo "line $i"; done'))
    const io = await attachToPod({kc, namespace: 'tug-run', pod, container: 'app', tty: false, gate: true})
    const out = collect(io)
    // The command runs on (the fake's attach buffers what nobody reads), but nothing is handed over.
    await waitFor(() => (fake.get('Pod', 'tug-run', pod)?.status as {phase?: string} | undefined)?.phase === 'Succeeded', {what: 'the command to finish while nobody reads'})
    assert.equal(out.text.stdout, '', 'nothing before resume()')
    io.resume()
    await waitFor(() => out.text.stdout.length > 0, {what: 'output after resume()'})
    io.pause()
    const held = out.text.stdout.length
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(out.text.stdout.length, held, 'pause() holds what comes next')
    io.resume()
    await withDeadline(out.ended, 20_000, 'the end of the output')
    const expected = Array.from({length: 2000}, (_, i) => `line ${i + 1}\n`).join('')
    assert.equal(out.text.stdout, expected)
  })

  it('runs a TTY: the size and a resize reach the pod, input echoes, ^C is SIGINT', async () => {
    const pod = await oneOff(gatedCommand(`read line; echo "got $line"; trap 'echo caught; exit 7' INT; echo ready; while :; do sleep 0.05; done`), {tty: true})
    const io = await attachToPod({kc, namespace: 'tug-run', pod, container: 'app', tty: true, cols: 100, rows: 30, gate: true})
    assert.equal(io.tty, true)
    const out = collect(io)
    io.resume()
    await waitFor(() => fake.resizes.some((r) => r.pod === pod && r.width === 100 && r.height === 30), {what: 'the first size at the fake'})
    io.resize(132, 43)
    await waitFor(() => fake.resizes.some((r) => r.pod === pod && r.width === 132 && r.height === 43), {what: 'the resize at the fake'})
    io.write(Buffer.from('abc\r'))
    await waitFor(() => out.text.stdout.includes('ready'), {what: () => `the answer (got ${JSON.stringify(out.text.stdout)})`})
    // No echo of the gate's newline, no GATE_READY line. The input, written before the gate
    // opened, waited for it and reached the command whole; whether the terminal echoes it depends
    // on whether it arrives before or after the script turned echo back on (typeahead).
    assert.match(out.text.stdout, /^(abc\r\n)?got abc\r\nready\r\n$/)
    io.write(Buffer.from('x'))
    await waitFor(() => out.text.stdout.endsWith('ready\r\nx'), {what: () => `the echo of later input (got ${JSON.stringify(out.text.stdout)})`})
    assert.deepEqual([...new Set(out.order)], ['stdout'], 'a TTY has one output stream')
    io.signal('SIGINT')
    await withDeadline(out.ended, 20_000, 'the end after ^C')
    assert.match(out.text.stdout, /caught/)
    // 7 from the trap; the fake's `script -c` runs the command under an extra `sh -c`, which ^C
    // kills too (130): a real container's PID 1 is the command itself.
    assert.ok([7, 130].includes((await withDeadline(io.exited, 20_000, 'the exit status')).code as number))
  })

  it('loses nothing of a short command: gated, or replayed from the log when it ended before the attach', async () => {
    const gated = await oneOff(gatedCommand('echo hi'))
    const io = await attachToPod({kc, namespace: 'tug-run', pod: gated, container: 'app', tty: false, gate: true})
    const out = collect(io)
    io.resume()
    await withDeadline(out.ended, 20_000, 'the gated output')
    assert.equal(out.text.stdout, 'hi\n')

    const ungated = await oneOff('echo hi; echo there; exit 4')
    await waitFor(() => (fake.get('Pod', 'tug-run', ungated)?.status as {phase?: string} | undefined)?.phase === 'Failed', {what: 'the ungated pod to finish'})
    const late = await attachToPod({kc, namespace: 'tug-run', pod: ungated, container: 'app', tty: false})
    const replayed = collect(late)
    late.resume()
    await withDeadline(replayed.ended, 20_000, 'the replayed output')
    assert.equal(replayed.text.stdout, 'hi\nthere\n')
    assert.equal((await withDeadline(late.exited, 20_000, 'the exit status')).code, 4)
    assert.ok(!fake.requests.some((r) => r.path.endsWith(`/pods/${ungated}/attach`)), 'no attach to a finished pod')
  })

  it('says why a pod that cannot start its container cannot be attached', async () => {
    const job = `run-${count + 1}`
    fake.onPod((p) => p.metadata.labels?.['job-name'] === job, {kind: 'createContainerConfigError', message: 'secret "config-v3" not found'})
    const pod = await oneOff('true')
    await assert.rejects(attachToPod({kc, namespace: 'tug-run', pod, container: 'app', tty: false, startTimeoutMs: 20_000}), /cannot start its container app: CreateContainerConfigError \(secret "config-v3" not found\)/)
  })
})
