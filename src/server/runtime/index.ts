// The runtime seam. The formation and dyno endpoints call the runtime only through `Runtime`;
// nothing above it knows how a dyno runs (no pids, no child processes), so that a Kubernetes
// backend can sit behind it later.
//
// The real runtime is `DynoManager` (manager.ts) over a `Backend` (the local one runs child
// processes); `createLocalRuntime` is what `startServer` uses by default.
//
// `StoreOnlyRuntime` records only: dyno records live in the store and nothing runs. The API tests
// of the wire contract use it (test/helpers/api-server.ts, builds tests), since their releases
// carry process types but no code. Its choice of state: records are created directly in state
// `up`, since they mirror the desired formation at once. Formation dynos are named `<type>.<n>`
// from 1 up; scaling down removes the highest numbers; one-off dynos are `<type>.<NNNN>` with a
// random number (the real runtime names them `<type>.<n>`, the lowest free n).
import {randomInt} from 'node:crypto'
import type {DynoRecord, Store} from '../store/index.js'
import {LocalBackend} from './local-backend.js'
import {DynoManager, type DynoManagerOptions, type DynoStats, type LogInputSink} from './manager.js'

export {
  DynoManager,
  type BeforeStopHook,
  type DynoManagerOptions,
  type DynoStats,
  type LogInputSink,
  type WebDyno,
  type WebDynoDirectory,
} from './manager.js'

export type RestartTarget = {kind: 'all'} | {kind: 'dyno'; dynoId: string} | {kind: 'type'; type: string}

export interface OneOffSpec {
  /** The command as given; a runtime substitutes a Procfile type's command for a bare first word. */
  command: string
  type: string
  size: string
  attach: boolean
  forceNoTty: boolean
  env: Record<string, string>
  timeToLive: number | null
  releaseId: string
}

export interface Runtime {
  /** The formation of the app changed (scale, size): converge its dynos. */
  formationChanged(appId: string): Promise<void>
  /** A new release is current: move the app's dynos onto it (and converge the formation). */
  releaseChanged(appId: string): Promise<void>
  restart(appId: string, target: RestartTarget): Promise<void>
  /** Stops a one-off for good; a formation dyno is only restarted (scale to 0 to keep it down). */
  stop(appId: string, target: Exclude<RestartTarget, {kind: 'all'}>): Promise<void>
  createOneOff(appId: string, spec: OneOffSpec): Promise<DynoRecord>
  /** The app is about to be deleted (records go with it): stop everything it runs. */
  appDestroyed(appId: string): Promise<void>
  /** The app's schedules were added or removed (tug's schedules extension). */
  schedulesChanged?(appId: string): Promise<void>
  /** SIGTERM to SIGKILL when the app has no setting of its own (GET /apps/{app}/runtime-settings). */
  readonly defaultStopGraceMs?: number
  /** Live figures the store does not keep (memory, restarts); extra fields of GET /dynos. */
  stats?(appId: string, dynoId: string): DynoStats
  close(): Promise<void>
}

/**
 * The real runtime on the local machine: dynos are child processes of this control plane. `plane`
 * is the data directory's identity (recovery.ts): with it, every dyno is tagged, and a start
 * after a crash stops what the previous run left without a record.
 */
export function createLocalRuntime(
  store: Store,
  logs: LogInputSink,
  {plane, ...options}: Partial<Omit<DynoManagerOptions, 'store' | 'logs' | 'backend'>> & {plane?: string} = {},
): DynoManager {
  const fromEnv = (name: string): number | undefined => {
    const value = Number(process.env[name])
    return Number.isFinite(value) && value >= 0 && process.env[name] !== '' ? value : undefined
  }
  const stopGraceMs = options.stopGraceMs ?? fromEnv('TUG_STOP_GRACE_MS')
  const bootTimeoutMs = options.bootTimeoutMs ?? fromEnv('TUG_BOOT_TIMEOUT_MS')
  return new DynoManager({
    store,
    logs,
    backend: new LocalBackend(plane === undefined ? {} : {plane}),
    ...options,
    ...(stopGraceMs === undefined ? {} : {stopGraceMs}),
    ...(bootTimeoutMs === undefined ? {} : {bootTimeoutMs}),
    onError: options.onError ?? ((error) => process.emitWarning(`dyno manager: ${(error as Error).message}`)),
  })
}

export class StoreOnlyRuntime implements Runtime {
  constructor(private readonly store: Store, private readonly random: (max: number) => number = randomInt) {}

  async formationChanged(appId: string): Promise<void> {
    this.converge(appId)
  }

  async releaseChanged(appId: string): Promise<void> {
    this.store.transaction(() => {
      const app = this.store.apps.get(appId)
      if (!app?.current_release_id) return
      const commands = new Map(this.store.formation.list(appId).map((f) => [f.type, f.command]))
      for (const dyno of this.store.dynos.list(appId)) {
        if (dyno.one_off) continue
        this.store.dynos.update(appId, dyno.id, {
          release_id: app.current_release_id,
          command: commands.get(dyno.type) ?? dyno.command,
        })
      }
      this.converge(appId)
    })
  }

  async restart(appId: string, target: RestartTarget): Promise<void> {
    this.store.transaction(() => {
      const app = this.store.apps.get(appId)
      if (!app?.current_release_id) return
      for (const dyno of this.targets(appId, target)) {
        // A restarted formation dyno comes back on the current release.
        const release = dyno.one_off ? dyno.release_id : app.current_release_id
        this.store.dynos.update(appId, dyno.id, {state: 'up', release_id: release})
      }
    })
  }

  async stop(appId: string, target: Exclude<RestartTarget, {kind: 'all'}>): Promise<void> {
    this.store.transaction(() => {
      for (const dyno of this.targets(appId, target)) {
        if (dyno.one_off) this.store.dynos.delete(appId, dyno.id)
        else this.store.dynos.update(appId, dyno.id, {state: 'up'})
      }
    })
  }

  async createOneOff(appId: string, spec: OneOffSpec): Promise<DynoRecord> {
    return this.store.transaction(() => {
      let name: string
      do name = `${spec.type}.${1000 + this.random(9000)}`
      while (this.store.dynos.findByName(appId, name))
      return this.store.dynos.insert(appId, {
        name,
        type: spec.type,
        one_off: true,
        command: spec.command,
        size: spec.size,
        state: 'up',
        release_id: spec.releaseId,
        attach: spec.attach,
        // The rendezvous issue hands out attach URLs; with nothing running there is nothing to attach.
        attach_url: null,
        force_no_tty: spec.forceNoTty,
        env: spec.env,
        time_to_live: spec.timeToLive,
      })
    })
  }

  async appDestroyed(_appId: string): Promise<void> {}

  async close(): Promise<void> {}

  private targets(appId: string, target: RestartTarget): DynoRecord[] {
    const dynos = this.store.dynos.list(appId)
    if (target.kind === 'all') return dynos
    if (target.kind === 'type') return dynos.filter((d) => d.type === target.type)
    return dynos.filter((d) => d.id === target.dynoId)
  }

  /** Makes the formation dynos' records match the formation: `<type>.1..N`, nothing else. */
  private converge(appId: string): void {
    this.store.transaction(() => {
      const app = this.store.apps.get(appId)
      if (!app?.current_release_id) return
      const formation = new Map(this.store.formation.list(appId).map((f) => [f.type, f]))
      const existing = this.store.dynos.list(appId).filter((d) => !d.one_off)
      for (const dyno of existing) {
        const entry = formation.get(dyno.type)
        const index = Number(dyno.name.slice(dyno.type.length + 1))
        if (!entry || !(index >= 1 && index <= entry.quantity)) this.store.dynos.delete(appId, dyno.id)
        else if (dyno.size !== entry.size || dyno.command !== entry.command) {
          this.store.dynos.update(appId, dyno.id, {size: entry.size, command: entry.command})
        }
      }
      for (const entry of formation.values()) {
        for (let n = 1; n <= entry.quantity; n++) {
          const name = `${entry.type}.${n}`
          if (this.store.dynos.findByName(appId, name)) continue
          this.store.dynos.insert(appId, {
            name,
            type: entry.type,
            one_off: false,
            command: entry.command,
            size: entry.size,
            state: 'up',
            release_id: app.current_release_id,
          })
        }
      }
    })
  }
}
