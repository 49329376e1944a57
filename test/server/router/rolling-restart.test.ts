// The runtime's side of issue 7 over a fake backend: `ps:restart web` with two or more web dynos
// restarts them one at a time (each stop waits for the previous dyno to be up again), unless the
// app's rolling_restart runtime setting is off; the drain hook runs before each web stop.
import assert from 'node:assert/strict'

import {createRelease} from '../../../src/server/domain/releases.js'
import type {AdoptOutcome, Backend, DynoExit, DynoHandle, DynoSpec, StopOptions} from '../../../src/server/runtime/backend.js'
import {DynoManager} from '../../../src/server/runtime/manager.js'
import {PortAllocator} from '../../../src/server/runtime/ports.js'
import {Store} from '../../../src/server/store/index.js'
import {waitFor} from '../../helpers/wait-for.js'

class Handle implements DynoHandle {
  readonly exited: Promise<DynoExit>
  private resolve: (exit: DynoExit) => void = () => {}
  constructor(readonly id: string, readonly spec: DynoSpec, private readonly events: string[]) {
    this.exited = new Promise((resolve) => (this.resolve = resolve))
  }
  onOutput(): () => void {
    return () => {}
  }
  async stop(options: StopOptions): Promise<void> {
    this.events.push(`stop ${this.spec.dynoName}`)
    this.resolve({code: null, signal: options.signal ?? 'SIGTERM'})
    await this.exited
  }
  async memoryBytes(): Promise<number | undefined> {
    return undefined
  }
  describe() {
    return {startedAt: new Date(), record: {backend: 'fake', id: this.id, startedAt: new Date().toISOString()}}
  }
}

class FakeBackend implements Backend {
  readonly name = 'fake'
  readonly events: string[] = []
  private n = 0
  async start(spec: DynoSpec): Promise<DynoHandle> {
    this.events.push(`start ${spec.dynoName}`)
    return new Handle(`fake-${++this.n}`, spec, this.events)
  }
  async adoptOrKill(): Promise<AdoptOutcome> {
    return {outcome: 'gone', detail: 'fake'}
  }
}

describe('rolling restart of web dynos (runtime side of the router)', function () {
  this.timeout(30_000)
  let store: Store
  let manager: DynoManager | undefined
  let backend: FakeBackend
  let appId: string
  let port = 30_000

  async function setup(web: number, settings: {rollingRestart?: boolean; config?: Record<string, string>} = {}): Promise<void> {
    store = new Store({path: ':memory:'})
    backend = new FakeBackend()
    const account = store.accounts.create({email: 'a@example.com', name: null})
    const app = store.apps.create({name: 'shop', owner_id: account.id, region: 'us', stack: 'heroku-24'})
    appId = app.id
    createRelease(store, {appId, description: 'Deploy', codeDir: '/code/v1', processTypes: [{name: 'web', command: 'node web.js'}, {name: 'worker', command: 'node worker.js'}], config: settings.config ?? {}, user: account})
    if (settings.rollingRestart !== undefined) store.runtimeSettings.set(appId, {rolling_restart: settings.rollingRestart})
    const lines: string[] = []
    manager = new DynoManager({
      store,
      logs: {write: (_app, input) => lines.push(`${input.dyno}: ${input.message}`)},
      backend,
      ports: new PortAllocator({probe: async () => port++}),
      isAccepting: async () => true,
      stopGraceMs: 1000,
      reconcileIntervalMs: 60_000,
      memoryIntervalMs: 60_000,
    })
    await manager.ready
    for (const [type, quantity] of [['web', web], ['worker', 1]] as const) {
      const entry = store.formation.getByType(appId, type) ?? assert.fail()
      store.formation.update(appId, entry.id, {quantity, size: entry.size})
    }
    await manager.formationChanged(appId)
    await allUp()
    backend.events.length = 0
  }

  const allUp = () => waitFor(() => store.dynos.list(appId).every((d) => d.state === 'up') && store.dynos.list(appId).length > 0, {what: 'every dyno up'})

  afterEach(async () => {
    await manager?.close()
    manager = undefined
    store.close()
  })

  it('restarts web dynos one at a time, draining each first; other types at once', async () => {
    await setup(3)
    const drained: string[] = []
    manager?.onBeforeStop((_app, dyno) => {
      drained.push(dyno)
      backend.events.push(`drain ${dyno}`)
    })
    const web = store.dynos.list(appId).filter((d) => d.type === 'web')
    await manager?.restart(appId, {kind: 'all'})
    await waitFor(() => backend.events.filter((e) => e.startsWith('start web')).length === 3, {what: 'three web starts'})
    await allUp()
    const order = backend.events.filter((e) => e.includes('web'))
    assert.deepEqual(order, ['drain web.1', 'stop web.1', 'start web.1', 'drain web.2', 'stop web.2', 'start web.2', 'drain web.3', 'stop web.3', 'start web.3'])
    assert.deepEqual(drained, ['web.1', 'web.2', 'web.3'])
    assert.ok(backend.events.includes('stop worker.1') && backend.events.includes('start worker.1'))
    assert.equal(web.length, 3)
  })

  it('restarts everything at once with the rolling_restart setting off', async () => {
    await setup(2, {rollingRestart: false})
    await manager?.restart(appId, {kind: 'type', type: 'web'})
    await waitFor(() => backend.events.filter((e) => e.startsWith('start web')).length === 2, {what: 'two web starts'})
    assert.deepEqual(backend.events.slice(0, 2).sort(), ['stop web.1', 'stop web.2'])
  })

  it('reads the setting at each restart, and ignores the config var that used to hold it', async () => {
    await setup(2, {config: {TUG_ROLLING_RESTART: 'off'}})
    await manager?.restart(appId, {kind: 'type', type: 'web'})
    await waitFor(() => backend.events.filter((e) => e.startsWith('start web')).length === 2, {what: 'two web starts'})
    await allUp()
    assert.deepEqual(backend.events, ['stop web.1', 'start web.1', 'stop web.2', 'start web.2'])
    backend.events.length = 0
    store.runtimeSettings.set(appId, {rolling_restart: false})
    await manager?.restart(appId, {kind: 'type', type: 'web'})
    await waitFor(() => backend.events.filter((e) => e.startsWith('start web')).length === 2, {what: 'two web starts'})
    assert.deepEqual(backend.events.slice(0, 2).sort(), ['stop web.1', 'stop web.2'])
  })

  it('restarts a single web dyno at once', async () => {
    await setup(1)
    await manager?.restart(appId, {kind: 'type', type: 'web'})
    await waitFor(() => backend.events.length === 2, {what: 'stop and start'})
    assert.deepEqual(backend.events, ['stop web.1', 'start web.1'])
  })
})
