// The fake kubelet: runs each scheduled pod's containers as real local processes and writes back
// the pod status a real kubelet would (phases, container states, CrashLoopBackOff with backoff,
// readiness, init containers fetching the slug), stops pods gracefully on deletion, serves logs.
import type {ChildProcess} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdirSync, rmSync} from 'node:fs'
import type {ServerResponse} from 'node:http'
import {constants} from 'node:os'
import {join} from 'node:path'
import {ContainerInstance, serveLog} from './container-logs.js'
import {ConfigError, containerEnv, expand, fetchSlug, freePort, killGroup, probe, spawnContainer} from './container-process.js'
import {badRequest, notFound} from './errors.js'
import {podStatus, type ContainerRun, type PodRun, type Terminated} from './pod-status.js'
import type {Store} from './store.js'
import type {ContainerSpec, FakeTiming, KubeObject, Pod, PodBehaviour, PodSpec} from './types.js'

const NODE = 'fake-node'

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z')
}

function newContainer(spec: ContainerSpec, reason: string): ContainerRun {
  return {spec, state: {waiting: {reason}}, lastState: {}, restartCount: 0, ready: false, started: false, runs: 0, output: new Set(), exits: new Set()}
}

export class Kubelet {
  private readonly runs = new Map<string, PodRun>()
  private readonly children = new Set<ChildProcess>()
  private readonly probeTimer: NodeJS.Timeout
  private closed = false

  constructor(
    private readonly store: Store,
    private readonly timing: FakeTiming,
    private readonly behaviours: {match: (pod: KubeObject) => boolean; behaviour: PodBehaviour}[],
    private readonly root: string,
    private readonly trackStream: (end: () => void) => () => void,
  ) {
    this.probeTimer = setInterval(() => this.probeAll(), timing.probeMs)
  }

  onChange(type: string, object: KubeObject): void {
    if (object.kind !== 'Pod' || this.closed) return
    const uid = object.metadata.uid as string
    const run = this.runs.get(uid)
    if (type === 'ADDED' && !run) this.admit(object as Pod)
    else if (type === 'MODIFIED' && run && object.metadata.deletionTimestamp !== undefined && !run.terminating) this.terminate(run, object.metadata.deletionGracePeriodSeconds ?? 30)
    else if (type === 'DELETED' && run) this.destroy(run)
  }

  /** The host port a pod's PORT was rewritten to (EndpointSlices carry it). */
  portOf(uid: string): number | undefined {
    return this.runs.get(uid)?.port
  }

  private later(run: PodRun, ms: number, action: () => void | Promise<void>): void {
    const timer = setTimeout(() => {
      run.timers.delete(timer)
      if (!run.stopped) void Promise.resolve(action()).catch((error: unknown) => this.fail(run, error))
    }, ms)
    run.timers.add(timer)
  }

  private fail(run: PodRun, error: unknown): void {
    process.stderr.write(`fake kubelet: pod ${run.namespace}/${run.name}: ${(error as Error).stack ?? String(error)}\n`)
  }

  private admit(pod: Pod): void {
    const uid = pod.metadata.uid as string
    const dir = join(this.root, uid)
    const hasInit = (pod.spec.initContainers ?? []).length > 0
    const run: PodRun = {
      namespace: pod.metadata.namespace as string,
      name: pod.metadata.name as string,
      uid,
      dir,
      spec: pod.spec,
      init: (pod.spec.initContainers ?? []).map((spec) => newContainer(spec, 'PodInitializing')),
      containers: pod.spec.containers.map((spec) => newContainer(spec, hasInit ? 'PodInitializing' : 'ContainerCreating')),
      behaviour: this.behaviours.find(({match}) => match(pod))?.behaviour,
      timers: new Set(),
      initialized: !hasInit,
      terminating: false,
      stopped: false,
      transitions: new Map(),
    }
    this.runs.set(uid, run)
    this.later(run, this.timing.scheduleMs, () => this.bind(run))
  }

  /** The scheduler's part: binds the pod to the node, then the kubelet prepares and starts it. */
  private async bind(run: PodRun): Promise<void> {
    const pod = this.store.get('Pod', run.namespace, run.name)
    if (!pod || pod.metadata.uid !== run.uid) return
    ;(pod.spec as PodSpec).nodeName = NODE
    this.store.update(pod)
    run.startTime = now()
    mkdirSync(join(run.dir, 'root'), {recursive: true})
    for (const volume of run.spec.volumes ?? []) mkdirSync(join(run.dir, 'volumes', volume.name), {recursive: true})
    if ((run.spec.containers.flatMap((c) => c.env ?? [])).some((variable) => variable.name === 'PORT')) run.port = await freePort()
    this.render(run)
    this.later(run, this.timing.createMs, () => this.startPod(run))
  }

  /**
   * A container that exited and is to run again: its run becomes lastState, it waits in
   * CrashLoopBackOff, and the back-off (doubling with each restart, up to the maximum) is returned.
   */
  private backOff(run: PodRun, container: ContainerRun, terminated: Terminated | undefined): number {
    container.lastState = {terminated}
    container.lastInstance = container.instance
    container.restartCount++
    const delay = Math.min(this.timing.crashBackoffMs * 2 ** Math.max(0, container.restartCount - 1), this.timing.maxCrashBackoffMs)
    container.state = {waiting: {reason: 'CrashLoopBackOff', message: `back-off ${delay}ms restarting failed container=${container.spec.name} pod=${run.name}_${run.namespace}(${run.uid})`}}
    this.render(run)
    return delay
  }

  private async startPod(run: PodRun): Promise<void> {
    for (const container of run.init) {
      for (;;) {
        if (run.stopped || run.terminating) return
        if (await this.runInit(run, container)) break
        if (run.spec.restartPolicy === 'Never') {
          run.finalPhase = 'Failed'
          this.render(run)
          return
        }
        const delay = this.backOff(run, container, container.state.terminated)
        await new Promise<void>((resolve) => this.later(run, delay, resolve))
      }
    }
    run.initialized = true
    for (const container of run.containers) container.state = {waiting: {reason: 'ContainerCreating'}}
    this.render(run)
    for (const container of run.containers) this.startContainer(run, container)
  }

  /** An init container: the slug fetch when its env has TUG_SLUG_URL, else an instant success. */
  private async runInit(run: PodRun, container: ContainerRun): Promise<boolean> {
    const instance = new ContainerInstance()
    container.instance = instance
    const startedAt = now()
    container.containerID = `containerd://${randomBytes(32).toString('hex')}`
    container.state = {running: {startedAt}}
    this.render(run)
    const url = container.spec.env?.find((variable) => variable.name === 'TUG_SLUG_URL')?.value
    let exitCode = 0
    if (url) {
      const mount = container.spec.volumeMounts?.[0]
      try {
        if (!mount) throw new Error('the slug-fetch init container has no volumeMount to unpack into')
        await fetchSlug(url, join(run.dir, 'volumes', mount.name))
        instance.push(`fetched the slug into ${mount.mountPath}`)
      } catch (error) {
        instance.push(`error: ${(error as Error).message}`)
        exitCode = 1
      }
    }
    instance.end()
    if (run.stopped) return false
    container.state = {terminated: {exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt, finishedAt: now(), containerID: container.containerID}}
    this.render(run)
    return exitCode === 0
  }

  private cwdOf(run: PodRun, spec: ContainerSpec): string {
    const mounts = spec.volumeMounts ?? []
    const mount = mounts.find((m) => spec.workingDir !== undefined && m.mountPath === spec.workingDir) ?? mounts[0]
    return mount ? join(run.dir, 'volumes', mount.name) : join(run.dir, 'root')
  }

  /** cwd and env of a container, as exec uses them. */
  execContext(namespace: string, name: string, container: string | undefined): {cwd: string; env: Record<string, string>; container: ContainerRun} {
    const {run, container: target} = this.resolve(namespace, name, container)
    if (!target.child) throw badRequest(`container ${target.spec.name} is not running in pod ${name} (state: ${JSON.stringify(target.state)})`)
    const env = containerEnv(this.store, run.namespace, run.name, target.spec, run.port !== undefined ? {PORT: String(run.port)} : {})
    return {cwd: this.cwdOf(run, target.spec), env, container: target}
  }

  resolve(namespace: string, name: string, container: string | undefined): {run: PodRun; container: ContainerRun} {
    const pod = this.store.get('Pod', namespace, name)
    if (!pod) throw notFound('pods', '', name)
    const run = this.runs.get(pod.metadata.uid as string)
    if (!run) throw badRequest(`pod ${name} is not known to the kubelet yet`)
    const all = [...run.containers, ...run.init]
    const names = run.containers.map((c) => c.spec.name)
    if (container === undefined || container === '') {
      if (run.containers.length !== 1) throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`)
      return {run, container: run.containers[0] as ContainerRun}
    }
    const found = all.find((c) => c.spec.name === container)
    if (!found) throw badRequest(`container ${container} is not valid for pod ${name}`)
    return {run, container: found}
  }

  private startContainer(run: PodRun, container: ContainerRun): void {
    if (run.stopped || run.terminating) return
    const {spec} = container
    const image = spec.image ?? ''
    switch (run.behaviour?.kind) {
      case 'imagePullBackOff':
        container.state = {waiting: {reason: 'ErrImagePull', message: `failed to pull and unpack image "${image}": not found`}}
        this.render(run)
        this.later(run, this.timing.createMs, () => {
          container.state = {waiting: {reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"`}}
          this.render(run)
        })
        return
      case 'errImagePull':
        container.state = {waiting: {reason: 'ErrImagePull', message: `failed to pull and unpack image "${image}": not found`}}
        this.render(run)
        return
      case 'createContainerConfigError':
        container.state = {waiting: {reason: 'CreateContainerConfigError', message: run.behaviour.message ?? 'the fake made this container fail its configuration'}}
        this.render(run)
        return
    }
    let env: Record<string, string>
    try {
      env = containerEnv(this.store, run.namespace, run.name, spec, run.port !== undefined ? {PORT: String(run.port)} : {})
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      container.state = {waiting: {reason: 'CreateContainerConfigError', message: error.message}}
      this.render(run)
      this.later(run, this.timing.crashBackoffMs, () => this.startContainer(run, container))
      return
    }
    const argv = [...(spec.command ?? []), ...(spec.args ?? [])].map((arg) => expand(arg, env))
    if (argv.length === 0) {
      container.state = {waiting: {reason: 'CreateContainerError', message: 'the fake kubelet runs only containers with a command (it cannot run an image entrypoint)'}}
      this.render(run)
      return
    }
    const child = spawnContainer({argv, cwd: this.cwdOf(run, spec), env, stdin: spec.stdin === true, tty: spec.tty === true})
    this.children.add(child)
    container.runs++
    container.child = child
    container.oomKill = false
    const instance = new ContainerInstance()
    container.instance = instance
    container.containerID = `containerd://${randomBytes(32).toString('hex')}`
    const startedAt = now()
    container.state = {running: {startedAt}}
    container.started = true
    container.ready = !spec.readinessProbe && run.behaviour?.kind !== 'neverReady'
    child.stdout?.on('data', (chunk: Buffer) => {
      instance.write('stdout', chunk.toString('utf8'))
      for (const listener of container.output) listener(1, chunk)
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      instance.write('stderr', chunk.toString('utf8'))
      for (const listener of container.output) listener(2, chunk)
    })
    child.stdin?.on('error', () => {})
    child.on('error', (error) => instance.push(`fake kubelet: cannot start ${JSON.stringify(argv[0])}: ${error.message}`))
    child.on('close', (code, signal) => {
      this.children.delete(child)
      this.exited(run, container, child, code, signal, startedAt)
    })
    if (run.behaviour?.kind === 'oomKilled' && container.runs === 1) {
      this.later(run, 100, () => {
        container.oomKill = true
        killGroup(child, 'SIGKILL')
      })
    }
    this.render(run)
  }

  private exited(run: PodRun, container: ContainerRun, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, startedAt: string): void {
    if (container.child !== child) return
    container.instance?.end()
    container.child = undefined
    container.ready = false
    for (const listener of container.exits) listener()
    const exitCode = container.oomKill ? 137 : code !== null && code >= 0 ? code : signal ? 128 + (constants.signals[signal] ?? 0) : 128
    const reason = container.oomKill ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error'
    const terminated: Terminated = {exitCode, reason, startedAt, finishedAt: now(), containerID: container.containerID}
    if (signal) terminated.signal = constants.signals[signal]
    if (run.stopped) return
    if (run.terminating) {
      container.state = {terminated}
      if (run.containers.every((c) => !c.child)) this.finishTermination(run)
      return
    }
    const policy = run.spec.restartPolicy ?? 'Always'
    if (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0)) {
      const delay = this.backOff(run, container, terminated)
      this.later(run, delay, () => this.startContainer(run, container))
      return
    }
    container.state = {terminated}
    if (run.containers.every((c) => c.state.terminated)) {
      run.finalPhase = run.containers.every((c) => c.state.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed'
    }
    this.render(run)
  }

  /** deletionTimestamp seen: SIGTERM now, SIGKILL after the grace period, then the pod goes. */
  private terminate(run: PodRun, graceSeconds: number): void {
    run.terminating = true
    for (const timer of run.timers) clearTimeout(timer)
    run.timers.clear()
    const running = run.containers.filter((c) => c.child)
    if (running.length === 0) {
      this.finishTermination(run)
      return
    }
    // As a container runtime does: SIGTERM to the container's main process only (its PID 1), and
    // after the grace period SIGKILL to everything in it (here: its process group).
    for (const container of running) {
      const child = container.child as ChildProcess
      if (graceSeconds === 0) killGroup(child, 'SIGKILL')
      else child.kill('SIGTERM')
    }
    this.later(run, graceSeconds * 1000, () => {
      for (const container of run.containers) if (container.child) killGroup(container.child, 'SIGKILL')
    })
    // `later` skips stopped runs only; a terminating run still gets its SIGKILL.
  }

  private finishTermination(run: PodRun): void {
    const pod = this.store.get('Pod', run.namespace, run.name)
    if (pod && pod.metadata.uid === run.uid) this.store.remove('Pod', run.namespace, run.name)
    else this.destroy(run)
  }

  /** The pod is gone from the API: kill whatever still runs, drop its files. */
  private destroy(run: PodRun): void {
    run.stopped = true
    for (const timer of run.timers) clearTimeout(timer)
    run.timers.clear()
    for (const container of [...run.containers, ...run.init]) if (container.child) killGroup(container.child, 'SIGKILL')
    for (const container of [...run.containers, ...run.init]) container.instance?.end()
    this.runs.delete(run.uid)
    rmSync(run.dir, {recursive: true, force: true})
  }

  private probeAll(): void {
    for (const run of this.runs.values()) {
      for (const container of run.containers) {
        const spec = container.spec.readinessProbe
        if (!spec || !container.child || container.probing || run.behaviour?.kind === 'neverReady' || run.terminating) continue
        // Until ready, every probeMs (tests need speed); once ready, at periodSeconds, at most 1 s apart.
        const period = container.ready ? Math.max(this.timing.probeMs, Math.min((spec.periodSeconds ?? 10) * 1000, 1000)) : 0
        if (Date.now() - (container.probedAt ?? 0) < period) continue
        container.probedAt = Date.now()
        const port = run.port ?? Number(spec.tcpSocket?.port ?? spec.httpGet?.port)
        container.probing = true
        void probe(spec, port).then((ready) => {
          container.probing = false
          if (!container.child || run.stopped || ready === container.ready) return
          container.ready = ready
          this.render(run)
        })
      }
    }
  }

  /** Writes the pod's status from the kubelet's view, when it changed. */
  private render(run: PodRun): void {
    const pod = this.store.get('Pod', run.namespace, run.name)
    if (!pod || pod.metadata.uid !== run.uid || run.stopped) return
    const status = podStatus(run)
    if (JSON.stringify(pod.status) === JSON.stringify(status)) return
    pod.status = status
    this.store.update(pod)
  }

  podLog(response: ServerResponse, namespace: string, name: string, query: URLSearchParams): void {
    const {container} = this.resolve(namespace, name, query.get('container') ?? undefined)
    const cname = container.spec.name
    // Which instance, as the kubelet decides (validateContainerLogStatus): previous is the one
    // lastState.terminated describes; the current one is the running or terminated one, else (a
    // container waiting in CrashLoopBackOff) the one that last ended.
    const {state, lastState} = container
    let instance: ContainerInstance | undefined
    if (query.get('previous') === 'true') {
      instance = lastState.terminated ? container.lastInstance : undefined
      if (!instance) throw badRequest(`previous terminated container "${cname}" in pod "${name}" not found`)
    } else if (state.running || state.terminated) instance = container.instance
    else if (lastState.terminated) instance = container.lastInstance
    if (!instance) {
      const reason = state.waiting?.reason ?? 'ContainerCreating'
      const why = reason === 'ErrImagePull' ? "image can't be pulled" : reason === 'ImagePullBackOff' ? 'trying and failing to pull image' : reason
      throw badRequest(`container "${cname}" in pod "${name}" is waiting to start: ${why}`)
    }
    serveLog(response, {instance, query}, this.trackStream)
  }

  /** At the test process's exit without close(): SIGKILL to every process group, synchronously. */
  killNow(): void {
    for (const child of this.children) killGroup(child, 'SIGKILL')
  }

  /** Kills every process and waits until each has exited. */
  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.probeTimer)
    for (const run of [...this.runs.values()]) this.destroy(run)
    const waiting = [...this.children].map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve()
      else child.once('close', () => resolve())
      killGroup(child, 'SIGKILL')
    }))
    await Promise.all(waiting)
  }
}

