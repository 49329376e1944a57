// A ManagedDyno that only records what a policy asks of it, for the policies' unit tests.
import type {DynoExit, DynoHandle} from '../../../../src/server/runtime/backend.js'
import type {DynoTimer, ManagedDyno, Phase, StopReason} from '../../../../src/server/runtime/contracts.js'

export class FakeDyno implements ManagedDyno {
  readonly dynoId: string
  readonly appId = 'app-1'
  host: string | undefined
  memoryBytes: number | undefined
  restarts = 0
  phase: Phase = 'starting'
  handle: DynoHandle
  /** Every call, in order: `markUp`, `stop restart`, `failBoot`, `arm ttl 5000`, `backOff 1000`, `cancelBackoff`. */
  readonly calls: string[] = []
  readonly timers = new Map<string, () => void>()
  due: (() => void) | undefined

  constructor(readonly name: string, readonly type: string, readonly oneOff = false, memory?: number) {
    this.dynoId = `id-${name}`
    this.handle = fakeHandle(memory)
  }

  get active(): boolean {
    return this.phase !== 'idle' && this.phase !== 'backoff'
  }

  markUp(): void {
    this.calls.push('markUp')
  }

  async stop(reason: StopReason): Promise<void> {
    this.calls.push(`stop ${reason}`)
  }

  failBoot(handle: DynoHandle): void {
    this.calls.push(handle === this.handle ? 'failBoot' : 'failBoot (another handle)')
  }

  arm(timer: DynoTimer, ms: number, fire: () => void): void {
    this.calls.push(`arm ${timer} ${ms}`)
    this.timers.set(timer, fire)
  }

  backOff(ms: number, due: () => void): void {
    this.calls.push(`backOff ${ms}`)
    this.due = due
  }

  cancelBackoff(): void {
    this.calls.push('cancelBackoff')
  }
}

function fakeHandle(memory: number | undefined): DynoHandle {
  return {
    id: 'h-1',
    exited: new Promise<DynoExit>(() => {}),
    onOutput: () => () => {},
    stop: async () => {},
    memoryBytes: async () => memory,
    describe: () => ({startedAt: new Date(0), record: {backend: 'fake', id: 'h-1', startedAt: new Date(0).toISOString()}}),
  }
}
