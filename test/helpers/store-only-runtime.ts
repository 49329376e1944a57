// A runtime for tests that only records: dyno records live in the store and nothing runs. The API
// tests of the wire contract use it (api-server.ts, log-server.ts, builds tests), since their
// releases carry process types but no code. Its choice of state: records are created directly in
// state `up`, since they mirror the desired formation at once. Formation dynos are named
// `<type>.<n>` from 1 up; scaling down removes the highest numbers; one-off dynos are
// `<type>.<NNNN>` with a random number (the real runtime names them `<type>.<n>`, the lowest free n).
import {randomInt} from 'node:crypto'
import type {OneOffSpec, RestartTarget, Runtime} from '../../src/server/runtime/index.js'
import type {DynoRecord, Store} from '../../src/server/store/index.js'

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
