// One-off dynos: `tug run` (attached or detached), scheduled runs (`scheduler.N`) and the release
// phase (`release.N`) all start here, as slots of their own that the formation never touches.
//
// A one-off that ended leaves the app's dynos at once, as on Heroku: the API no longer lists it
// (its `Process exited with status N` line stays in the log). Its record (state `down` for exit 0
// or a stop, `crashed` otherwise, with exit_status and ended_at) stays ONE_OFF_RETENTION_MS (10
// minutes), then goes, so that `run.N` numbers, and the log lines under them, are not reused within
// that time. The same holds for one-offs a crash of the control plane ended.
import {RELEASE_PHASE_TYPE} from '../domain/releases.js'
import {SCHEDULER_TYPE} from '../scheduler/scheduler.js'
import type {DynoRecord, ReleaseRecord, ScheduleRecord, Store} from '../store/index.js'
import {toTimestamp} from '../store/index.js'
import type {AttachBroker, AttachTicket} from './attached.js'
import type {OneOffSpec, PlatformEvent, StopReason} from './contracts.js'
import type {DynoSlot} from './dyno-slot.js'

export const ONE_OFF_RETENTION_MS = 10 * 60 * 1000

/** `worker 42` -> `node worker.js 42` when `worker` is a process type; otherwise as given. */
export function substituteProcessType(command: string, types: ReadonlyArray<{name: string; command: string}>): string {
  const match = /^\s*(\S+)(.*)$/s.exec(command)
  if (!match) return command
  const type = types.find((t) => t.name === match[1])
  return type ? `${type.command}${match[2] ?? ''}` : command
}

/** The lowest N >= 1 such that `<prefix>.N` is not taken. */
export function lowestFreeName(prefix: string, taken: Iterable<string>): string {
  const used = new Set(taken)
  for (let n = 1; ; n++) if (!used.has(`${prefix}.${n}`)) return `${prefix}.${n}`
}

/**
 * The record of a new one-off: `run.N` for a formation type (`--type web`: `web.N` is the
 * formation's), else `<type>.N` (`scheduler.N`, `release.N`), the lowest N free.
 */
export function insertOneOff(store: Store, appId: string, spec: OneOffSpec, command: string, attachUrl: string | null): DynoRecord {
  const types = store.releases.get(appId, spec.releaseId)?.process_types ?? []
  return store.transaction(() => {
    // The release phase's type is never a formation entry, so its runs keep their own `release.N`.
    const formationTypes = new Set([...types.map((t) => t.name), ...store.formation.list(appId).map((f) => f.type)])
    formationTypes.delete(RELEASE_PHASE_TYPE)
    const prefix = formationTypes.has(spec.type) ? 'run' : spec.type
    const name = lowestFreeName(prefix, store.dynos.list(appId).map((d) => d.name))
    return store.dynos.insert(appId, {
      name,
      type: spec.type,
      one_off: true,
      command,
      size: spec.size,
      state: 'starting',
      release_id: spec.releaseId,
      attach: spec.attach,
      attach_url: attachUrl,
      force_no_tty: spec.forceNoTty,
      env: spec.env,
      time_to_live: spec.timeToLive,
    })
  })
}

/** A one-off's record, made as every runtime makes it before it starts anything. */
export interface OpenedOneOff {
  record: DynoRecord
  /** The attach session of an attached run, bound to the record. */
  ticket: AttachTicket | undefined
  /** The command to run: a Procfile type's command for a bare type name. */
  command: string
  /** The release to run, when it has code; undefined after saying why not (the run then ends with 1). */
  release: ReleaseRecord | undefined
}

/**
 * The part of `tug run` that does not depend on how dynos run: the attach session, the command,
 * the record; and, for a release without code, the platform line and the failed session.
 */
export function openOneOff(
  context: {store: Store; attach: AttachBroker | undefined; event: PlatformEvent},
  appId: string,
  spec: OneOffSpec,
): OpenedOneOff {
  const release = context.store.releases.get(appId, spec.releaseId)
  const ticket = spec.attach ? context.attach?.open({appId, command: spec.command, tty: !spec.forceNoTty}) : undefined
  const command = substituteProcessType(ticket?.command ?? spec.command, release?.process_types ?? [])
  const record = insertOneOff(context.store, appId, spec, command, ticket?.attachUrl ?? null)
  ticket?.assign(record.id, record.name)
  if (release?.code_dir) return {record, ticket, command, release}
  context.event(appId, record.name, 'Cannot start: the release has no code (deploy the app first)')
  ticket?.fail()
  return {record, ticket, command, release: undefined}
}

export interface OneOffsContext {
  store: Store
  /** Hands out attach URLs for `attach: true` one-offs (issue 6); without it they run detached. */
  attach: AttachBroker | undefined
  now(): number
  retentionMs: number
  /** The slot of a dyno record, made on first use. */
  slotFor(record: DynoRecord): DynoSlot
  slot(dynoId: string): DynoSlot | undefined
  /** The one-off has ended: its slot goes. */
  forget(slot: DynoSlot): void
  event: PlatformEvent
}

export class OneOffs {
  private readonly waiters = new Map<string, Array<(record: DynoRecord | undefined) => void>>()

  constructor(private readonly context: OneOffsContext) {}

  create(appId: string, spec: OneOffSpec): DynoRecord {
    const {record, ticket, command, release} = openOneOff(this.context, appId, spec)
    const slot = this.context.slotFor(record)
    slot.attach = ticket
    if (release) slot.start(release, command, spec.env)
    else this.finish(slot, 1)
    return this.context.store.dynos.get(appId, record.id) ?? record
  }

  /** The one-off's process is over (or never started): its record ends, its waiters are told. */
  finish(slot: DynoSlot, status: number, reason?: StopReason): void {
    const state = status === 0 || reason !== undefined ? 'down' : 'crashed'
    slot.setState(state, {backend_record: null, exit_status: status, ended_at: toTimestamp(new Date(this.context.now()))})
    const record = this.context.store.dynos.get(slot.appId, slot.dynoId)
    this.context.forget(slot)
    const waiters = this.waiters.get(slot.dynoId) ?? []
    this.waiters.delete(slot.dynoId)
    for (const resolve of waiters) resolve(record)
  }

  /** Whether a one-off is still starting or running. */
  isRunning(dynoId: string): boolean {
    return this.context.slot(dynoId)?.active === true
  }

  /** Resolves with the one-off's final record once it has ended. */
  waitFor(appId: string, dynoId: string): Promise<DynoRecord | undefined> {
    if (!this.isRunning(dynoId)) return Promise.resolve(this.context.store.dynos.get(appId, dynoId))
    return new Promise((resolve) => {
      const list = this.waiters.get(dynoId) ?? []
      list.push(resolve)
      this.waiters.set(dynoId, list)
    })
  }

  /** Ended one-offs' records go once they are older than the retention. */
  sweep(): void {
    const {store} = this.context
    const cutoff = this.context.now() - this.context.retentionMs
    for (const app of store.apps.list()) {
      for (const record of store.dynos.list(app.id)) {
        if (!record.one_off || record.ended_at === null || this.context.slot(record.id)) continue
        if (Date.parse(record.ended_at) < cutoff) store.dynos.delete(app.id, record.id)
      }
    }
  }

  /** A scheduled run: a one-off `scheduler.N` on the current release. */
  scheduled(appId: string, schedule: ScheduleRecord): DynoRecord {
    const app = this.context.store.apps.get(appId)
    if (!app?.current_release_id) throw new Error('the app has no release yet')
    return this.create(appId, {
      command: schedule.command,
      type: SCHEDULER_TYPE,
      size: schedule.size,
      attach: false,
      forceNoTty: true,
      env: {},
      timeToLive: null,
      releaseId: app.current_release_id,
    })
  }
}
