import type {Database} from 'better-sqlite3'
import {toTimestamp, type Clock} from './clock.js'
import {isUuid, newId} from './ids.js'
import type {ScheduleRecord} from './records.js'

export interface NewSchedule {
  expression: string
  timezone: string
  command: string
  size: string
}

/** Scheduled one-off runs (tug's own extension of the Platform API; see routes/schedules.ts). */
export class SchedulesRepository {
  constructor(private readonly db: Database, private readonly clock: Clock) {}

  list(appId: string): ScheduleRecord[] {
    return this.db.prepare<[string], ScheduleRecord>('SELECT * FROM schedules WHERE app_id = ? ORDER BY created_at, id').all(appId)
  }

  listAll(): ScheduleRecord[] {
    return this.db.prepare<[], ScheduleRecord>('SELECT * FROM schedules ORDER BY app_id, created_at, id').all()
  }

  get(appId: string, id: string): ScheduleRecord | undefined {
    if (!isUuid(id)) return undefined
    return this.db.prepare<[string, string], ScheduleRecord>('SELECT * FROM schedules WHERE app_id = ? AND id = ?').get(appId, id.toLowerCase())
  }

  insert(appId: string, input: NewSchedule): ScheduleRecord {
    const id = newId()
    const now = toTimestamp(this.clock())
    this.db
      .prepare(
        'INSERT INTO schedules (id, app_id, expression, timezone, command, size, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(id, appId, input.expression, input.timezone, input.command, input.size, now, now)
    return this.get(appId, id) as ScheduleRecord
  }

  markRun(appId: string, id: string, at: Date): void {
    this.db.prepare('UPDATE schedules SET last_run_at = ? WHERE app_id = ? AND id = ?').run(toTimestamp(at), appId, id)
  }

  delete(appId: string, id: string): boolean {
    if (!isUuid(id)) return false
    return this.db.prepare('DELETE FROM schedules WHERE app_id = ? AND id = ?').run(appId, id.toLowerCase()).changes > 0
  }
}
