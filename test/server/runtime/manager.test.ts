// The dyno manager over a fake backend: what it starts and stops, when, with which environment,
// and what it records and logs. No process runs here; test/e2e/runtime*.test.ts run real ones.
import assert from 'node:assert/strict'

import {createRelease} from '../../../src/server/domain/releases.js'
import type {AdoptOutcome, Backend, BackendRecord, DynoExit, DynoHandle, DynoSpec, OutputListener, StopOptions} from '../../../src/server/runtime/backend.js'
import {DynoManager} from '../../../src/server/runtime/manager.js'
import {PortAllocator} from '../../../src/server/runtime/ports.js'
import {Store, toTimestamp} from '../../../src/server/store/index.js'
import {waitFor} from '../../helpers/wait-for.js'

let nextPort = 20_000

class FakeHandle implements DynoHandle {
  readonly id: string
  readonly exited: Promise<DynoExit>
  stops: StopOptions[] = []
  memory: number | undefined = 50 * 1024 * 1024
  private resolveExit: (exit: DynoExit) => void = () => {}
  private listener: OutputListener | undefined
  done = false

  constructor(readonly spec: DynoSpec, n: number) {
    this.id = `fake-${n}`
    this.exited = new Promise((resolve) => (this.resolveExit = resolve))
  }

  onOutput(listener: OutputListener): () => void {
    this.listener = listener
    return () => (this.listener = undefined)
  }

  say(line: string): void {
    this.listener?.('stdout', line)
  }

  exit(code: number | null, signal: string | null = null): void {
    if (this.done) return
    this.done = true
    this.resolveExit({code, signal})
  }

  async stop(options: StopOptions): Promise<void> {
    this.stops.push(options)
    this.exit(null, options.signal ?? 'SIGTERM')
    await this.exited
  }

  async memoryBytes(): Promise<number | undefined> {
    return this.done ? undefined : this.memory
  }

  describe() {
    return {startedAt: new Date(), record: {backend: 'fake', id: this.id, startedAt: new Date().toISOString()}}
  }
}

class FakeBackend implements Backend {
  readonly name = 'fake'
  readonly handles: FakeHandle[] = []
  readonly adopted: BackendRecord[] = []

  async start(spec: DynoSpec): Promise<DynoHandle> {
    const handle = new FakeHandle(spec, this.handles.length + 1)
    this.handles.push(handle)
    return handle
  }

  async adoptOrKill(record: BackendRecord): Promise<AdoptOutcome> {
    this.adopted.push(record)
    return {outcome: 'killed', detail: `stopped ${record.id}`}
  }

  /** The handles of processes still running, by dyno name. */
  running(): Map<string, FakeHandle> {
    const map = new Map<string, FakeHandle>()
    for (const h of this.handles) {
      if (h.done) continue
      assert.equal(map.has(h.spec.dynoName), false, `two processes for ${h.spec.dynoName}`)
      map.set(h.spec.dynoName, h)
    }
    return map
  }
}

interface Harness {
  store: Store
  backend: FakeBackend
  manager: DynoManager
  lines: string[]
  appId: string
  accepting: Set<number>
  scale(type: string, quantity: number): Promise<void>
  states(): string[]
}

const harnesses: Harness[] = []

async function harness(
  options: {
    bootTimeoutMs?: number
    store?: Store
    backend?: FakeBackend
    webAccepts?: boolean
    acceptsOn?: string
    reconcileIntervalMs?: number
    oneOffRetentionMs?: number
  } = {},
): Promise<Harness> {
  const store = options.store ?? new Store({path: ':memory:'})
  const backend = options.backend ?? new FakeBackend()
  const lines: string[] = []
  const accepting = new Set<number>()
  let app = store.apps.findByName('shop')
  if (!app) {
    const account = store.accounts.create({email: 'a@example.com', name: null})
    app = store.apps.create({name: 'shop', owner_id: account.id, region: 'us', stack: 'heroku-24'})
    createRelease(store, {appId: app.id, description: 'Initial release', user: account})
    createRelease(store, {
      appId: app.id,
      description: 'Deploy',
      codeDir: '/code/v2',
      processTypes: [
        {name: 'web', command: 'node web.js'},
        {name: 'worker', command: 'node worker.js'},
      ],
      config: {GREETING: 'hi'},
      user: account,
    })
  }
  const appId = app.id
  const manager = new DynoManager({
    store,
    logs: {write: (_app, input) => lines.push(`${input.source}[${input.dyno}]: ${input.message}`)},
    backend,
    ports: new PortAllocator({probe: async () => nextPort++}),
    isAccepting: async (port, host) =>
      (options.acceptsOn === undefined || options.acceptsOn === host) && (options.webAccepts !== false || accepting.has(port)),
    bootTimeoutMs: options.bootTimeoutMs ?? 60_000,
    stopGraceMs: 1000,
    reconcileIntervalMs: options.reconcileIntervalMs ?? 60_000,
    memoryIntervalMs: 60_000,
    ...(options.oneOffRetentionMs === undefined ? {} : {oneOffRetentionMs: options.oneOffRetentionMs}),
  })
  await manager.ready
  const h: Harness = {
    store,
    backend,
    manager,
    lines,
    appId,
    accepting,
    async scale(type, quantity) {
      const entry = store.formation.getByType(appId, type)
      assert.ok(entry)
      store.formation.update(appId, entry.id, {quantity, size: entry.size})
      await manager.formationChanged(appId)
    },
    states() {
      return store.dynos
        .list(appId)
        .map((d) => `${d.name}:${d.state}`)
        .sort()
    },
  }
  harnesses.push(h)
  return h
}

afterEach(async () => {
  for (const h of harnesses.splice(0)) {
    await h.manager.close()
    h.store.close()
  }
})

async function allUp(h: Harness, want: string[]): Promise<void> {
  await waitFor(() => JSON.stringify(h.states()) === JSON.stringify(want), {timeoutMs: 5000, what: want.join(' ')})
}

describe('runtime: the dyno manager over a fake backend', () => {
  it('converges the formation: web.1 from the deploy, scale up fills the lowest numbers, down stops the highest', async () => {
    const h = await harness()
    await allUp(h, ['web.1:up'])
    await h.scale('web', 3)
    await h.scale('worker', 2)
    await allUp(h, ['web.1:up', 'web.2:up', 'web.3:up', 'worker.1:up', 'worker.2:up'])
    const running = h.backend.running()
    assert.deepEqual([...running.keys()].sort(), ['web.1', 'web.2', 'web.3', 'worker.1', 'worker.2'])
    const web2 = running.get('web.2') as FakeHandle
    assert.equal(web2.spec.command, 'node web.js')
    assert.equal(web2.spec.cwd, '/code/v2')
    assert.deepEqual(web2.spec.env, {GREETING: 'hi'})
    assert.equal(new Set([...running.values()].map((x) => x.spec.port)).size, 5)

    // The app's own stop grace (runtime settings) wins over the default.
    h.store.runtimeSettings.set(h.appId, {stop_grace_ms: 7000})
    await h.scale('web', 1)
    await allUp(h, ['web.1:up', 'worker.1:up', 'worker.2:up'])
    assert.deepEqual(web2.stops, [{signal: 'SIGTERM', graceMs: 7000}])
    assert.deepEqual([...h.backend.running().keys()].sort(), ['web.1', 'worker.1', 'worker.2'])
    assert.ok(h.lines.includes('tug[web.2]: Stopping all processes with SIGTERM'))
    assert.ok(h.lines.includes('tug[web.2]: Process exited with status 143'))
    assert.ok(h.lines.includes('tug[web.1]: Starting process with command `node web.js`'))
    assert.ok(h.lines.includes('tug[web.1]: State changed from starting to up'))
  })

  it('sends dyno output to the log as app lines', async () => {
    const h = await harness()
    await allUp(h, ['web.1:up'])
    h.backend.running().get('web.1')?.say('listening')
    assert.ok(h.lines.includes('app[web.1]: listening'))
  })

  it('restarts a crash at once, then only after the back-off', async () => {
    const h = await harness()
    await allUp(h, ['web.1:up'])
    h.backend.running().get('web.1')?.exit(1)
    await waitFor(() => h.backend.running().has('web.1'), {timeoutMs: 2000, what: 'the immediate restart'})
    assert.ok(h.lines.includes('tug[web.1]: Process exited with status 1'))
    assert.ok(h.lines.includes('tug[web.1]: State changed from up to crashed'))
    await allUp(h, ['web.1:up'])
    const started = h.backend.handles.length
    const crashedAt = Date.now()
    h.backend.running().get('web.1')?.exit(1)
    await waitFor(() => h.states().includes('web.1:crashed'), {what: 'crashed'})
    // The second crash waits 1 s.
    await waitFor(() => h.backend.handles.length > started, {timeoutMs: 5000, what: 'the delayed restart'})
    assert.ok(Date.now() - crashedAt >= 900, `restarted after ${Date.now() - crashedAt} ms`)
    assert.equal(h.manager.stats(h.appId, h.store.dynos.findByName(h.appId, 'web.1')?.id ?? '').restart_count, 2)
  })

  it('a new release restarts every dyno onto it, with its config', async () => {
    const h = await harness()
    await h.scale('worker', 1)
    await allUp(h, ['web.1:up', 'worker.1:up'])
    const before = h.backend.running()
    const account = h.store.accounts.findByEmail('a@example.com') as {id: string}
    createRelease(h.store, {appId: h.appId, description: 'Set X', config: {GREETING: 'hola'}, user: account})
    await h.manager.releaseChanged(h.appId)
    await waitFor(
      () => {
        const now = h.backend.running()
        return now.size === 2 && [...now.values()].every((x) => x.spec.env.GREETING === 'hola' && x.spec.releaseVersion === 3)
      },
      {what: 'both dynos on v3'},
    )
    for (const handle of before.values()) assert.equal(handle.stops.length, 1)
    await allUp(h, ['web.1:up', 'worker.1:up'])
    const web = h.lines.filter((line) => line.startsWith('tug[web.1]:')).slice(-6)
    assert.deepEqual(web, [
      'tug[web.1]: Restarting',
      'tug[web.1]: State changed from up to starting',
      'tug[web.1]: Stopping all processes with SIGTERM',
      'tug[web.1]: Process exited with status 143',
      'tug[web.1]: Starting process with command `node web.js`',
      'tug[web.1]: State changed from starting to up',
    ])
  })

  it('ps:restart of a type restarts only that type; ps:stop of a formation dyno restarts it', async () => {
    const h = await harness()
    await h.scale('worker', 1)
    await allUp(h, ['web.1:up', 'worker.1:up'])
    const web = h.backend.running().get('web.1') as FakeHandle
    const worker = h.backend.running().get('worker.1') as FakeHandle
    await h.manager.restart(h.appId, {kind: 'type', type: 'worker'})
    await waitFor(() => h.backend.running().get('worker.1') !== worker && h.backend.running().has('worker.1'), {what: 'worker restarted'})
    assert.equal(h.backend.running().get('web.1'), web)
    const id = h.store.dynos.findByName(h.appId, 'web.1')?.id as string
    await h.manager.stop(h.appId, {kind: 'dyno', dynoId: id})
    await waitFor(() => h.backend.running().get('web.1') !== web && h.backend.running().has('web.1'), {what: 'web.1 restarted'})
  })

  it('a web dyno that does not bind its port in time is killed with R10, as a crash', async () => {
    const h = await harness({bootTimeoutMs: 300, webAccepts: false})
    await waitFor(() => h.lines.includes('tug[web.1]: Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 0 seconds of launch'), {
      what: 'R10',
    })
    const first = h.backend.handles[0] as FakeHandle
    await waitFor(() => first.done, {what: 'killed'})
    assert.deepEqual(first.stops, [{signal: 'SIGKILL', graceMs: 0}])
    await waitFor(() => h.lines.includes('tug[web.1]: State changed from starting to crashed'), {what: 'crashed'})
    // Restarted at once (a first crash); once it binds, it is up.
    await waitFor(() => h.backend.handles.length === 2, {what: 'restart'})
    h.accepting.add((h.backend.handles[1] as FakeHandle).spec.port as number)
    await allUp(h, ['web.1:up'])
  })

  it('a web dyno listening on ::1 only is up, and the router is told so', async () => {
    const h = await harness({acceptsOn: '::1'})
    await allUp(h, ['web.1:up'])
    assert.deepEqual(h.manager.webDirectory().list('shop').map((d) => d.host), ['::1'])
  })

  it('runs a before-stop hook (the router drains) before SIGTERM to a web dyno', async () => {
    const h = await harness()
    await allUp(h, ['web.1:up'])
    const order: string[] = []
    h.manager.webDirectory().onBeforeStop(async (_app, dyno) => {
      order.push(`drain ${dyno}`)
    })
    const handle = h.backend.running().get('web.1') as FakeHandle
    const stop = handle.stop.bind(handle)
    handle.stop = async (options) => {
      order.push('SIGTERM')
      return stop(options)
    }
    assert.deepEqual(
      h.manager.webDirectory().list('shop').map((d) => [d.name, d.host, d.port === handle.spec.port, d.state]),
      [['web.1', '127.0.0.1', true, 'up']],
    )
    await h.scale('web', 0)
    await waitFor(() => order.length === 2, {what: 'the stop'})
    assert.deepEqual(order, ['drain web.1', 'SIGTERM'])
    assert.deepEqual(h.manager.webDirectory().list('shop'), [])
  })

  it('appDestroyed stops every dyno of the app and starts none again', async () => {
    const h = await harness()
    await h.scale('worker', 2)
    await allUp(h, ['web.1:up', 'worker.1:up', 'worker.2:up'])
    const started = h.backend.handles.length
    await h.manager.appDestroyed(h.appId)
    assert.equal(h.backend.running().size, 0)
    h.manager.reconcileAll()
    assert.equal(h.backend.handles.length, started)
    assert.equal(h.backend.running().size, 0)
  })

  it('one-offs: run.N, lowest free; type substitution; exit status and end time recorded', async () => {
    const h = await harness()
    const release = h.store.apps.get(h.appId)?.current_release_id as string
    const spec = {type: 'run', size: 'Standard-1X', attach: false, forceNoTty: false, env: {EXTRA: '1'}, timeToLive: null, releaseId: release}
    const first = await h.manager.createOneOff(h.appId, {...spec, command: 'worker --once'})
    const second = await h.manager.createOneOff(h.appId, {...spec, command: 'echo hi'})
    assert.deepEqual([first.name, first.command, first.state], ['run.1', 'node worker.js --once', 'starting'])
    assert.equal(second.name, 'run.2')
    await waitFor(() => h.backend.running().has('run.2'), {what: 'run.2 started'})
    const handle = h.backend.running().get('run.2') as FakeHandle
    assert.deepEqual(handle.spec.env, {GREETING: 'hi', EXTRA: '1'})
    handle.exit(3)
    const ended = await h.manager.waitForOneOff(h.appId, second.id)
    assert.equal(ended?.state, 'crashed')
    assert.equal(ended?.exit_status, 3)
    assert.ok(ended?.ended_at)
    // A finished one-off is not restarted.
    assert.equal(h.backend.running().has('run.2'), false)
    const third = await h.manager.createOneOff(h.appId, {...spec, command: 'echo again'})
    assert.equal(third.name, 'run.3')
    // A one-off of a formation type does not take that type's names.
    const typed = await h.manager.createOneOff(h.appId, {...spec, type: 'web', command: 'echo typed'})
    assert.deepEqual([typed.name, typed.type], ['run.4', 'web'])
    const other = await h.manager.createOneOff(h.appId, {...spec, type: 'scheduler', command: 'echo s'})
    assert.equal(other.name, 'scheduler.1')
    // The release phase keeps its own names: its type comes from the Procfile, but it is never a
    // formation type, so it does not fall under the run.N rule above.
    const owner = h.store.accounts.findByEmail('a@example.com')
    assert.ok(owner)
    const withPhase = createRelease(h.store, {
      appId: h.appId,
      description: 'Deploy with a release phase',
      codeDir: '/code/v3',
      processTypes: [
        {name: 'web', command: 'node web.js'},
        {name: 'release', command: 'echo migrate'},
      ],
      user: owner,
    })
    const phase = await h.manager.createOneOff(h.appId, {...spec, type: 'release', command: 'echo migrate', releaseId: withPhase.id})
    assert.deepEqual([phase.name, phase.type], ['release.1', 'release'])
  })

  it('an ended one-off is no target of a restart or a stop, so the sweep still removes its record', async () => {
    const h = await harness({reconcileIntervalMs: 50, oneOffRetentionMs: 60_000})
    const release = h.store.apps.get(h.appId)?.current_release_id as string
    const spec = {type: 'run', size: 'Standard-1X', attach: false, forceNoTty: false, env: {}, timeToLive: null, releaseId: release}
    const oneOff = await h.manager.createOneOff(h.appId, {...spec, command: 'exit 3'})
    await waitFor(() => h.backend.running().has('run.1'), {what: 'run.1 started'})
    ;(h.backend.running().get('run.1') as FakeHandle).exit(3)
    assert.equal((await h.manager.waitForOneOff(h.appId, oneOff.id))?.exit_status, 3)
    await h.manager.restart(h.appId, {kind: 'all'})
    await h.manager.stop(h.appId, {kind: 'type', type: 'run'})
    // Its end moved back past the retention: the sweep of the next reconcile tick removes it.
    const ended = Date.parse(h.store.dynos.get(h.appId, oneOff.id)?.ended_at ?? '')
    h.store.dynos.update(h.appId, oneOff.id, {ended_at: toTimestamp(new Date(ended - 120_000))})
    await waitFor(() => h.store.dynos.get(h.appId, oneOff.id) === undefined, {what: 'the ended one-off swept'})
  })

  it('memory: R14 above the quota, R15 and a restart far above it', async () => {
    const h = await harness()
    await allUp(h, ['web.1:up'])
    const handle = h.backend.running().get('web.1') as FakeHandle
    handle.memory = 600 * 1024 * 1024
    await h.manager.sampleMemory()
    assert.ok(h.lines.includes('tug[web.1]: Process running mem=600M(117.0%)'))
    assert.ok(h.lines.includes('tug[web.1]: Error R14 (Memory quota exceeded)'))
    assert.equal(h.manager.stats(h.appId, h.store.dynos.findByName(h.appId, 'web.1')?.id ?? '').memory_bytes, 600 * 1024 * 1024)
    handle.memory = 1100 * 1024 * 1024
    await h.manager.sampleMemory()
    assert.ok(h.lines.includes('tug[web.1]: Error R15 (Memory quota vastly exceeded)'))
    await waitFor(() => handle.done && h.backend.running().has('web.1'), {what: 'restarted after R15'})
  })

  it('close stops every dyno and records them down; a new manager on the same store brings them back', async () => {
    const store = new Store({path: ':memory:'})
    const first = await harness({store})
    harnesses.pop()
    await first.scale('worker', 1)
    await allUp(first, ['web.1:up', 'worker.1:up'])
    await first.manager.close()
    assert.deepEqual(first.states(), ['web.1:down', 'worker.1:down'])
    assert.equal(first.backend.running().size, 0)
    assert.deepEqual(store.dynos.listWithBackendRecords(), [])
    const second = await harness({store})
    await allUp(second, ['web.1:up', 'worker.1:up'])
    assert.deepEqual(second.backend.adopted, [])
  })

  it('after a crash of the control plane, hands every recorded process to adoptOrKill before starting afresh', async () => {
    const store = new Store({path: ':memory:'})
    const first = await harness({store})
    harnesses.pop()
    await allUp(first, ['web.1:up'])
    const record = store.dynos.findByName(first.appId, 'web.1')
    assert.ok(record?.backend_record)
    // No close(): as after kill -9, the store still says web.1 runs there.
    const second = await harness({store})
    assert.deepEqual(second.backend.adopted, [JSON.parse(record.backend_record)])
    assert.ok(second.lines.includes(`tug[web.1]: Control plane restarted: stopped ${(first.backend.handles[0] as FakeHandle).id}`))
    await allUp(second, ['web.1:up'])
    assert.equal(second.backend.running().size, 1)
    await first.manager.close()
  })
})
