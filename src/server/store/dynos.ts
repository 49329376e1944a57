import type {Database, Statement} from 'better-sqlite3'
import {toTimestamp, type Clock} from './clock.js'
import {isUuid, newId} from './ids.js'
import type {DynoRecord} from './records.js'

interface DynoRow extends Omit<DynoRecord, 'one_off' | 'attach' | 'force_no_tty' | 'env'> {
  one_off: number
  attach: number
  force_no_tty: number
  env: string
}

function decode(row: DynoRow): DynoRecord {
  return {
    ...row,
    one_off: row.one_off === 1,
    attach: row.attach === 1,
    force_no_tty: row.force_no_tty === 1,
    env: JSON.parse(row.env) as Record<string, string>,
  }
}

/**
 * A one-off that has exited. Its record stays a while (so that its `run.N` is not reused meanwhile),
 * but as on Heroku it is no longer a dyno of the app: the API neither lists nor acts on it.
 */
export function oneOffEnded(dyno: Pick<DynoRecord, 'one_off' | 'ended_at'>): boolean {
  return dyno.one_off && dyno.ended_at !== null
}

/** A dyno record's fields that insert takes; the optional ones default to off/none. */
export type NewDyno = Pick<DynoRecord, 'name' | 'type' | 'one_off' | 'command' | 'size' | 'state' | 'release_id'> &
  Partial<Pick<DynoRecord, 'attach' | 'attach_url' | 'force_no_tty' | 'env' | 'time_to_live'>>

export class DynosRepository {
  private readonly all: Statement<[string], DynoRow>
  private readonly byId: Statement<[string, string], DynoRow>
  private readonly byName: Statement<[string, string], DynoRow>

  constructor(private readonly db: Database, private readonly clock: Clock) {
    this.all = db.prepare('SELECT * FROM dynos WHERE app_id = ? ORDER BY type, one_off, name')
    this.byId = db.prepare('SELECT * FROM dynos WHERE app_id = ? AND id = ?')
    this.byName = db.prepare('SELECT * FROM dynos WHERE app_id = ? AND name = ?')
  }

  list(appId: string): DynoRecord[] {
    return this.all.all(appId).map(decode)
  }

  get(appId: string, id: string): DynoRecord | undefined {
    const row = this.byId.get(appId, id)
    return row && decode(row)
  }

  findByName(appId: string, name: string): DynoRecord | undefined {
    const row = this.byName.get(appId, name)
    return row && decode(row)
  }

  /** A dyno by id (UUID) or by name (`web.1`, `run.4821`). */
  resolve(appId: string, identity: string): DynoRecord | undefined {
    return isUuid(identity) ? this.get(appId, identity.toLowerCase()) : this.findByName(appId, identity)
  }

  insert(appId: string, input: NewDyno): DynoRecord {
    const now = toTimestamp(this.clock())
    const id = newId()
    this.db
      .prepare(
        `INSERT INTO dynos (id, app_id, name, type, one_off, command, size, state, release_id, attach, attach_url,
                            force_no_tty, env, time_to_live, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        appId,
        input.name,
        input.type,
        input.one_off ? 1 : 0,
        input.command,
        input.size,
        input.state,
        input.release_id,
        input.attach ? 1 : 0,
        input.attach_url ?? null,
        input.force_no_tty ? 1 : 0,
        JSON.stringify(input.env ?? {}),
        input.time_to_live ?? null,
        now,
        now,
      )
    return this.get(appId, id) as DynoRecord
  }

  /** Changes what a dyno runs or its state; `updated_at` moves (the time of the last change). */
  update(
    appId: string,
    id: string,
    changes: Partial<
      Pick<DynoRecord, 'command' | 'size' | 'state' | 'release_id' | 'attach_url' | 'backend_record' | 'exit_status' | 'ended_at'>
    >,
  ): DynoRecord | undefined {
    const current = this.get(appId, id)
    if (!current) return undefined
    const next = {...current, ...changes}
    this.db
      .prepare(
        `UPDATE dynos SET command = ?, size = ?, state = ?, release_id = ?, attach_url = ?, backend_record = ?, exit_status = ?,
                          ended_at = ?, updated_at = ? WHERE app_id = ? AND id = ?`,
      )
      .run(
        next.command,
        next.size,
        next.state,
        next.release_id,
        next.attach_url,
        next.backend_record,
        next.exit_status,
        next.ended_at,
        toTimestamp(this.clock()),
        appId,
        id,
      )
    return this.get(appId, id)
  }

  /** Every dyno of every app that has a backend record: what a restarted control plane must look at. */
  listWithBackendRecords(): DynoRecord[] {
    return this.db.prepare<[], DynoRow>('SELECT * FROM dynos WHERE backend_record IS NOT NULL ORDER BY app_id, name').all().map(decode)
  }

  delete(appId: string, id: string): boolean {
    return this.db.prepare('DELETE FROM dynos WHERE app_id = ? AND id = ?').run(appId, id).changes > 0
  }
}
