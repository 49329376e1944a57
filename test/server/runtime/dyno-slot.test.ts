// One dyno's state machine: the table of phases (checked move by move, legal and not), and one
// slot driven through its life over a fake backend, with what it reports up and records.
import assert from 'node:assert/strict'

import {createRelease} from '../../../src/server/domain/releases.js'
import type {Backend, DynoExit, DynoHandle, DynoSpec, StopOptions} from '../../../src/server/runtime/backend.js'
import type {DynoOutcome, Phase} from '../../../src/server/runtime/contracts.js'
import {DynoSlot, exitStatus, IllegalTransition, TRANSITIONS, type SlotServices} from '../../../src/server/runtime/dyno-slot.js'
import type {DynoRecord, ReleaseRecord} from '../../../src/server/store/index.js'
import {Store} from '../../../src/server/store/index.js'
import {waitFor} from '../../helpers/wait-for.js'

const PHASES: Phase[] = ['idle', 'starting', 'up', 'stopping', 'backoff']
/** A legal way from `idle` to each phase. */
const PATH_TO: Record<Phase, Phase[]> = {
  idle: [],
  starting: ['starting'],
  up: ['starting', 'up'],
  stopping: ['starting', 'stopping'],
  backoff: ['backoff'],
}

class FakeHandle implements DynoHandle {
  readonly id = 'fake-1'
  readonly exited: Promise<DynoExit>
  stops: StopOptions[] = []
  private resolveExit: (exit: DynoExit) => void = () => {}

  constructor(readonly spec: DynoSpec) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve))
  }

  onOutput(): () => void {
    return () => {}
  }

  exit(code: number | null, signal: string | null = null, outOfMemory = false): void {
    this.resolveExit({code, signal, ...(outOfMemory ? {outOfMemory} : {})})
  }

  async stop(options: StopOptions): Promise<void> {
    this.stops.push(options)
    this.exit(null, options.signal ?? 'SIGTERM')
  }

  async memoryBytes(): Promise<number | undefined> {
    return undefined
  }

  describe() {
    return {startedAt: new Date(), record: {backend: 'fake', id: this.id, startedAt: new Date().toISOString()}}
  }
}

interface Fixture {
  store: Store
  record: DynoRecord
  release: ReleaseRecord
  handles: FakeHandle[]
  reported: string[]
  outcomes: DynoOutcome[]
  lines: string[]
  slot(record?: DynoRecord): DynoSlot
}

const stores: Store[] = []
afterEach(() => {
  for (const store of stores.splice(0)) store.close()
})

function fixture(type = 'worker', oneOff = false): Fixture {
  const store = new Store({path: ':memory:'})
  stores.push(store)
  const account = store.accounts.create({email: 'a@example.com', name: null})
  const app = store.apps.create({name: 'shop', owner_id: account.id, region: 'us', stack: 'heroku-24'})
  const release = createRelease(store, {
    appId: app.id,
    description: 'Deploy',
    codeDir: '/code/v1',
    processTypes: [{name: type, command: 'node worker.js'}],
    user: account,
  })
  const record = store.dynos.insert(app.id, {
    name: `${type}.1`,
    type,
    one_off: oneOff,
    command: 'node worker.js',
    size: 'Standard-1X',
    state: 'starting',
    release_id: release.id,
  })
  const handles: FakeHandle[] = []
  const reported: string[] = []
  const outcomes: DynoOutcome[] = []
  const lines: string[] = []
  let port = 30_000
  const backend: Backend = {
    name: 'fake',
    async start(spec) {
      const handle = new FakeHandle(spec)
      handles.push(handle)
      return handle
    },
    async adoptOrKill() {
      return {outcome: 'gone', detail: 'gone'}
    },
  }
  const services: SlotServices = {
    store,
    backend,
    ports: {host: '127.0.0.1', allocate: async () => port++, release: () => {}},
    logs: {write: (_app, input) => lines.push(`${input.source}[${input.dyno}]: ${input.message}`)},
    event: (_app, dyno, message) => lines.push(`tug[${dyno}]: ${message}`),
    events: {
      starting: (dyno) => reported.push(`starting ${dyno.phase}`),
      spawned: (dyno) => reported.push(`spawned ${dyno.phase}`),
      up: (dyno) => reported.push(`up ${dyno.phase}`),
      exited: (dyno, outcome) => {
        reported.push(`exited ${dyno.phase}`)
        outcomes.push(outcome)
      },
    },
    onError: (error) => {
      throw error
    },
    graceFor: () => 1000,
    isClosing: () => false,
    beforeStop: () => undefined,
    track: () => {},
  }
  return {store, record, release, handles, reported, outcomes, lines, slot: (r = record) => new DynoSlot(r, services)}
}

describe('runtime: one dyno, one state machine (dyno-slot.ts)', () => {
  it('has the table of DESIGN.md plus the internal phases', () => {
    assert.deepEqual(TRANSITIONS, {
      idle: ['starting', 'backoff'],
      starting: ['up', 'stopping', 'idle'],
      up: ['stopping', 'idle'],
      stopping: ['idle'],
      backoff: ['idle'],
    })
  })

  for (const from of PHASES) {
    for (const to of TRANSITIONS[from]) {
      it(`allows ${from} -> ${to}`, () => {
        const slot = fixture().slot()
        for (const step of PATH_TO[from]) slot.to(step)
        assert.equal(slot.phase, from)
        slot.to(to)
        assert.equal(slot.phase, to)
      })
    }
  }

  it('refuses every other move with IllegalTransition, and stays where it was', () => {
    let refused = 0
    for (const from of PHASES) {
      for (const to of PHASES) {
        if (TRANSITIONS[from].includes(to)) continue
        const slot = fixture().slot()
        for (const step of PATH_TO[from]) slot.to(step)
        assert.throws(() => slot.to(to), (error: unknown) => error instanceof IllegalTransition && error.message === `dyno worker.1: no transition from ${from} to ${to}`)
        assert.equal(slot.phase, from)
        refused++
      }
    }
    // 25 pairs, 9 of them legal.
    assert.equal(refused, 16)
  })

  it('names a few moves that must never happen', () => {
    const slot = fixture().slot()
    assert.throws(() => slot.to('up'), IllegalTransition, 'idle -> up: never up without starting')
    assert.throws(() => slot.to('stopping'), IllegalTransition, 'idle -> stopping: nothing runs')
    slot.to('starting')
    slot.to('up')
    assert.throws(() => slot.to('starting'), IllegalTransition, 'up -> starting: a restart goes through stopping')
    assert.throws(() => slot.to('backoff'), IllegalTransition, 'up -> backoff: only an exited dyno waits')
  })

  it('backOff waits in backoff and comes back idle; cancelBackoff ends the wait at once', async () => {
    const slot = fixture().slot()
    let due = 0
    slot.backOff(10, () => due++)
    assert.equal(slot.phase, 'backoff')
    await waitFor(() => due === 1, {what: 'the back-off to be over'})
    assert.equal(slot.phase, 'idle')
    slot.backOff(60_000, () => due++)
    slot.cancelBackoff()
    assert.equal(slot.phase, 'idle')
    assert.equal(due, 1)
    // Nothing to cancel in another phase.
    slot.cancelBackoff()
    assert.equal(slot.phase, 'idle')
  })

  it('a life: starting, up, stopped for a restart (starting again in the store), then exited', async () => {
    const f = fixture()
    const slot = f.slot()
    slot.start(f.release, 'node worker.js', {EXTRA: '1'})
    assert.equal(slot.phase, 'starting')
    await waitFor(() => f.reported.includes('spawned starting'), {what: 'the spawn'})
    assert.equal(f.handles[0]?.spec.env.EXTRA, '1')
    assert.equal(slot.active, true)
    slot.markUp()
    assert.equal(slot.phase, 'up')
    assert.equal(f.store.dynos.get(f.record.app_id, f.record.id)?.state, 'up')
    // markUp once up changes nothing.
    slot.markUp()
    await slot.stop('restart')
    assert.equal(slot.phase, 'idle')
    assert.deepEqual(f.reported, ['starting starting', 'spawned starting', 'up up', 'exited idle'])
    assert.deepEqual(f.outcomes, [{status: 143, reason: 'restart', crashed: false}])
    assert.equal(f.store.dynos.get(f.record.app_id, f.record.id)?.state, 'starting')
    assert.deepEqual(f.lines, [
      'tug[worker.1]: Starting process with command `node worker.js`',
      'tug[worker.1]: State changed from starting to up',
      'tug[worker.1]: Restarting',
      'tug[worker.1]: State changed from up to starting',
      'tug[worker.1]: Stopping all processes with SIGTERM',
      'tug[worker.1]: Process exited with status 143',
    ])
  })

  it('an exit on its own is a crash of a formation dyno, recorded crashed; a one-off reports it only', async () => {
    const f = fixture()
    const slot = f.slot()
    slot.start(f.release, 'node worker.js', {})
    await waitFor(() => f.handles.length === 1 && slot.handle, {what: 'the spawn'})
    f.handles[0]?.exit(3)
    await waitFor(() => f.outcomes.length === 1, {what: 'the exit'})
    assert.deepEqual(f.outcomes, [{status: 3, reason: undefined, crashed: true}])
    assert.equal(f.store.dynos.get(f.record.app_id, f.record.id)?.state, 'crashed')

    const g = fixture('run', true)
    const oneOff = g.slot()
    oneOff.start(g.release, 'echo hi', {})
    await waitFor(() => g.handles.length === 1 && oneOff.handle, {what: 'the spawn'})
    g.handles[0]?.exit(3)
    await waitFor(() => g.outcomes.length === 1, {what: 'the exit'})
    assert.deepEqual(g.outcomes, [{status: 3, reason: undefined, crashed: false}])
    // one-offs.ts records a one-off's end; the slot leaves its record as it was.
    assert.equal(g.store.dynos.get(g.record.app_id, g.record.id)?.state, 'starting')
  })

  it('starts the dyno with its size, and a kill by the kernel for memory is R15, then the exit, a crash', async () => {
    const f = fixture()
    f.store.dynos.update(f.record.app_id, f.record.id, {size: 'Standard-2X'})
    const slot = f.slot()
    slot.start(f.release, 'node worker.js', {})
    await waitFor(() => f.handles.length === 1 && slot.handle, {what: 'the spawn'})
    assert.equal(f.handles[0]?.spec.size, 'Standard-2X')
    slot.markUp()
    f.handles[0]?.exit(null, 'SIGKILL', true)
    await waitFor(() => f.outcomes.length === 1, {what: 'the exit'})
    assert.deepEqual(f.outcomes, [{status: 137, reason: undefined, crashed: true}])
    const at = f.lines.indexOf('tug[worker.1]: Error R15 (Memory quota vastly exceeded)')
    assert.ok(at >= 0, f.lines.join('\n'))
    assert.deepEqual(f.lines.slice(at + 1), ['tug[worker.1]: Process exited with status 137', 'tug[worker.1]: State changed from up to crashed'])

    // A SIGKILL for another reason is no R15.
    const g = fixture()
    const other = g.slot()
    other.start(g.release, 'node worker.js', {})
    await waitFor(() => g.handles.length === 1 && other.handle, {what: 'the spawn'})
    g.handles[0]?.exit(null, 'SIGKILL')
    await waitFor(() => g.outcomes.length === 1, {what: 'the exit'})
    assert.ok(!g.lines.some((line) => line.includes('R15')), g.lines.join('\n'))

    // Stopped on purpose (the memory watch said R15 already): its exit says it no second time.
    const h = fixture()
    const stopped = h.slot()
    stopped.start(h.release, 'node worker.js', {})
    await waitFor(() => h.handles.length === 1 && stopped.handle, {what: 'the spawn'})
    stopped.markUp()
    const handle = h.handles[0]
    if (handle) handle.stop = async () => handle.exit(null, 'SIGKILL', true)
    await stopped.stop('memory')
    assert.ok(!h.lines.some((line) => line.includes('R15')), h.lines.join('\n'))
    assert.ok(h.lines.includes('tug[worker.1]: Process exited with status 137'), h.lines.join('\n'))
  })

  it('a stop asked while the process is spawned takes effect once it runs; a failed boot is a crash', async () => {
    const f = fixture()
    const slot = f.slot()
    slot.start(f.release, 'node worker.js', {})
    const stopped = slot.stop('scale')
    assert.equal(slot.phase, 'starting')
    await stopped
    assert.equal(slot.phase, 'idle')
    assert.deepEqual(f.outcomes, [{status: 143, reason: 'scale', crashed: false}])
    assert.equal(f.reported.includes('spawned starting'), false)
    assert.equal(f.store.dynos.get(f.record.app_id, f.record.id)?.state, 'down')

    slot.start(f.release, 'node worker.js', {})
    const handle = await waitFor(() => slot.handle, {what: 'the second spawn'})
    slot.failBoot(handle)
    await waitFor(() => f.outcomes.length === 2, {what: 'the exit'})
    assert.deepEqual(f.handles[1]?.stops, [{signal: 'SIGKILL', graceMs: 0}])
    assert.deepEqual(f.outcomes[1], {status: 137, reason: undefined, crashed: true})
  })
})

describe('runtime: exitStatus', () => {
  it('exitStatus: the code, or 128 + the signal number', () => {
    assert.equal(exitStatus({code: 3, signal: null}), 3)
    assert.equal(exitStatus({code: null, signal: 'SIGTERM'}), 143)
    assert.equal(exitStatus({code: null, signal: 'SIGKILL'}), 137)
  })
})
