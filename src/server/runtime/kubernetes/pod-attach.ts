// `tug run` on Kubernetes: the one-off's Job pod, its container spec'd `stdin: true` (+ `tty`),
// bridged to the runtime's DynoIo through the pod's attach WebSocket (client-node's
// WebSocketHandler, `v5.channel.k8s.io` first): channel 0 stdin, 1 stdout, 2 stderr, 4 resize,
// 255 close. Attach has no status channel: the exit status is read from the container's
// `state.terminated` once the stream is over.
//
// The race of a short command: a container runs as soon as it starts, and an attach that connects
// later never sees what it wrote before (kubectl warns "If you don't see a command prompt..." and,
// when the pod has already completed, prints its log instead; Dokku follows the log and never
// attaches without a TTY). tug does both of these better:
//   - `gatedCommand()` makes the container wait, before running the command, for one byte on its
//     stdin (a newline), and `attachToPod({gate: true})` sends it once the attach is connected:
//     nothing is written before someone listens, as with the local backend, whose output waits for
//     `resume()`. The core uses both together (a Job without an attach is never gated). Under a
//     TTY the terminal would echo that newline if it came before the script turned echo off, so
//     the script then prints GATE_READY (a line of an OSC sequence terminals ignore), and the
//     newline is sent only once that line was seen, on the attach or, when it was printed before
//     the attach connected, in the pod's log. The line is taken out of both;
//   - a container already over when the attach is asked for (a gated one ended by its deadline,
//     or an ungated one) is replayed from its log, complete, as stdout.
// Signals: there is no signal channel. Under a TTY, SIGINT, SIGQUIT and SIGTSTP are the terminal's
// ^C, ^\ and ^Z, which the line discipline turns into the signal for the foreground job. SIGHUP
// (the client went away) ends stdin. SIGKILL deletes the pod at once (grace 0); any other signal,
// and SIGINT/SIGQUIT without a TTY, deletes the pod with its own grace period: the kubelet sends
// SIGTERM, then SIGKILL.
import {constants as osConstants} from 'node:os'
import {PassThrough} from 'node:stream'
import {setTimeout as sleep} from 'node:timers/promises'

import {CoreV1Api} from '@kubernetes/client-node'
// Not re-exported by the package's index, but public API of its own module (Attach and Exec use it).
import {WebSocketHandler} from '@kubernetes/client-node/dist/web-socket-handler.js'
import type {KubeConfig, V1ContainerStatus, V1Pod} from '@kubernetes/client-node'
import WebSocket from 'ws'

import type {DynoExit, DynoIo, DynoIoStream} from '../backend.js'
import {BackendError} from '../errors.js'
import {GATE_READY, TtyGate, readyInLog} from './io-attach-gate.js'
import {readPodLog, statusCodeOf} from './io-log-read.js'

export {GATE_READY, gatedCommand} from './io-attach-gate.js'

export interface PodAttachOptions {
  kc: KubeConfig
  namespace: string
  pod: string
  container: string
  tty: boolean
  cols?: number
  rows?: number
  /** The container runs `gatedCommand(...)`: release it once attached. */
  gate?: boolean
  /** How long the pod may take to start its container (scheduling, the slug's fetch); 120 s. */
  startTimeoutMs?: number
  /** How often the pod is read while waiting for it to start or end; 100 ms. */
  pollMs?: number
}

export type PodAttach = DynoIo & {
  /** The WebSocket is closed (or the log replay is over). */
  closed: Promise<void>
  /** The container's end, from `state.terminated` (`reason` as Kubernetes gives it). */
  exited: Promise<DynoExit & {reason?: string}>
}

const WAITING_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError'])
const CONTROL: Partial<Record<NodeJS.Signals, string>> = {SIGINT: '\x03', SIGQUIT: '\x1c', SIGTSTP: '\x1a'}
const HIGH_WATER = 64 * 1024

export async function attachToPod(options: PodAttachOptions): Promise<PodAttach> {
  const api = options.kc.makeApiClient(CoreV1Api)
  const pollMs = options.pollMs ?? 100
  const read = (): Promise<V1Pod | undefined> => readPod(api, options)
  if ((await waitForStart(read, options, pollMs)) === 'running') {
    try {
      return await connect(options, api, read, pollMs)
    } catch (error) {
      // It may have ended between the read and the connection: then its log has everything.
      if ((await containerPhase(read, options)) !== 'terminated') throw error
    }
  }
  return replay(options, read, pollMs)
}

class Output {
  private listeners: Array<(stream: DynoIoStream, chunk: Buffer) => void> = []
  private endListeners: Array<() => void> = []
  private queue: Array<[DynoIoStream, Buffer]> = []
  private ended = false
  private endDelivered = false
  paused = true

  onData(listener: (stream: DynoIoStream, chunk: Buffer) => void): void {
    this.listeners.push(listener)
    this.flush()
  }

  onEnd(listener: () => void): void {
    if (this.endDelivered) queueMicrotask(listener)
    else this.endListeners.push(listener)
  }

  push(stream: DynoIoStream, chunk: Buffer): void {
    if (chunk.length === 0) return
    this.queue.push([stream, chunk])
    this.flush()
  }

  end(): void {
    this.ended = true
    this.flush()
  }

  flush(): void {
    while (!this.paused && this.listeners.length > 0 && this.queue.length > 0) {
      const [stream, chunk] = this.queue.shift() as [DynoIoStream, Buffer]
      for (const listener of this.listeners) listener(stream, chunk)
    }
    if (this.ended && this.queue.length === 0 && !this.endDelivered) {
      this.endDelivered = true
      for (const listener of this.endListeners.splice(0)) listener()
    }
  }
}

async function connect(options: PodAttachOptions, api: CoreV1Api, read: () => Promise<V1Pod | undefined>, pollMs: number): Promise<PodAttach> {
  const output = new Output()
  let socket: WebSocket | undefined
  // Close frames are handled here; the handler's own streams are never used for output.
  const streams = {stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough()}
  const handler = new WebSocketHandler(
    options.kc,
    (uri, protocols, opts) => {
      const ws = new WebSocket(uri, protocols, opts)
      ws.on('open', () => ws.pause())
      socket = ws
      return ws
    },
    streams,
  )
  const query = new URLSearchParams({
    container: options.container,
    stdin: 'true',
    stdout: 'true',
    stderr: String(!options.tty),
    tty: String(options.tty),
  })
  const path = `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/pods/${encodeURIComponent(options.pod)}/attach?${query}`
  // Under a gated TTY, stdout is held until GATE_READY has been seen and taken out.
  let gate: TtyGate | undefined
  // The gate may open on the first frames, before `send` below exists: then the byte waits for it.
  let gateByteWanted = false
  let sendGateByte = (): void => void (gateByteWanted = true)
  if (options.gate && options.tty) gate = new TtyGate((data) => output.push('stdout', data), () => sendGateByte())
  const stdout = (data: Buffer): void => (gate ? gate.push(data) : output.push('stdout', data))
  await handler.connect(path, null, (channel, data) => {
    if (channel === WebSocketHandler.StdoutStream) stdout(Buffer.from(data))
    else if (channel === WebSocketHandler.StderrStream) output.push('stderr', Buffer.from(data))
    return true
  })
  const ws = socket as WebSocket
  const v5 = WebSocketHandler.supportsClose(ws.protocol)
  let settleClosed: () => void = () => {}
  const closed = new Promise<void>((resolve) => (settleClosed = resolve))
  let pending = 0
  let inputEnded = false
  const drainListeners: Array<() => void> = []
  const send = (channel: number, data: Buffer): boolean => {
    if (ws.readyState !== WebSocket.OPEN) return true
    const frame = Buffer.concat([Buffer.from([channel]), data])
    pending += frame.length
    ws.send(frame, () => {
      const was = pending
      pending -= frame.length
      if (was > HIGH_WATER / 2 && pending <= HIGH_WATER / 2) for (const listener of drainListeners) listener()
    })
    return pending <= HIGH_WATER
  }
  // Under a gated TTY, input waits for the gate's byte (the gate would take its first byte).
  let heldInput: Array<[number, Buffer]> | undefined = gate ? [] : undefined
  let heldBytes = 0
  const sendInput = (channel: number, data: Buffer): boolean => {
    if (!heldInput) return send(channel, data)
    heldInput.push([channel, data])
    heldBytes += data.length
    return heldBytes <= HIGH_WATER
  }
  ws.on('close', () => {
    gate?.flush()
    output.end()
    settleClosed()
  })
  if (ws.readyState === WebSocket.CLOSED) {
    output.end()
    settleClosed()
  }
  const resize = (cols: number, rows: number): void => {
    if (options.tty) send(WebSocketHandler.ResizeStream, Buffer.from(JSON.stringify({Width: cols, Height: rows})))
  }
  if (options.cols && options.rows) resize(options.cols, options.rows)
  sendGateByte = () => {
    send(WebSocketHandler.StdinStream, Buffer.from('\n'))
    for (const [channel, data] of heldInput ?? []) send(channel, data)
    heldInput = undefined
  }
  if (gateByteWanted || (options.gate && !options.tty)) sendGateByte()
  else if (gate) {
    const opener = gate
    void readyInLog(options.kc, {namespace: options.namespace, pod: options.pod, container: options.container}).then((ready) => ready && opener.open())
  }
  const endInput = (): void => {
    if (inputEnded) return
    inputEnded = true
    if (options.tty) sendInput(WebSocketHandler.StdinStream, Buffer.from('\x04'))
    else if (v5) sendInput(WebSocketHandler.CloseStream, Buffer.from([WebSocketHandler.StdinStream]))
    // Before v5 a stream cannot be half-closed: the container's stdin stays open until the attach closes.
  }
  const exited = closed.then(() => waitForExit(read, options, pollMs))
  return {
    tty: options.tty,
    closed,
    exited,
    onData: (listener) => output.onData(listener),
    onEnd: (listener) => output.onEnd(listener),
    pause() {
      output.paused = true
      if (ws.readyState === WebSocket.OPEN) ws.pause()
    },
    resume() {
      output.paused = false
      output.flush()
      if (ws.readyState === WebSocket.OPEN) ws.resume()
    },
    write: (data) => (inputEnded ? true : sendInput(WebSocketHandler.StdinStream, data)),
    onDrain: (listener) => void drainListeners.push(listener),
    endInput,
    resize,
    signal(signal) {
      const control = options.tty ? CONTROL[signal] : undefined
      if (control) sendInput(WebSocketHandler.StdinStream, Buffer.from(control))
      else if (signal === 'SIGHUP') endInput()
      else deletePod(api, options, signal === 'SIGKILL' ? 0 : undefined).catch(() => undefined)
    },
  }
}

/** A container that is over before the attach: its whole log, as stdout, once resumed. */
async function replay(options: PodAttachOptions, read: () => Promise<V1Pod | undefined>, pollMs: number): Promise<PodAttach> {
  const output = new Output()
  let settleClosed: () => void = () => {}
  const closed = new Promise<void>((resolve) => (settleClosed = resolve))
  let started = false
  const start = (): void => {
    if (started) return
    started = true
    const target = {namespace: options.namespace, pod: options.pod, container: options.container}
    readPodLog(options.kc, target, {follow: false, keepUnterminated: true}, (line) => {
      if (line !== GATE_READY) output.push('stdout', Buffer.from(`${line}${options.tty ? '\r\n' : '\n'}`))
    })
      .done.catch(() => undefined)
      .finally(() => {
        output.end()
        settleClosed()
      })
  }
  return {
    tty: options.tty,
    closed,
    exited: waitForExit(read, options, pollMs),
    onData: (listener) => output.onData(listener),
    onEnd: (listener) => output.onEnd(listener),
    pause: () => void (output.paused = true),
    resume() {
      output.paused = false
      start()
      output.flush()
    },
    write: () => true,
    onDrain: () => {},
    endInput: () => {},
    resize: () => {},
    signal: () => {},
  }
}

type Phase = 'running' | 'terminated' | 'waiting' | 'gone'

async function containerPhase(read: () => Promise<V1Pod | undefined>, options: PodAttachOptions): Promise<Phase> {
  const pod = await read()
  if (!pod) return 'gone'
  const status = containerStatus(pod, options.container)
  if (status?.state?.running) return 'running'
  if (status?.state?.terminated) return 'terminated'
  const waiting = status?.state?.waiting
  if (waiting?.reason && WAITING_FAILURES.has(waiting.reason)) {
    throw new BackendError(`${options.pod} cannot start its container ${options.container}: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}`)
  }
  if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') return 'terminated'
  return 'waiting'
}

async function waitForStart(read: () => Promise<V1Pod | undefined>, options: PodAttachOptions, pollMs: number): Promise<'running' | 'terminated'> {
  const deadline = Date.now() + (options.startTimeoutMs ?? 120_000)
  for (;;) {
    const phase: Phase = await containerPhase(read, options)
    if (phase === 'running' || phase === 'terminated') return phase
    if (phase === 'gone') throw new BackendError(`pod ${options.pod} does not exist in namespace ${options.namespace}`)
    if (Date.now() > deadline) {
      throw new BackendError(`pod ${options.pod} did not start its container ${options.container} within ${Math.round((options.startTimeoutMs ?? 120_000) / 1000)} s`)
    }
    await sleep(pollMs)
  }
}

/** Polls the pod until its container has terminated; a pod deleted first counts as ended by SIGKILL. */
async function waitForExit(read: () => Promise<V1Pod | undefined>, options: PodAttachOptions, pollMs: number): Promise<DynoExit & {reason?: string}> {
  for (;;) {
    let pod: V1Pod | undefined
    try {
      pod = await read()
    } catch {
      await sleep(pollMs * 5, undefined, {ref: false})
      continue
    }
    if (!pod) return {code: null, signal: 'SIGKILL', reason: 'PodDeleted'}
    const terminated = containerStatus(pod, options.container)?.state?.terminated
    if (terminated) {
      const signal = terminated.signal ? signalName(terminated.signal) : null
      return {
        code: signal ? null : terminated.exitCode,
        signal,
        reason: terminated.reason,
        ...(terminated.reason === 'OOMKilled' ? {outOfMemory: true} : {}),
      }
    }
    // Unref'ed: a container left running must not keep a closing control plane alive.
    await sleep(pollMs, undefined, {ref: false})
  }
}

async function readPod(api: CoreV1Api, options: PodAttachOptions): Promise<V1Pod | undefined> {
  try {
    return await api.readNamespacedPod({name: options.pod, namespace: options.namespace})
  } catch (error) {
    if (statusCodeOf(error) === 404) return undefined
    throw error
  }
}

async function deletePod(api: CoreV1Api, options: PodAttachOptions, gracePeriodSeconds: number | undefined): Promise<void> {
  try {
    await api.deleteNamespacedPod({name: options.pod, namespace: options.namespace, ...(gracePeriodSeconds === undefined ? {} : {gracePeriodSeconds})})
  } catch (error) {
    if (statusCodeOf(error) !== 404) throw error
  }
}

function containerStatus(pod: V1Pod, container: string): V1ContainerStatus | undefined {
  return pod.status?.containerStatuses?.find((s) => s.name === container)
}

function signalName(signal: number): string | null {
  const entry = Object.entries(osConstants.signals).find(([, n]) => n === signal)
  return entry ? entry[0] : null
}
